import type { IdCorrection, IdRejection } from '../core/ids.ts';

/** What loading a users table found wrong with it: every rejected or changed row is counted. */
export interface LoadReport {
  rows: number;
  accepted: number;
  /** Rows whose ID appeared earlier in the table (the first is kept). */
  duplicates: number;
  rejected: Record<IdRejection | 'bad_row', number>;
  corrected: Record<IdCorrection, number>;
  /** The first problems, with line numbers, for the log. */
  examples: string[];
}

export const MAX_EXAMPLES = 10;

export function emptyReport(): LoadReport {
  return {
    rows: 0,
    accepted: 0,
    duplicates: 0,
    rejected: { empty: 0, malformed: 0, negative: 0, too_large: 0, bad_row: 0 },
    corrected: { whitespace: 0, plus_sign: 0, leading_zeros: 0 },
    examples: [],
  };
}

export function noteExample(report: LoadReport, text: string): void {
  if (report.examples.length < MAX_EXAMPLES) report.examples.push(text);
}

/** One line summarising the report, or undefined when the table was clean. */
export function describeReport(report: LoadReport): string | undefined {
  const parts: string[] = [];
  for (const [k, n] of Object.entries(report.rejected)) if (n > 0) parts.push(`${n} rejected (${k})`);
  for (const [k, n] of Object.entries(report.corrected)) if (n > 0) parts.push(`${n} normalised (${k})`);
  if (report.duplicates > 0) parts.push(`${report.duplicates} duplicate IDs dropped`);
  return parts.length === 0 ? undefined : parts.join(', ');
}
