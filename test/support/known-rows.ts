import type { Sink } from '../../src/sinks/sink.ts';
import { heartbeat, row, runRecord } from './rows.ts';

export const at = (iso: string) => new Date(iso);

/**
 * Known rows for the monitoring views, written through a sink (so both warehouses get the same). A stored
 * plan of two buckets: 1..10 (10 users) and 11..60 (5 users). Run r1 (partition 1): 4 users from 10:00
 * to 10:06, statuses ok ok protected failed. Run r2 (partition 2): 2 ok users, the second finished a minute ago
 * (so within the last hour). Users 1 and 2 have the users table's following count: user 1's list is
 * short of it (100 of 150), user 2's within the tolerance (300 of 305).
 */
export async function writeKnownRows(db: Sink, now: Date = new Date()): Promise<void> {
  const recent = new Date(now.getTime() - 60_000);
  const rows = [
    row({ user_id: '1', run_id: 'r1', start_at: at('2026-01-01T10:00:00Z'), end_at: at('2026-01-01T10:00:30Z'), friend_count: 100, expected_count: 150 }),
    row({ user_id: '2', run_id: 'r1', start_at: at('2026-01-01T10:01:00Z'), end_at: at('2026-01-01T10:02:00Z'), friend_count: 300, expected_count: 305 }),
    row({ user_id: '3', run_id: 'r1', status: 'protected', error: 'account is protected', start_at: at('2026-01-01T10:03:00Z'), end_at: at('2026-01-01T10:03:10Z') }),
    row({
      user_id: '4',
      run_id: 'r1',
      status: 'failed',
      error: 'FF_SOURCE_TRANSIENT: server error 503 (gave up after 5 retries)',
      start_at: at('2026-01-01T10:05:00Z'),
      end_at: at('2026-01-01T10:06:00Z'),
    }),
    row({ user_id: '50', run_id: 'r2', partition_id: 2, worker: 'w2', start_at: at('2026-01-01T10:00:00Z'), end_at: at('2026-01-01T10:00:20Z'), friend_count: 40 }),
    row({ user_id: '51', run_id: 'r2', partition_id: 2, worker: 'w2', start_at: new Date(recent.getTime() - 40_000), end_at: recent, friend_count: 60 }),
  ];
  for (const r of rows) await db.write(r);
  await db.flush();
  const settings = JSON.stringify({ tier: 'standard-1x', usersLimit: 100, batchSize: 20, maxThreads: 50 });
  await db.writeRun(runRecord({ run_id: 'r1', settings, state: 'running', bucket_users: 10, started_at: at('2026-01-01T09:59:00Z') }));
  await db.writeRun(runRecord({ run_id: 'r1', settings, state: 'finished', bucket_users: 10, started_at: at('2026-01-01T09:59:00Z') }));
  await db.writeRun(runRecord({ run_id: 'r2', worker: 'w2', partition_id: 2, settings: '{"maxThreads":7}', state: 'interrupted', bucket_users: 5, started_at: at('2026-01-01T09:59:00Z') }));
  await db.writePlan([
    { plan_id: 'p', partition_id: 1, partitions: 2, user_count: 10, min_id: '1', max_id: '10', expected_pages: 10, id_kind: 'numeric', balance: 'work', created_at: at('2026-01-01T09:00:00Z') },
    { plan_id: 'p', partition_id: 2, partitions: 2, user_count: 5, min_id: '11', max_id: '60', expected_pages: 5, id_kind: 'numeric', balance: 'work', created_at: at('2026-01-01T09:00:00Z') },
  ]);
  for (const [t, requests] of [
    ['2026-01-01T10:01:00Z', 5],
    ['2026-01-01T10:09:59Z', 12],
    ['2026-01-01T10:10:00Z', 20],
  ] as const) {
    await db.writeHeartbeat(heartbeat({ run_id: 'r1', beat_at: at(t), requests }));
  }
  await writeLiveRuns(db, now);
}

const ago = (now: Date, ms: number) => new Date(now.getTime() - ms);

/**
 * Runs still `running` in the runs table, as `now` sees them: r-stalled (worker w3, an ID range) last
 * beat 10 minutes ago with a 30 s heartbeat interval; r-running (worker w4, the whole table) beat 5 s
 * ago; r-lost (partition 2) started before r2 took its bucket and never beat.
 */
async function writeLiveRuns(db: Sink, now: Date): Promise<void> {
  const settings = JSON.stringify({ heartbeatInterval: 30_000 });
  await db.writeRun(
    runRecord({ run_id: 'r-stalled', worker: 'w3', partition_id: null, partitions: null, min_id: '100', max_id: '200', settings, state: 'running', ended_at: null, started_at: ago(now, 20 * 60_000) }),
  );
  await db.writeRun(runRecord({ run_id: 'r-running', worker: 'w4', partition_id: null, partitions: null, settings, state: 'running', ended_at: null, started_at: ago(now, 5 * 60_000) }));
  await db.writeRun(runRecord({ run_id: 'r-lost', worker: 'w5', partition_id: 2, settings, state: 'running', ended_at: null, started_at: at('2026-01-01T09:00:00Z') }));
  await db.writeHeartbeat(heartbeat({ run_id: 'r-stalled', worker: 'w3', partition_id: null, beat_at: ago(now, 11 * 60_000), users_done: 3, requests: 9, rate_limited: 1, rate_limit_wait_ms: 2000 }));
  await db.writeHeartbeat(heartbeat({ run_id: 'r-stalled', worker: 'w3', partition_id: null, beat_at: ago(now, 10 * 60_000), users_done: 7, requests: 20, rate_limited: 4, rate_limit_wait_ms: 9000 }));
  await db.writeHeartbeat(heartbeat({ run_id: 'r-running', worker: 'w4', partition_id: null, beat_at: ago(now, 5_000), users_done: 12, requests: 30, rate_limited: 0, rate_limit_wait_ms: 500 }));
}
