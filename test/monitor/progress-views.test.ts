import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../src/sinks/duckdb/sink.ts';
import { writeBucketTwoUsers, writeLiveBuckets, writeRepartitioned, writeWithoutPlan } from '../support/progress-scenarios.ts';
import { heartbeat, runRecord } from '../support/rows.ts';
import { tempDir } from '../support/tmp.ts';

const dir = tempDir();

async function warehouse(): Promise<DuckDbSink> {
  const db = new DuckDbSink(join(dir, `progress-${Math.random()}.duckdb`));
  await db.open();
  return db;
}

describe('progress by the current buckets', () => {
  it('a re-partitioned warehouse: users count in the new plan’s ID ranges, not by the bucket number their rows carry', async () => {
    const db = await warehouse();
    try {
      await writeRepartitioned(db);
      const buckets = await db.query(`SELECT bucket, min_id, max_id, assigned, processed, remaining, percent, state, eta_hours FROM partition_progress ORDER BY partition_id`);
      expect(buckets).toEqual([
        { bucket: 'p1', min_id: '1', max_id: '25', assigned: 25n, processed: 25n, remaining: 0n, percent: 100, state: 'done', eta_hours: null },
        { bucket: 'p2', min_id: '26', max_id: '50', assigned: 25n, processed: 25n, remaining: 0n, percent: 100, state: 'done', eta_hours: null },
        { bucket: 'p3', min_id: '51', max_id: '75', assigned: 25n, processed: 3n, remaining: 22n, percent: 12, state: 'stopped', eta_hours: null },
        { bucket: 'p4', min_id: '76', max_id: '100', assigned: 25n, processed: 0n, remaining: 25n, percent: 0, state: 'waiting', eta_hours: null },
      ]);
      expect(await db.query(`SELECT source, buckets, assigned, processed, remaining, percent, state, done_buckets, running, stalled, idle, eta_hours FROM overall_progress`)).toEqual([
        { source: 'twitter-html', buckets: 4n, assigned: 100n, processed: 53n, remaining: 47n, percent: 53, state: 'stopped', done_buckets: 2n, running: 0n, stalled: 0n, idle: 2n, eta_hours: null },
      ]);
    } finally {
      await db.close();
    }
  });

  it('a live run on an empty bucket (a number, no range) covers no other bucket', async () => {
    const db = await warehouse();
    try {
      await writeRepartitioned(db);
      await db.writeRun(runRecord({ run_id: 'empty', partition_id: 4, partitions: 4, min_id: null, max_id: null, bucket_users: 0, state: 'running', ended_at: null, started_at: new Date() }));
      await db.writeHeartbeat(heartbeat({ run_id: 'empty', partition_id: 4, beat_at: new Date(), requests: 0 }));
      expect(await db.query(`SELECT state FROM worker_status WHERE run_id = 'empty'`)).toEqual([{ state: 'running' }]);
      expect(await db.query(`SELECT bucket, state, running FROM partition_progress ORDER BY partition_id`)).toEqual([
        { bucket: 'p1', state: 'done', running: 0n },
        { bucket: 'p2', state: 'done', running: 0n },
        { bucket: 'p3', state: 'stopped', running: 0n },
        { bucket: 'p4', state: 'waiting', running: 0n },
      ]);
    } finally {
      await db.close();
    }
  });

  it('runs without a stored plan: the newest runs’ buckets, a run over the whole table, ID ranges of opaque IDs', async () => {
    const db = await warehouse();
    try {
      await writeWithoutPlan(db);
      // twitter-api's newest run took the whole table: its PARTITION=1/2 bucket is an older layout.
      expect(await db.query(`SELECT source, bucket, partition_id, assigned, processed, state FROM partition_progress ORDER BY source, bucket`)).toEqual([
        { source: 'bluesky', bucket: 'did:plc:a..did:plc:mzzz', partition_id: null, assigned: 3n, processed: 3n, state: 'done' },
        { source: 'bluesky', bucket: 'did:plc:n..did:plc:zzzz', partition_id: null, assigned: 2n, processed: 1n, state: 'stopped' },
        { source: 'twitter-api', bucket: 'all', partition_id: null, assigned: 500n, processed: 20n, state: 'stopped' },
      ]);
      expect(await db.query(`SELECT source, buckets, assigned, processed, state FROM overall_progress ORDER BY source`)).toEqual([
        { source: 'bluesky', buckets: 2n, assigned: 5n, processed: 4n, state: 'stopped' },
        { source: 'twitter-api', buckets: 1n, assigned: 500n, processed: 20n, state: 'stopped' },
      ]);
    } finally {
      await db.close();
    }
  });

  it('the rate is recent users over their active time, from 10 users on; the ETA is the remaining users at it, the total’s the latest', async () => {
    const db = await warehouse();
    try {
      const now = Date.now();
      await writeLiveBuckets(db, now);
      // Bucket 1: 30 users in 300 s (the user 20 minutes earlier is outside the 15-minute window).
      const rows = await db.query(`SELECT bucket, processed, recent_users, active_seconds, users_per_hour, eta_hours, state FROM partition_progress ORDER BY partition_id`);
      expect(rows).toEqual([
        { bucket: 'p1', processed: 31n, recent_users: 30n, active_seconds: 300, users_per_hour: 360, eta_hours: 19 / 360, state: 'running' },
        { bucket: 'p2', processed: 5n, recent_users: 5n, active_seconds: 60, users_per_hour: null, eta_hours: null, state: 'running' },
      ]);
      // One running bucket has no rate yet: neither has the total.
      expect(await db.query(`SELECT processed, users_per_hour, eta_hours, state, running FROM overall_progress`)).toEqual([
        { processed: 36n, users_per_hour: null, eta_hours: null, state: 'running', running: 2n },
      ]);

      // Ten users in bucket 2's 60 s: 600 users/h, 40 left. The total: both rates, the later ETA.
      await writeBucketTwoUsers(db, now, 6, 10);
      const [p2] = await db.query(`SELECT users_per_hour, eta_hours FROM partition_progress WHERE bucket = 'p2'`);
      expect(p2).toEqual({ users_per_hour: 600, eta_hours: 40 / 600 });
      expect(await db.query(`SELECT users_per_hour, eta_hours FROM overall_progress`)).toEqual([{ users_per_hour: 960, eta_hours: 40 / 600 }]);
    } finally {
      await db.close();
    }
  });
});
