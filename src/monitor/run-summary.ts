import type { UserStatus } from '../collector/result.ts';
import { USER_STATUSES } from '../collector/result.ts';

/** What a finished run (or a fleet's runs together) did, for the line a person reads at the end. */
export interface RunTotals {
  byStatus: Record<UserStatus, number>;
  friends: number;
  pages: number;
  elapsedMs: number;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * One human line: users by status, friends, pages, elapsed time and users/hour. Written to stderr at
 * the end of `collect` and `fleet` whatever LOG_LEVEL says, so a quiet run still says how it went.
 */
export function describeRun(what: string, totals: RunTotals): string {
  const users = USER_STATUSES.reduce((n, s) => n + totals.byStatus[s], 0);
  const statuses = USER_STATUSES.map((s) => `${count(totals.byStatus[s])} ${s}`).join(', ');
  const seconds = totals.elapsedMs / 1000;
  const elapsed = seconds < 120 ? `${seconds.toFixed(1)} s` : seconds < 7200 ? `${(seconds / 60).toFixed(1)} min` : `${(seconds / 3600).toFixed(1)} h`;
  const perHour = seconds > 0 ? `${count((users * 3600) / seconds)} users/hour` : 'users/hour unknown';
  return `${what}: ${count(users)} users (${statuses}), ${count(totals.friends)} friends, ${count(totals.pages)} pages in ${elapsed}, ${perHour}`;
}

/** One bucket's progress in a running fleet, from its workers' heartbeats. */
export interface BucketProgress {
  partition: number;
  done: number;
  /** Users the bucket's current run set out to collect (NaN before its first heartbeat says). */
  planned: number;
}

/** A line per bucket for a fleet on a terminal: `bucket 2/4: 120/300 users (40%)`. */
export function describeBuckets(buckets: readonly BucketProgress[], partitions: number): string[] {
  return buckets.map((b) => {
    const known = Number.isFinite(b.planned) && b.planned > 0;
    return `bucket ${b.partition}/${partitions}: ${count(b.done)}${known ? `/${count(b.planned)} users (${Math.floor((100 * b.done) / b.planned)}%)` : ' users'}`;
  });
}
