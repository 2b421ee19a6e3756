import type { IdRange } from '../../partition/bucket.ts';

/**
 * A WHERE condition selecting `column` within `range`, with the bounds as positional parameters
 * starting at `$first`. Numeric IDs compare as HUGEINT (never as DOUBLE); opaque IDs as strings.
 */
export function rangeCondition(range: IdRange | undefined, column: string, first: number): { sql: string; params: string[] } {
  if (!range) return { sql: 'TRUE', params: [] };
  if (range.kind === 'numeric') {
    return {
      sql: `TRY_CAST(${column} AS HUGEINT) BETWEEN CAST($${first} AS HUGEINT) AND CAST($${first + 1} AS HUGEINT)`,
      params: [range.min, range.max],
    };
  }
  return { sql: `${column} BETWEEN $${first} AND $${first + 1}`, params: [range.min, range.max] };
}

/** Quotes a string as a SQL literal, for the few places (COPY targets) DuckDB takes no parameter. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
