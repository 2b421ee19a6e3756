import { existsSync } from 'node:fs';
import { UsersInputError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import { inRange, type IdRange } from '../partition/bucket.ts';
import { readUsersFile } from './read-file.ts';
import { emptyReport, type LoadReport } from './report.ts';
import { UserSpool } from './spool.ts';
import { removeOrphans, stagingFile } from './staging-files.ts';
import type { UserRecord } from './user-table.ts';
import { validateRow } from './validate.ts';

/**
 * The users of one ID range of a users file, read in one pass into a spool, without DuckDB: a worker
 * that knows its range before reading (MIN_USER_ID/MAX_USER_ID, or a stored plan) needs nothing of the
 * rest of the table. Every row is checked as staging checks it, and counted in the report; of an ID
 * repeated within the range the first row is kept (`accepted` and `duplicates` count the range's).
 * The spool keeps the file's order. Stops at once when `signal` aborts (a SIGTERM while staging).
 */
export async function spoolFileRange(path: string, range: IdRange, idKind: IdKind, signal?: AbortSignal): Promise<{ spool: UserSpool; report: LoadReport }> {
  if (!existsSync(path)) throw new UsersInputError(`users file ${path} does not exist`);
  removeOrphans();
  const report = emptyReport();
  const seen = new Set<string>();
  async function* users(): AsyncGenerator<UserRecord> {
    for await (const row of readUsersFile(path)) {
      signal?.throwIfAborted();
      const user = validateRow(row, idKind, report);
      if (!user || !inRange(user.id, range)) continue;
      if (seen.has(user.id)) {
        report.duplicates++;
        continue;
      }
      seen.add(user.id);
      report.accepted++;
      yield { id: user.id, screenName: user.screenName, friendsCount: user.friendsCount === undefined ? undefined : Number(user.friendsCount) };
    }
  }
  const spool = await UserSpool.write(stagingFile('.ndjson'), users());
  return { spool, report };
}
