import type { IdKind } from '../ids.ts';
import type { BucketBounds, IdRange } from '../partition/bucket.ts';
import type { WorkModel } from '../partition/work.ts';
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

/** Requests one collected user took (its latest row), as the warehouse reports it. */
export interface CollectedWork {
  user_id: string;
  requests: number;
}

/** A bucket cut by `cut`, with the work the model expects of it. */
export interface WorkBucket extends BucketBounds {
  expected_pages: number;
}

/**
 * The researcher's users table, whatever it is stored in. Every method orders users by ID: numeric IDs
 * as integers (never as doubles), opaque IDs as strings.
 */
export interface UserTable {
  readonly idKind: IdKind;
  /** What loading found wrong with the table. */
  readonly report: LoadReport;
  /** Users in `range` (all when undefined). */
  count(range?: IdRange): Promise<number>;
  /** Share of users whose following count the table gives (0 to 1). */
  friendsCountCoverage(): Promise<number>;
  /** `NTILE(partitions) OVER (ORDER BY user_id)`: buckets of equal user count, with their ID bounds. */
  ntile(partitions: number): Promise<BucketBounds[]>;
  /**
   * Contiguous ID ranges, `balance: 'count'` as NTILE or `'work'` of equal expected pages, each with
   * its expected pages under `model`.
   */
  cut(partitions: number, balance: 'count' | 'work', model: WorkModel): Promise<WorkBucket[]>;
  /**
   * Mean of `samples` (requests per collected user) in each of `bins` equal-count bins of the table in
   * ID order; undefined for bins without a sample. Fits the `fitted` work model.
   */
  fitBins(samples: readonly CollectedWork[], bins: number): Promise<(number | undefined)[]>;
  /** The users of `range` in ID order, in batches, leaving out `skip`, up to `limit`. */
  batches(range: IdRange | undefined, options: ReadOptions): AsyncGenerator<UserRecord[]>;
  close(): Promise<void>;
}

/** What a worker asks of its users table to find its bucket (partition/assign.ts). */
export type BucketLookup = Pick<UserTable, 'idKind' | 'count' | 'ntile'>;
