import type { UserResult, UserStatus } from '../collector/result.ts';
import type { StatsSnapshot } from '../collector/stats.ts';
import { redact } from '../core/secrets.ts';

/**
 * One row of `user_friends`: one attempt at one user. Column names are the reference's
 * (`user_id, screen_name, friend_count, start_at, end_at`) plus what resuming and monitoring need.
 */
export interface UserFriendsRow {
  user_id: string;
  screen_name: string | null;
  /** Accounts collected (capped at MAX_FRIENDS); null unless status is `ok`, never a silent 0. */
  friend_count: number | null;
  /** Screen names followed; null unless `ok`. */
  friend_names: string[] | null;
  /** IDs followed, aligned with friend_names; null when the source gives no IDs or status is not `ok`. */
  friend_ids: string[] | null;
  /**
   * How many accounts the user follows by the users table's `friends_count`, read at another time than
   * the list; null when the table has no count. The `short_lists` view compares it with friend_count.
   */
  expected_count: number | null;
  status: UserStatus;
  error: string | null;
  truncated: boolean;
  pages: number;
  partition_id: number | null;
  run_id: string;
  worker: string;
  source: string;
  start_at: Date;
  end_at: Date;
}

export const USER_FRIENDS_COLUMNS = [
  'user_id',
  'screen_name',
  'friend_count',
  'friend_names',
  'friend_ids',
  'status',
  'error',
  'truncated',
  'pages',
  'partition_id',
  'run_id',
  'worker',
  'source',
  'start_at',
  'end_at',
  'expected_count',
] as const satisfies readonly (keyof UserFriendsRow)[];

/**
 * The list columns. NULL in a row (names of a user who is not `ok`, IDs from a source that gives none);
 * BigQuery's REPEATED columns cannot hold NULL, so its sink sends [] for them.
 */
export const USER_FRIENDS_LIST_COLUMNS = ['friend_names', 'friend_ids'] as const satisfies readonly (keyof UserFriendsRow)[];

/** Who wrote a row: fixed for a run. */
export interface RowContext {
  run_id: string;
  worker: string;
  source: string;
  partition_id: number | null;
}

export function toRow(result: UserResult, context: RowContext): UserFriendsRow {
  const ok = result.status === 'ok';
  const ids = result.accounts.map((a) => a.id);
  return {
    user_id: result.user.id,
    screen_name: result.user.screenName ?? null,
    friend_count: ok ? result.accounts.length : null,
    friend_names: ok ? result.accounts.map((a) => a.screenName) : null,
    friend_ids: ok && ids.length > 0 && ids.every((id) => id !== undefined) ? ids : null,
    expected_count: result.user.friendsCount ?? null,
    status: result.status,
    // A server may quote a token back in its error: no kept secret reaches the warehouse.
    error: result.error === undefined ? null : redact(result.error),
    truncated: result.truncated,
    pages: result.pages,
    partition_id: context.partition_id,
    run_id: context.run_id,
    worker: context.worker,
    source: context.source,
    start_at: result.startAt,
    end_at: result.endAt,
  };
}

/** The lifecycle of a run as recorded in the runs table (append-only: one row per state change). */
export type RunState = 'running' | 'finished' | 'interrupted' | 'failed';

export const RUN_COLUMNS = [
  'run_id',
  'worker',
  'source',
  'partition_id',
  'partitions',
  'min_id',
  'max_id',
  'settings',
  'bucket_users',
  'state',
  'started_at',
  'ended_at',
  'users_planned',
  'users_done',
  'users_saved',
  'users_ok',
  'users_protected',
  'users_not_found',
  'users_suspended',
  'users_failed',
  'friends',
  'pages',
  'requests',
  'retries',
  'rate_limited',
  'dead_letters',
  'error',
] as const satisfies readonly (keyof RunRecord)[];

/** A run's row in the runs table: what is fixed about it, its state, and its totals so far. */
export interface RunRecord extends RunInfo {
  state: RunState;
  ended_at: Date | null;
  users_planned: number | null;
  users_done: number;
  users_saved: number;
  users_ok: number;
  users_protected: number;
  users_not_found: number;
  users_suspended: number;
  users_failed: number;
  friends: number;
  pages: number;
  requests: number;
  retries: number;
  rate_limited: number;
  dead_letters: number;
  error: string | null;
}

/** A worker's cumulative counters at one moment (the heartbeats table). */
export interface HeartbeatRow {
  run_id: string;
  worker: string;
  partition_id: number | null;
  beat_at: Date;
  users_planned: number | null;
  users_done: number;
  users_saved: number;
  friends: number;
  pages: number;
  requests: number;
  retries: number;
  rate_limited: number;
  /** Milliseconds requests waited for the rate-limit budget (its window, and pauses after a 429), summed over requests. */
  rate_limit_wait_ms: number;
  rss_mb: number;
}

export const HEARTBEAT_COLUMNS = [
  'run_id',
  'worker',
  'partition_id',
  'beat_at',
  'users_planned',
  'users_done',
  'users_saved',
  'friends',
  'pages',
  'requests',
  'retries',
  'rate_limited',
  'rate_limit_wait_ms',
  'rss_mb',
] as const satisfies readonly (keyof HeartbeatRow)[];

/** What is fixed about a run, for its runs-table and heartbeat rows. */
export interface RunInfo {
  run_id: string;
  worker: string;
  source: string;
  partition_id: number | null;
  partitions: number | null;
  min_id: string | null;
  max_id: string | null;
  /** Settings of the run as JSON text, secrets removed. */
  settings: string;
  /** Users in the bucket when the run started, collected or not. */
  bucket_users: number;
  started_at: Date;
}

export function toRunRecord(info: RunInfo, s: StatsSnapshot, state: RunState, error: string | null, now: Date = new Date()): RunRecord {
  return {
    ...info,
    state,
    ended_at: state === 'running' ? null : now,
    users_planned: s.usersPlanned ?? null,
    users_done: s.usersDone,
    users_saved: s.usersSaved,
    users_ok: s.byStatus.ok,
    users_protected: s.byStatus.protected,
    users_not_found: s.byStatus.not_found,
    users_suspended: s.byStatus.suspended,
    users_failed: s.byStatus.failed,
    friends: s.friends,
    pages: s.pages,
    requests: s.requests,
    retries: s.retries,
    rate_limited: s.rateLimited,
    dead_letters: s.deadLetters,
    error: error === null ? null : redact(error),
  };
}

export function toHeartbeat(info: RunInfo, s: StatsSnapshot, at: Date = new Date()): HeartbeatRow {
  return {
    run_id: info.run_id,
    worker: info.worker,
    partition_id: info.partition_id,
    beat_at: at,
    users_planned: s.usersPlanned ?? null,
    users_done: s.usersDone,
    users_saved: s.usersSaved,
    friends: s.friends,
    pages: s.pages,
    requests: s.requests,
    retries: s.retries,
    rate_limited: s.rateLimited,
    rate_limit_wait_ms: Math.round(s.rateLimitWaitMs),
    rss_mb: s.rssMb,
  };
}
