import type { HeartbeatRow, RunRecord, UserFriendsRow } from '../../src/sinks/row.ts';

/** A user_friends row with sensible defaults, for building known warehouses in tests. */
export function row(over: Partial<UserFriendsRow> & Pick<UserFriendsRow, 'user_id' | 'run_id'>): UserFriendsRow {
  const ok = (over.status ?? 'ok') === 'ok';
  return {
    screen_name: `u${over.user_id}`,
    friend_count: ok ? 10 : null,
    friend_names: ok ? Array.from({ length: over.friend_count ?? 10 }, (_, i) => `f${i}`) : null,
    friend_ids: null,
    expected_count: null,
    status: 'ok',
    error: null,
    truncated: false,
    pages: 1,
    partition_id: 1,
    worker: 'w1',
    source: 'twitter-html',
    start_at: new Date(0),
    end_at: new Date(1000),
    ...over,
  };
}

export function runRecord(over: Partial<RunRecord> & Pick<RunRecord, 'run_id'>): RunRecord {
  return {
    worker: 'w1',
    source: 'twitter-html',
    partition_id: 1,
    partitions: 2,
    min_id: null,
    max_id: null,
    settings: '{}',
    bucket_users: 0,
    state: 'finished',
    started_at: new Date(0),
    ended_at: new Date(1000),
    users_planned: 0,
    users_done: 0,
    users_saved: 0,
    users_ok: 0,
    users_protected: 0,
    users_not_found: 0,
    users_suspended: 0,
    users_failed: 0,
    friends: 0,
    pages: 0,
    requests: 0,
    retries: 0,
    rate_limited: 0,
    dead_letters: 0,
    error: null,
    ...over,
  };
}

export function heartbeat(over: Partial<HeartbeatRow> & Pick<HeartbeatRow, 'run_id' | 'beat_at' | 'requests'>): HeartbeatRow {
  return {
    worker: 'w1',
    partition_id: 1,
    users_planned: 0,
    users_done: 0,
    users_saved: 0,
    friends: 0,
    pages: 0,
    retries: 0,
    rate_limited: 0,
    rate_limit_wait_ms: 0,
    rss_mb: 100,
    ...over,
  };
}
