import type { BucketLookup } from '../partition/assign.ts';
import type { IdRange } from '../partition/bucket.ts';
import type { CuttableTable } from '../partition/plan.ts';
import type { UserRef } from '../sources/source.ts';
import type { LoadReport } from './report.ts';

/** A user as a users table gives it (its following count, when present, is `UserRef.friendsCount`). */
export type UserRecord = UserRef;

export interface ReadOptions {
  /** Users per yielded batch (BATCH_SIZE). */
  batchSize: number;
  /** IDs to leave out (already collected). */
  skip?: ReadonlySet<string>;
  /** Stop after this many users (USERS_LIMIT). */
  limit?: number | undefined;
}

/**
 * `records` in batches of `options.batchSize`, leaving out `skip`, up to `limit`: how every users
 * table hands its users to the collector.
 */
export async function* inBatches(records: AsyncIterable<UserRecord>, options: ReadOptions): AsyncGenerator<UserRecord[]> {
  let batch: UserRecord[] = [];
  let yielded = 0;
  if (options.limit !== undefined && options.limit <= 0) return;
  for await (const record of records) {
    if (options.skip?.has(record.id)) continue;
    batch.push(record);
    yielded++;
    if (batch.length >= options.batchSize) {
      yield batch;
      batch = [];
    }
    if (options.limit !== undefined && yielded >= options.limit) break;
  }
  if (batch.length > 0) yield batch;
}

/**
 * The researcher's users table, whatever it is stored in: what a worker asks to find its bucket, what
 * `partition` asks to cut it, and the ordered read of a bucket. Every method orders users by ID:
 * numeric IDs as integers (never as doubles), opaque IDs as strings.
 */
export interface UserTable extends BucketLookup, CuttableTable {
  /** What loading found wrong with the table. */
  readonly report: LoadReport;
  /** The users of `range` in ID order, in batches, leaving out `skip`, up to `limit`. */
  batches(range: IdRange | undefined, options: ReadOptions): AsyncGenerator<UserRecord[]>;
  close(): Promise<void>;
}
