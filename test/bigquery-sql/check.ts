import type { CapturedStatement } from '../support/bigquery-fake/server.ts';

/**
 * The SQL check's verdict on what reached the BigQuery fake: every statement must have been analyzed
 * by ZetaSQL and accepted. One line per statement that was not: refused (with ZetaSQL's message) or
 * never analyzed (the fake ran with analysis off). Empty when all is well.
 */
export function problemsOf(statements: readonly CapturedStatement[]): string[] {
  const problems: string[] = [];
  for (const s of statements) {
    if (s.analysis?.ok === true) continue;
    const sql = s.sql
      .replace(/--[^\n]*/g, '')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 160);
    problems.push(`${s.analysis ? `refused: ${s.analysis.message}` : 'not analyzed'}: ${sql}`);
  }
  return problems;
}

/** A kind of statement the BigQuery code sends, recognised in what the fake captured. */
export interface StatementKind {
  name: string;
  matches(statement: CapturedStatement): boolean;
}

/** The kinds no captured statement is of: code paths the flows did not reach. */
export function kindsMissing(kinds: readonly StatementKind[], statements: readonly CapturedStatement[]): string[] {
  return kinds.filter((k) => !statements.some((s) => k.matches(s))).map((k) => k.name);
}
