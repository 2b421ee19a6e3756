import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sqlParser from 'node-sql-parser';
import { DuckDbSink } from '../../src/sinks/duckdb/sink.ts';
import { tempDir } from '../support/tmp.ts';
import { at, writeKnownRows } from '../support/known-rows.ts';
import { heartbeat, row, runRecord } from '../support/rows.ts';

const dir = tempDir();
const VIEWS = ['trial_summary', 'partition_progress', 'overall_progress', 'status_breakdown', 'throughput_timeline', 'short_lists', 'completeness', 'worker_status', 'failure_examples'] as const;

/** The known rows of test/support/known-rows.ts in a fresh embedded warehouse. */
async function knownWarehouse(): Promise<DuckDbSink> {
  const db = new DuckDbSink(join(dir, `known-${Math.random()}.duckdb`));
  await db.open();
  await writeKnownRows(db);
  return db;
}

describe('monitoring views (DuckDB) on known rows', () => {
  it('short_lists and completeness: ok lists shorter than the users table says, beyond the tolerance', async () => {
    const db = await knownWarehouse();
    try {
      // User 1: 100 of 150 (50 missing > max(5, 15)); user 2: 300 of 305, within; users 50 and 51 have no count.
      expect(await db.query(`SELECT user_id, friend_count, expected_count, missing, missing_share FROM short_lists`)).toEqual([
        { user_id: '1', friend_count: 100, expected_count: 150n, missing: 50n, missing_share: 50 / 150 },
      ]);
      expect(await db.query(`SELECT * FROM completeness`)).toEqual([{ source: 'twitter-html', ok_users: 4n, with_expected: 2n, short_lists: 1n, missing_accounts: 50n, short_share: 0.5 }]);
    } finally {
      await db.close();
    }
  });

  it('trial_summary: the reference columns per run', async () => {
    const db = await knownWarehouse();
    try {
      const [r1] = await db.query(`SELECT * FROM trial_summary WHERE run_id = 'r1'`);
      expect(r1).toMatchObject({
        source: 'twitter-html',
        worker: 'w1',
        partition_id: 1,
        tier: 'standard-1x',
        users_limit: 100n,
        batch_size: 20n,
        threads: 50n,
        outcome: 'finished',
        first_start: at('2026-01-01T10:00:00Z'),
        last_end: at('2026-01-01T10:06:00Z'),
        rows: 4n,
        distinct_users: 4n,
        runtime_minutes: 6,
        // (30 + 60 + 10 + 60) s / 4
        avg_seconds_per_user: 40,
        avg_friends: 200,
        users_per_minute: 4 / 6,
        users_per_hour: 40,
        users_per_day: 960,
        ok: 2n,
        protected: 1n,
        not_found: 0n,
        suspended: 0n,
        failed: 1n,
      });
      const [r2] = await db.query(`SELECT outcome, tier, threads, users_limit FROM trial_summary WHERE run_id = 'r2'`);
      expect(r2).toEqual({ outcome: 'interrupted', tier: null, threads: 7n, users_limit: null });
    } finally {
      await db.close();
    }
  });

  it("partition_progress: the stored plan's buckets, users counted by ID range, state from the runs on them", async () => {
    const db = await knownWarehouse();
    try {
      const rows = await db.query(`SELECT * FROM partition_progress ORDER BY partition_id`);
      // r-running (the whole table, beat 5 s ago) covers both buckets; users 1-4 fall in 1..10, 50 and 51 in 11..60.
      // User 51 started 100 s ago: one user in 95 s of activity up to that heartbeat, too few for a rate.
      const common = { source: 'twitter-html', partitions: 2, running: 1n, stalled: 0n, state: 'running', users_per_hour: null, eta_hours: null, active_seconds: null };
      expect(rows).toEqual([
        {
          ...common,
          bucket: 'p1',
          partition_id: 1,
          min_id: '1',
          max_id: '10',
          assigned: 10n,
          processed: 4n,
          failed: 1n,
          remaining: 6n,
          percent: 40,
          avg_friends: 200,
          avg_run_seconds: 40,
          recent_users: 0n,
          last_activity_at: rows[0]!.last_activity_at,
        },
        {
          ...common,
          bucket: 'p2',
          partition_id: 2,
          min_id: '11',
          max_id: '60',
          assigned: 5n,
          processed: 2n,
          failed: 0n,
          remaining: 3n,
          percent: 40,
          avg_friends: 50,
          avg_run_seconds: 30,
          recent_users: 1n,
          active_seconds: 95,
          last_activity_at: rows[1]!.last_activity_at,
        },
      ]);
      // The last activity is the live run's newest heartbeat, newer than any row.
      const [beat] = await db.query(`SELECT last_beat_at FROM worker_status WHERE run_id = 'r-running'`);
      expect(rows.map((r) => r.last_activity_at)).toEqual([beat!.last_beat_at, beat!.last_beat_at]);
    } finally {
      await db.close();
    }
  });

  it('status_breakdown: latest status by error class', async () => {
    const db = await knownWarehouse();
    try {
      const rows = await db.query(`SELECT * FROM status_breakdown ORDER BY users DESC, status`);
      expect(rows).toEqual([
        { source: 'twitter-html', status: 'ok', error_class: 'ok', users: 4n, percent: (100 * 4) / 6 },
        { source: 'twitter-html', status: 'failed', error_class: 'FF_SOURCE_TRANSIENT', users: 1n, percent: (100 * 1) / 6 },
        { source: 'twitter-html', status: 'protected', error_class: 'protected', users: 1n, percent: (100 * 1) / 6 },
      ]);
    } finally {
      await db.close();
    }
  });

  it('two sources in one warehouse: each user once per source in the latest rows, progress and statuses per source', async () => {
    const db = await knownWarehouse();
    try {
      // Run r9 collected users 1 and 4 of bucket 1 from bluesky: user 4 failed on twitter-html, is ok here.
      await db.writeRun(runRecord({ run_id: 'r9', source: 'bluesky', state: 'finished', bucket_users: 10, started_at: at('2026-01-02T00:00:00Z') }));
      await db.write(row({ user_id: '1', run_id: 'r9', source: 'bluesky', status: 'failed', error: 'FF_SOURCE_TRANSIENT: server error 502' }));
      await db.write(row({ user_id: '4', run_id: 'r9', source: 'bluesky' }));
      await db.flush();
      expect(await db.query(`SELECT source, user_id, status FROM user_friends_latest WHERE user_id IN ('1', '4') ORDER BY source, user_id`)).toEqual([
        { source: 'bluesky', user_id: '1', status: 'failed' },
        { source: 'bluesky', user_id: '4', status: 'ok' },
        { source: 'twitter-html', user_id: '1', status: 'ok' },
        { source: 'twitter-html', user_id: '4', status: 'failed' },
      ]);
      expect(await db.query(`SELECT source, partition_id, assigned, processed, state FROM partition_progress ORDER BY partition_id, source`)).toEqual([
        { source: 'bluesky', partition_id: 1, assigned: 10n, processed: 2n, state: 'stopped' },
        { source: 'twitter-html', partition_id: 1, assigned: 10n, processed: 4n, state: 'running' },
        { source: 'bluesky', partition_id: 2, assigned: 5n, processed: 0n, state: 'waiting' },
        { source: 'twitter-html', partition_id: 2, assigned: 5n, processed: 2n, state: 'running' },
      ]);
      expect(await db.query(`SELECT source, buckets, assigned, processed, state FROM overall_progress ORDER BY source`)).toEqual([
        { source: 'bluesky', buckets: 2n, assigned: 15n, processed: 2n, state: 'stopped' },
        { source: 'twitter-html', buckets: 2n, assigned: 15n, processed: 6n, state: 'running' },
      ]);
      expect(await db.query(`SELECT status, users, percent FROM status_breakdown WHERE source = 'bluesky' ORDER BY status`)).toEqual([
        { status: 'failed', users: 1n, percent: 50 },
        { status: 'ok', users: 1n, percent: 50 },
      ]);
      expect(await db.query(`SELECT run_id, source FROM trial_summary WHERE run_id = 'r9'`)).toEqual([{ run_id: 'r9', source: 'bluesky' }]);
    } finally {
      await db.close();
    }
  });

  it('throughput_timeline: users and requests per 10-minute slot per worker', async () => {
    const db = await knownWarehouse();
    try {
      const rows = await db.query(`SELECT * FROM throughput_timeline WHERE slot_start < TIMESTAMPTZ '2026-06-01' ORDER BY worker, slot_start`);
      expect(rows).toEqual([
        { worker: 'w1', slot_start: at('2026-01-01T10:00:00Z'), users: 4n, friends: 400n, requests: 12n },
        { worker: 'w1', slot_start: at('2026-01-01T10:10:00Z'), users: 0n, friends: 0n, requests: 8n },
        { worker: 'w2', slot_start: at('2026-01-01T10:00:00Z'), users: 1n, friends: 40n, requests: 0n },
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('fleet views (DuckDB) on known rows', () => {
  it('worker_status: the last heartbeat of each run; running, stalled when heartbeats stop, lost once a newer run took the bucket', async () => {
    const now = new Date();
    const db = new DuckDbSink(join(dir, `live-${Math.random()}.duckdb`));
    await db.open();
    try {
      await writeKnownRows(db, now);
      const rows = await db.query(`SELECT run_id, worker, state, last_beat_at, heartbeat_seconds, users_done, requests, rate_limited, rate_limit_wait_seconds FROM worker_status ORDER BY run_id`);
      expect(rows).toEqual([
        { run_id: 'r-lost', worker: 'w5', state: 'lost', last_beat_at: null, heartbeat_seconds: 30, users_done: 0n, requests: 0n, rate_limited: 0n, rate_limit_wait_seconds: null },
        {
          run_id: 'r-running',
          worker: 'w4',
          state: 'running',
          last_beat_at: new Date(now.getTime() - 5_000),
          heartbeat_seconds: 30,
          users_done: 12n,
          requests: 30n,
          rate_limited: 0n,
          rate_limit_wait_seconds: 0.5,
        },
        {
          run_id: 'r-stalled',
          worker: 'w3',
          state: 'stalled',
          last_beat_at: new Date(now.getTime() - 600_000),
          heartbeat_seconds: 30,
          users_done: 7n,
          requests: 20n,
          rate_limited: 4n,
          rate_limit_wait_seconds: 9,
        },
        { run_id: 'r1', worker: 'w1', state: 'finished', last_beat_at: at('2026-01-01T10:10:00Z'), heartbeat_seconds: 30, users_done: 0n, requests: 20n, rate_limited: 0n, rate_limit_wait_seconds: 0 },
        { run_id: 'r2', worker: 'w2', state: 'interrupted', last_beat_at: null, heartbeat_seconds: 30, users_done: 0n, requests: 0n, rate_limited: 0n, rate_limit_wait_seconds: null },
      ]);
    } finally {
      await db.close();
    }
  });

  it('worker_status: stalled after three heartbeat intervals, at least 10 s', async () => {
    const now = Date.now();
    const db = new DuckDbSink(join(dir, `beats-${Math.random()}.duckdb`));
    await db.open();
    try {
      // [interval, last beat seconds ago] → state: 3 × 1 s is below the 10 s floor; 3 × 60 s is 3 minutes.
      const cases = [
        [1000, 5, 'running'],
        [1000, 12, 'stalled'],
        [60_000, 150, 'running'],
        [60_000, 200, 'stalled'],
      ] as const;
      for (const [k, [interval, secondsAgo]] of cases.entries()) {
        await db.writeRun(
          runRecord({ run_id: `s${k}`, partition_id: k + 1, settings: JSON.stringify({ heartbeatInterval: interval }), state: 'running', ended_at: null, started_at: new Date(now - 3_600_000) }),
        );
        await db.writeHeartbeat(heartbeat({ run_id: `s${k}`, beat_at: new Date(now - secondsAgo * 1000), requests: 1 }));
      }
      // A run that never beat counts from its start.
      await db.writeRun(runRecord({ run_id: 's9', partition_id: 9, settings: '{}', state: 'running', ended_at: null, started_at: new Date(now - 60_000) }));
      const states = await db.query(`SELECT run_id, state FROM worker_status ORDER BY run_id`);
      expect(states.map((r) => r.state)).toEqual([...cases.map((c) => c[2]), 'running']);
    } finally {
      await db.close();
    }
  });

  it('failure_examples: failed users by error class, the three newest of each as examples', async () => {
    const db = await knownWarehouse();
    try {
      for (let i = 0; i < 5; i++) {
        await db.write(row({ user_id: `9${i}`, run_id: 'r10', status: 'failed', error: `FF_SOURCE_INVALID_RESPONSE: page ${i} unreadable`, end_at: new Date(Date.UTC(2026, 0, 2, 0, i)) }));
      }
      await db.write(row({ user_id: '99', run_id: 'r10', status: 'failed', error: 'socket hang up', end_at: new Date(Date.UTC(2026, 0, 2)) }));
      await db.flush();
      const rows = await db.query(`SELECT error_class, users, example, user_id, error FROM failure_examples ORDER BY users DESC, error_class, example`);
      expect(rows).toEqual([
        { error_class: 'FF_SOURCE_INVALID_RESPONSE', users: 5n, example: 1n, user_id: '94', error: 'FF_SOURCE_INVALID_RESPONSE: page 4 unreadable' },
        { error_class: 'FF_SOURCE_INVALID_RESPONSE', users: 5n, example: 2n, user_id: '93', error: 'FF_SOURCE_INVALID_RESPONSE: page 3 unreadable' },
        { error_class: 'FF_SOURCE_INVALID_RESPONSE', users: 5n, example: 3n, user_id: '92', error: 'FF_SOURCE_INVALID_RESPONSE: page 2 unreadable' },
        { error_class: 'FF_SOURCE_TRANSIENT', users: 1n, example: 1n, user_id: '4', error: 'FF_SOURCE_TRANSIENT: server error 503 (gave up after 5 retries)' },
        { error_class: 'other', users: 1n, example: 1n, user_id: '99', error: 'socket hang up' },
      ]);
    } finally {
      await db.close();
    }
  });
});

/** Output column names of the outermost SELECT of a CREATE VIEW statement. */
function viewColumns(sql: string): string[] {
  const parser = new sqlParser.Parser();
  const ast = parser.astify(sql, { database: 'bigquery' }) as unknown as { type: string; select?: { columns: { as: string | null; expr: { column?: string | { expr: { value: string } } } }[] } };
  const stmt = Array.isArray(ast) ? ast[0] : ast;
  expect(stmt.type).toBe('create');
  return stmt.select.columns.map((c: { as: string | null; expr: { column?: unknown } }) => {
    if (c.as) return c.as;
    const col = c.expr.column;
    return typeof col === 'string' ? col : (col as { expr: { value: string } }).expr.value;
  });
}

describe('monitoring views (BigQuery)', () => {
  const folder = new URL('../../src/sinks/bigquery/views/', import.meta.url);
  const files = readdirSync(folder).filter((f) => /^6\d-.*\.sql$/.test(f));

  it('has one file per monitoring view', () => {
    expect(files.map((f) => f.replace(/^\d+-/, '').replace('.sql', '').replaceAll('-', '_')).sort()).toEqual([...VIEWS].sort());
  });

  it.each(VIEWS)('%s parses as BigQuery SQL and names the same columns as the DuckDB view', async (view) => {
    const file = files.find((f) => f.includes(view.replaceAll('_', '-')))!;
    const sql = readFileSync(new URL(file, folder), 'utf8').replaceAll('{{project}}', 'proj').replaceAll('{{dataset}}', 'ds');
    expect(sql).toContain(`CREATE OR REPLACE VIEW \`proj.ds.${view}\``);
    const db = await knownWarehouse();
    try {
      const duck = (await db.query(`DESCRIBE ${view}`)).map((r) => String(r.column_name));
      expect(viewColumns(sql)).toEqual(duck);
    } finally {
      await db.close();
    }
  });
});
