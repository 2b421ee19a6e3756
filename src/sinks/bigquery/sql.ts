import type { IdRange } from '../../partition/bucket.ts';

/**
 * A GoogleSQL condition selecting `column` (STRING or INT64) within `range`, the bounds as the named
 * parameters @min_id and @max_id (strings: the SQL casts them, so no ID goes through a JS number).
 * Numeric IDs compare as INT64 (every valid ID is at most 2^63-1; a value that does not parse as one
 * is outside every range), opaque IDs as strings (byte order, as DuckDB's VARCHAR and JS compare them).
 */
export function rangeCondition(range: IdRange | undefined, column: string): { sql: string; params: Record<string, string> } {
  if (!range) return { sql: 'TRUE', params: {} };
  const params = { min_id: range.min, max_id: range.max };
  if (range.kind === 'numeric') {
    return { sql: `SAFE_CAST(TRIM(CAST(${column} AS STRING)) AS INT64) BETWEEN CAST(@min_id AS INT64) AND CAST(@max_id AS INT64)`, params };
  }
  return { sql: `CAST(${column} AS STRING) BETWEEN @min_id AND @max_id`, params };
}
