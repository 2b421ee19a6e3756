import type { PartitionRow } from '../../src/partition/plan.ts';
import type { RunRecord } from '../../src/sinks/row.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import { heartbeat, row, runRecord } from './rows.ts';

/**
 * Warehouses for the progress views (partition_progress, overall_progress), written through a sink so
 * that both warehouses get the same rows: test/monitor/progress-views.test.ts checks the figures, and
 * test/sinks/bigquery/views.test.ts that BigQuery gives the same.
 */

/** A plan of `n` equal numeric buckets over users 1..100. */
function plan(id: string, n: number, created: string): PartitionRow[] {
  return Array.from({ length: n }, (_, i) => ({
    plan_id: id,
    partition_id: i + 1,
    partitions: n,
    user_count: 100 / n,
    min_id: String((i * 100) / n + 1),
    max_id: String(((i + 1) * 100) / n),
    expected_pages: null,
    id_kind: 'numeric' as const,
    balance: 'count',
    created_at: new Date(created),
  }));
}

const T = Date.UTC(2026, 0, 1, 10);
const finished = (over: Partial<RunRecord> & Pick<RunRecord, 'run_id'>) => runRecord({ state: 'finished', started_at: new Date(T), ...over });

/** Users 1-53 collected under a plan of 10 buckets (their rows say partition 1-6), then a plan of 4 stored. */
export async function writeRepartitioned(db: Sink): Promise<void> {
  await db.writePlan(plan('ten', 10, '2026-01-01T09:00:00Z'));
  for (let k = 1; k <= 6; k++) await db.writeRun(finished({ run_id: `old${k}`, partition_id: k, partitions: 10, bucket_users: 10 }));
  for (let u = 1; u <= 53; u++)
    await db.write(row({ user_id: String(u), run_id: `old${Math.ceil(u / 10)}`, partition_id: Math.ceil(u / 10), start_at: new Date(T + u * 1000), end_at: new Date(T + u * 1000 + 500) }));
  await db.flush();
  await db.writePlan(plan('four', 4, '2026-01-02T09:00:00Z'));
}

/**
 * No stored plan. twitter-api ran PARTITION=1/2, then over the whole table (stopped after 20 users);
 * bluesky ran two MIN_USER_ID/MAX_USER_ID ranges of DIDs.
 */
export async function writeWithoutPlan(db: Sink): Promise<void> {
  await db.writeRun(finished({ run_id: 'a1', source: 'twitter-api', partition_id: 1, partitions: 2, min_id: '1', max_id: '50', bucket_users: 50 }));
  await db.writeRun(finished({ run_id: 'a2', source: 'twitter-api', partition_id: null, partitions: null, bucket_users: 500, state: 'interrupted', started_at: new Date(T + 3_600_000) }));
  for (let u = 1; u <= 20; u++) await db.write(row({ user_id: String(u * 7), run_id: 'a2', source: 'twitter-api', partition_id: null }));
  await db.writeRun(finished({ run_id: 'b1', source: 'bluesky', partition_id: null, partitions: null, min_id: 'did:plc:a', max_id: 'did:plc:mzzz', bucket_users: 3 }));
  await db.writeRun(finished({ run_id: 'b2', source: 'bluesky', partition_id: null, partitions: null, min_id: 'did:plc:n', max_id: 'did:plc:zzzz', bucket_users: 2 }));
  for (const did of ['did:plc:abc', 'did:plc:kkk', 'did:plc:mmm', 'did:plc:xyz']) await db.write(row({ user_id: did, run_id: did < 'did:plc:n' ? 'b1' : 'b2', source: 'bluesky', partition_id: null }));
  await db.flush();
}

/**
 * A plan of two buckets, each with a live run whose heartbeat came 2 s before `now`. Bucket 1: a user
 * 20 minutes earlier, then 30 users in the 300 s up to the heartbeat, one every 10 s. Bucket 2: 5 users
 * in the last minute; `more` adds five more.
 */
export async function writeLiveBuckets(db: Sink, now: number): Promise<void> {
  const beatAt = now - 2000;
  await db.writePlan(plan('two', 2, '2026-01-01T09:00:00Z'));
  for (const k of [1, 2]) {
    await db.writeRun(
      runRecord({
        run_id: `live${k}`,
        partition_id: k,
        partitions: 2,
        min_id: k === 1 ? '1' : '51',
        max_id: k === 1 ? '50' : '100',
        settings: '{"heartbeatInterval":30000}',
        state: 'running',
        ended_at: null,
        started_at: new Date(now - 3_600_000),
      }),
    );
    await db.writeHeartbeat(heartbeat({ run_id: `live${k}`, partition_id: k, beat_at: new Date(beatAt), requests: 1 }));
  }
  await db.write(row({ user_id: '1', run_id: 'live1', start_at: new Date(beatAt - 1_200_000), end_at: new Date(beatAt - 1_190_000) }));
  for (let k = 1; k <= 30; k++)
    await db.write(row({ user_id: String(k + 1), run_id: 'live1', start_at: new Date(beatAt - 300_000 + (k - 1) * 10_000), end_at: new Date(beatAt - 300_000 + k * 10_000) }));
  await writeBucketTwoUsers(db, now, 1, 5);
}

/** Users 50+from .. 50+to of bucket 2, finished one a second from a minute before the heartbeat. */
export async function writeBucketTwoUsers(db: Sink, now: number, from: number, to: number): Promise<void> {
  const beatAt = now - 2000;
  for (let k = from; k <= to; k++)
    await db.write(row({ user_id: String(50 + k), run_id: 'live2', partition_id: 2, start_at: new Date(beatAt - 60_000), end_at: new Date(beatAt - 60_000 + k * 1000) }));
  await db.flush();
}
