import type { BucketBounds } from './bucket.ts';

/**
 * Expected work of a user, in requests: what `--balance work` equalises across buckets. A user with c
 * listed follows costs ceil(min(c, MAX_FRIENDS) / pageSize) pages, and at least one request even when
 * the list is empty or unreadable.
 */
export type WorkModel =
  /** From the users table's `friends_count` column (users without one cost the table's mean). */
  | { kind: 'friends_count'; maxFriends: number; pageSize: number }
  /**
   * Fitted from rows already collected: mean requests per user in each of `bins.length` equal-count
   * bins of the table in ID order (bins[0] = oldest accounts).
   */
  | { kind: 'fitted'; bins: readonly number[]; sampleSize: number }
  /** Nothing known: every user costs the same, so work balance is count balance. */
  | { kind: 'uniform' };

/** Pages to read a list of `count` accounts, capped at `maxFriends`, `pageSize` to a page. */
export function expectedPages(count: number, maxFriends: number, pageSize: number): number {
  return Math.max(1, Math.ceil(Math.min(count, maxFriends) / pageSize));
}

/** Slowest bucket's expected work over the mean bucket's: 1.0 is a perfect balance. */
export function makespanRatio(work: readonly number[]): number {
  if (work.length === 0) return 1;
  const mean = work.reduce((a, b) => a + b, 0) / work.length;
  return mean === 0 ? 1 : Math.max(...work) / mean;
}

/**
 * Fills bins without samples from their nearest sampled neighbours (linear between two, flat beyond
 * the ends), so a partly collected table still gives every user an expected cost.
 */
export function fillBins(bins: readonly (number | undefined)[]): number[] {
  const known = bins.map((v, i) => (v === undefined ? -1 : i)).filter((i) => i >= 0);
  if (known.length === 0) return bins.map(() => 1);
  return bins.map((v, i) => {
    if (v !== undefined) return v;
    const before = known.filter((k) => k < i).at(-1);
    const after = known.find((k) => k > i);
    if (before === undefined) return bins[after!]!;
    if (after === undefined) return bins[before]!;
    const f = (i - before) / (after - before);
    return bins[before]! * (1 - f) + bins[after]! * f;
  });
}

/** Requests one collected user took (its latest row), as the warehouse reports it. */
export interface CollectedWork {
  user_id: string;
  requests: number;
}

/** A bucket cut by a table's `cut`, with the work the model expects of it. */
export interface WorkBucket extends BucketBounds {
  expected_pages: number;
}
