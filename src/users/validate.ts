import { normaliseId, type IdKind } from '../core/ids.ts';
import type { RawUserRow } from './read-file.ts';
import { noteExample, type LoadReport } from './report.ts';

/** A row that passed the checks: the canonical ID, the screen name without `@`, the following count. */
export interface ValidUser {
  line: number;
  id: string;
  screenName: string | undefined;
  friendsCount: bigint | undefined;
}

/**
 * Checks one raw row of a users table: a row without a usable ID is rejected, an ID written unusually
 * is normalised, and each is counted in `report` (with the first examples), never dropped silently.
 */
export function validateRow(row: RawUserRow, idKind: IdKind, report: LoadReport): ValidUser | undefined {
  report.rows++;
  if (row.problem || row.userId === undefined) {
    report.rejected.bad_row++;
    noteExample(report, `line ${row.line}: ${row.problem ?? 'no user_id'}`);
    return undefined;
  }
  const id = normaliseId(row.userId, idKind);
  if (!id.ok) {
    report.rejected[id.rejection]++;
    noteExample(report, `line ${row.line}: ${id.reason}`);
    return undefined;
  }
  for (const c of id.corrections) {
    report.corrected[c]++;
    noteExample(report, `line ${row.line}: user_id ${JSON.stringify(row.userId)} normalised to ${id.id} (${c})`);
  }
  const screenName = row.screenName?.trim().replace(/^@/, '') || undefined;
  const friendsCount = row.friendsCount !== undefined && /^\s*[0-9]{1,15}\s*$/.test(row.friendsCount) ? BigInt(row.friendsCount.trim()) : undefined;
  return { line: row.line, id: id.id, screenName, friendsCount };
}
