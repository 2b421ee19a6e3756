import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sqlParser from 'node-sql-parser';
import { DuckDbSink } from '../../src/sinks/duckdb/sink.ts';
import { tempDir } from '../support/tmp.ts';
import { heartbeat, row, runRecord } from '../support/rows.ts';

const dir = tempDir();
const VIEWS = ['trial_summary', 'partition_progress', 'status_breakdown', 'throughput_timeline'] as const;
const at = (iso: string) => new Date(iso);

/**
 * A warehouse with known rows. Run r1 (partition 1, a stored plan of 10 users): 4 users from 10:00 to
 * 10:06, statuses ok ok protected failed. Run r2 (partition 2, no plan, bucket of 5): 2 ok users, the
 * second finished a minute ago (so within the last hour).
 */
async function knownWarehouse(): Promise<DuckDbSink> {
  const db = new DuckDbSink(join(dir, `known-${Math.random()}.duckdb`));
  await db.open();
  const recent = new Date(Date.now() - 60_000);
  const rows = [
    row({ user_id: '1', run_id: 'r1', start_at: at('2026-01-01T10:00:00Z'), end_at: at('2026-01-01T10:00:30Z'), friend_count: 100 }),
    row({ user_id: '2', run_id: 'r1', start_at: at('2026-01-01T10:01:00Z'), end_at: at('2026-01-01T10:02:00Z'), friend_count: 300 }),
    row({ user_id: '3', run_id: 'r1', status: 'protected', error: 'account is protected', start_at: at('2026-01-01T10:03:00Z'), end_at: at('2026-01-01T10:03:10Z') }),
    row({ user_id: '4', run_id: 'r1', status: 'failed', error: 'FF_SOURCE_TRANSIENT: server error 503 (gave up after 5 retries)', start_at: at('2026-01-01T10:05:00Z'), end_at: at('2026-01-01T10:06:00Z') }),
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
  ]);
  for (const [t, requests] of [['2026-01-01T10:01:00Z', 5], ['2026-01-01T10:09:59Z', 12], ['2026-01-01T10:10:00Z', 20]] as const) {
    await db.writeHeartbeat(heartbeat({ run_id: 'r1', beat_at: at(t), requests }));
  }
  return db;
}

describe('monitoring views (DuckDB) on known rows', () => {
  it('trial_summary: the reference columns per run', async () => {
    const db = await knownWarehouse();
    try {
      const [r1] = await db.query(`SELECT * FROM trial_summary WHERE run_id = 'r1'`);
      expect(r1).toMatchObject({
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

  it('partition_progress: assigned from the plan or the run, processed, pace over the last hour, ETA', async () => {
    const db = await knownWarehouse();
    try {
      const rows = await db.query(`SELECT * FROM partition_progress ORDER BY partition_id`);
      expect(rows).toEqual([
        { partition_id: 1, assigned: 10n, processed: 4n, remaining: 6n, percent: 40, avg_friends: 200, avg_run_seconds: 40, users_per_hour_last_hour: 0n, eta_hours: null },
        { partition_id: 2, assigned: 5n, processed: 2n, remaining: 3n, percent: 40, avg_friends: 50, avg_run_seconds: 30, users_per_hour_last_hour: 1n, eta_hours: 3 },
      ]);
    } finally {
      await db.close();
    }
  });

  it('status_breakdown: latest status by error class', async () => {
    const db = await knownWarehouse();
    try {
      const rows = await db.query(`SELECT * FROM status_breakdown ORDER BY users DESC, status`);
      expect(rows).toEqual([
        { status: 'ok', error_class: 'ok', users: 4n, percent: (100 * 4) / 6 },
        { status: 'failed', error_class: 'FF_SOURCE_TRANSIENT', users: 1n, percent: (100 * 1) / 6 },
        { status: 'protected', error_class: 'protected', users: 1n, percent: (100 * 1) / 6 },
      ]);
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
