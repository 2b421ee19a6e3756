import { compareIds, type IdKind } from '../ids.ts';

/** An inclusive range of user IDs: numeric ranges compare as integers, opaque ones as strings. */
export interface IdRange {
  readonly kind: IdKind;
  readonly min: string;
  readonly max: string;
}

export function inRange(id: string, range: IdRange): boolean {
  return compareIds(id, range.min, range.kind) >= 0 && compareIds(id, range.max, range.kind) <= 0;
}

/** One bucket of the users table, as the reference's partition table listed it. */
export interface BucketBounds {
  partition_id: number;
  user_count: number;
  min_id: string;
  max_id: string;
}

/** How a worker came to its bucket, for the log line that says so. */
export type BucketRule = 'all' | 'ntile';

/** The bucket a worker collects. */
export interface Bucket {
  readonly rule: BucketRule;
  /** 1-based, or null when the worker takes the whole table. */
  readonly partitionId: number | null;
  readonly partitions: number | null;
  /** Undefined when the worker takes the whole table. */
  readonly range: IdRange | undefined;
  /** Users in the bucket (before skipping collected ones). */
  readonly userCount: number;
}
