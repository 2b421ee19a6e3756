import { compareIds, type IdKind } from '../core/ids.ts';

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

/** Which setting gave a worker its bucket (see partition/assign.ts), for the log line that says so. */
export type BucketRule = 'range' | 'partition' | 'heroku' | 'kubernetes' | 'cloud-run' | 'all';

/** Where the bucket's ID bounds came from. */
export type BucketBoundsSource = 'range' | 'stored plan' | 'ntile' | 'table';

/** The bucket a worker collects. */
export interface Bucket {
  readonly rule: BucketRule;
  readonly bounds: BucketBoundsSource;
  /** The stored plan the bounds came from, if any. */
  readonly planId: string | null;
  /** 1-based, or null when the worker takes the whole table. */
  readonly partitionId: number | null;
  readonly partitions: number | null;
  /** Undefined when the worker takes the whole table, or its bucket is empty (userCount 0). */
  readonly range: IdRange | undefined;
  /** Users in the bucket (before skipping collected ones). */
  readonly userCount: number;
}
