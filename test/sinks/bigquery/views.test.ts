import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DUCKDB_VIEWS, readMonitorReport } from '../../../src/monitor/report.ts';
import { trialSummary } from '../../../src/monitor/trial-summary.ts';
import { setupBigQuery } from '../../../src/sinks/bigquery/setup.ts';
import { BigQuerySink } from '../../../src/sinks/bigquery/sink.ts';
import { edgesSql } from '../../../src/sinks/duckdb/export.ts';
import { DuckDbSink } from '../../../src/sinks/duckdb/sink.ts';
import { useBigQueryFake } from '../../support/bigquery.ts';
import { STRICT } from '../../support/bigquery-fake/server.ts';
import { writeKnownRows } from '../../support/known-rows.ts';
import { writeBucketTwoUsers, writeLiveBuckets, writeRepartitioned, writeWithoutPlan } from '../../support/progress-scenarios.ts';
import { row } from '../../support/rows.ts';
import { tempDir } from '../../support/tmp.ts';

const dir = tempDir();
const w = await useBigQueryFake();

/**
 * The same rows in both warehouses: the BigQuery views (run in the fake, see its dialect.ts) must give
 * the figures the DuckDB views give, through the code `monitor`, `plan` and `trial` read them with.
 */
describe('monitoring views: BigQuery and DuckDB give the same figures on the same rows', async () => {
  const duck = new DuckDbSink(join(dir, 'known.duckdb'));
  await duck.open();
  await setupBigQuery(w.target('views_ds'));
  const bq = new BigQuerySink(w.target('views_ds'));
  await bq.open();
  // Run r4 collected users 1 and 4 again from another source: its rows are its own, whatever twitter-html's say.
  const extra = [
    row({ user_id: '9007199254740993', run_id: 'r3', partition_id: 3, friend_names: ['a', 'b', 'c'], friend_ids: ['11', '12', '13'], friend_count: 3 }),
    row({ user_id: '9007199254740995', run_id: 'r3', partition_id: 3, friend_names: [], friend_count: 0 }),
    ...[0, 1, 2, 3].map((i) => row({ user_id: `7${i}`, run_id: 'r3', partition_id: 3, status: 'failed', error: `FF_SOURCE_INVALID_RESPONSE: page ${i}`, end_at: new Date(Date.UTC(2026, 0, 3, i)) })),
    row({ user_id: '1', run_id: 'r4', source: 'bluesky', status: 'failed', error: 'FF_SOURCE_TRANSIENT: server error 502', worker: 'w4' }),
    row({ user_id: '4', run_id: 'r4', source: 'bluesky', friend_names: ['x', 'y'], friend_ids: ['91', '92'], friend_count: 2, worker: 'w4' }),
  ];
  const now = new Date();
  for (const db of [duck, bq]) {
    await writeKnownRows(db, now);
    for (const r of extra) await db.write(r);
    await db.flush();
  }

  it('monitor report (every view it reads, and the heartbeats)', async () => {
    const now = new Date();
    const options = { runs: 20, slots: 12 };
    const fromBigQuery = await readMonitorReport(bq, DUCKDB_VIEWS, options, now);
    const fromDuckDb = await readMonitorReport(duck, DUCKDB_VIEWS, options, now);
    // Partition 3 has rows but neither a plan nor a run, so it has no assigned count and is not listed.
    expect(fromBigQuery.partition_progress.map((p) => [p.partition_id, p.source])).toEqual([
      [1, 'twitter-html'],
      [2, 'twitter-html'],
    ]);
    expect(fromBigQuery.trial_summary.map((t) => [t.run_id, t.source])).toEqual(
      expect.arrayContaining([
        ['r1', 'twitter-html'],
        ['r4', 'bluesky'],
      ]),
    );
    expect(fromBigQuery.trial_summary.length).toBe(4);
    expect(fromBigQuery.status_breakdown.filter((b) => b.source === 'bluesky').map((b) => [b.status, b.users, b.percent])).toEqual([
      ['failed', 1, 50],
      ['ok', 1, 50],
    ]);
    expect(fromBigQuery.workers.map((r) => [r.run_id, r.state])).toEqual([
      ['r-running', 'running'],
      ['r-stalled', 'stalled'],
      ['r1', 'finished'],
      ['r2', 'interrupted'],
      ['r-lost', 'lost'],
    ]);
    expect(fromBigQuery.failures.map((r) => [r.source, r.error_class, r.users, r.user_id])).toEqual([
      ['twitter-html', 'FF_SOURCE_INVALID_RESPONSE', 4, '73'],
      ['twitter-html', 'FF_SOURCE_INVALID_RESPONSE', 4, '72'],
      ['twitter-html', 'FF_SOURCE_INVALID_RESPONSE', 4, '71'],
      ['bluesky', 'FF_SOURCE_TRANSIENT', 1, '1'],
      ['twitter-html', 'FF_SOURCE_TRANSIENT', 1, '4'],
    ]);
    expect(fromBigQuery.activity.length).toBeGreaterThan(0);
    expect(fromBigQuery).toEqual(fromDuckDb);
  });

  it('trial summary and the plan query', async () => {
    expect(await trialSummary(bq, 'r1')).toEqual(await trialSummary(duck, 'r1'));
    const sql = `SELECT run_id, users_per_hour, threads, tier FROM trial_summary WHERE outcome = 'finished' AND users_per_hour IS NOT NULL ORDER BY last_end DESC, run_id LIMIT 1`;
    const [b] = await bq.query(sql);
    const [d] = await duck.query(sql);
    expect(b).toEqual(d);
  });

  it('user_friend_edges gives the edges `export` writes from DuckDB', async () => {
    const fromBigQuery = await bq.query(`SELECT * FROM user_friend_edges ORDER BY SAFE_CAST(user_id AS INT64), friend_screen_name`);
    const fromDuckDb = await duck.query(`SELECT * FROM (${edgesSql()}) ORDER BY TRY_CAST(user_id AS HUGEINT), friend_screen_name`);
    expect(fromBigQuery.length).toBeGreaterThan(40);
    expect(fromBigQuery).toEqual(fromDuckDb);
    expect(fromBigQuery.filter((e) => e.user_id === '9007199254740993')).toEqual([
      { user_id: '9007199254740993', friend_screen_name: 'a', friend_id: '11', source: 'twitter-html' },
      { user_id: '9007199254740993', friend_screen_name: 'b', friend_id: '12', source: 'twitter-html' },
      { user_id: '9007199254740993', friend_screen_name: 'c', friend_id: '13', source: 'twitter-html' },
    ]);
    // User 4 failed on twitter-html and is ok on bluesky: its edges are bluesky's only.
    expect(fromBigQuery.filter((e) => e.user_id === '4')).toEqual([
      { user_id: '4', friend_screen_name: 'x', friend_id: '91', source: 'bluesky' },
      { user_id: '4', friend_screen_name: 'y', friend_id: '92', source: 'bluesky' },
    ]);
  });

  it('resume query and collected work', async () => {
    for (const maxAttempts of [1, 3]) {
      expect([...(await bq.completedUserIds('twitter-html', undefined, maxAttempts))].sort()).toEqual([...(await duck.completedUserIds('twitter-html', undefined, maxAttempts))].sort());
    }
    const range = { kind: 'numeric' as const, min: '2', max: '9007199254740993' };
    expect([...(await bq.completedUserIds('twitter-html', range, 3))].sort()).toEqual(['2', '3', '50', '51', '9007199254740993']);
    // Per source: bluesky finished user 4 only (user 1 failed once); twitter-html's rows do not count for it.
    for (const db of [bq, duck]) expect([...(await db.completedUserIds('bluesky', undefined, 3))]).toEqual(['4']);
    expect([...(await bq.completedUserIds('bluesky', undefined, 1))].sort()).toEqual(['1', '4']);
    const sort = (xs: { user_id: string }[]) => [...xs].sort((a, b) => a.user_id.localeCompare(b.user_id));
    expect(sort(await bq.collectedWork('twitter-html'))).toEqual(sort(await duck.collectedWork('twitter-html')));
    expect(await bq.latestPlan()).toEqual(await duck.latestPlan());
  });
});

/**
 * BigQuery de-duplicates insertIds only best effort: a request sent again after its answer was lost
 * may leave two copies of its rows. Here every row, heartbeat and plan row is stored twice (the fake
 * keeps every copy), and the views, the plan read, the resume query and the collected work must give
 * the figures of the embedded warehouse, which holds each once.
 */
describe('every row delivered twice: the BigQuery views still count each once', async () => {
  const duck = new DuckDbSink(join(dir, 'once.duckdb'));
  await duck.open();
  const target = w.target('twice_ds');
  await setupBigQuery(target);
  const bq = new BigQuerySink(target);
  await bq.open();
  const now = new Date();
  await writeKnownRows(duck, now);
  w.fake.setBehaviour({ dedupeMissRate: 1 });
  const copiesBefore = w.fake.stats.copiesStored;
  await writeKnownRows(bq, now);
  await writeKnownRows(bq, now);
  w.fake.setBehaviour(STRICT);

  it('holds two copies of every user row', async () => {
    const [counts] = await bq.query(`SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM user_friends`);
    expect(counts).toEqual({ n: 12n, users: 6n });
    expect(w.fake.stats.copiesStored - copiesBefore).toBeGreaterThanOrEqual(6 + 1 + 3);
  });

  it('monitor report, trial summary and the plan query', async () => {
    const options = { runs: 20, slots: 12 };
    expect(await readMonitorReport(bq, DUCKDB_VIEWS, options, now)).toEqual(await readMonitorReport(duck, DUCKDB_VIEWS, options, now));
    expect(await trialSummary(bq, 'r1')).toEqual(await trialSummary(duck, 'r1'));
  });

  it('the latest plan, each bucket once', async () => {
    expect(await bq.latestPlan()).toEqual(await duck.latestPlan());
  });

  it('resume query and collected work', async () => {
    for (const maxAttempts of [1, 2, 3]) {
      expect([...(await bq.completedUserIds('twitter-html', undefined, maxAttempts))].sort(), `MAX_ATTEMPTS ${maxAttempts}`).toEqual(
        [...(await duck.completedUserIds('twitter-html', undefined, maxAttempts))].sort(),
      );
    }
    const sort = (xs: { user_id: string }[]) => [...xs].sort((a, b) => a.user_id.localeCompare(b.user_id));
    expect(sort(await bq.collectedWork('twitter-html'))).toEqual(sort(await duck.collectedWork('twitter-html')));
  });
});

/**
 * Progress by the current buckets (partition_progress, overall_progress) and the report built on it, on
 * the warehouses of test/monitor/progress-views.test.ts, every row, run, heartbeat and plan row stored
 * twice in BigQuery.
 */
describe('progress: BigQuery gives the DuckDB figures, every row delivered twice', () => {
  const now = Date.now();
  const scenarios: [string, (db: DuckDbSink | BigQuerySink) => Promise<void>][] = [
    ['a re-partitioned warehouse', writeRepartitioned],
    ['runs without a stored plan', writeWithoutPlan],
    [
      'live buckets with and without a rate',
      async (db) => {
        await writeLiveBuckets(db, now);
        await writeBucketTwoUsers(db, now, 6, 8);
      },
    ],
  ];
  it.each(scenarios)('%s', async (name, write) => {
    const dataset = `progress_${scenarios.findIndex((s) => s[0] === name)}`;
    const duck = new DuckDbSink(join(dir, `${dataset}.duckdb`));
    await duck.open();
    await setupBigQuery(w.target(dataset));
    const bq = new BigQuerySink(w.target(dataset));
    await bq.open();
    try {
      await write(duck);
      w.fake.setBehaviour({ dedupeMissRate: 1 });
      await write(bq);
      await write(bq);
      w.fake.setBehaviour({ dedupeMissRate: 0.05 });
      const at = new Date(now);
      const options = { runs: 20, slots: 12 };
      const fromDuckDb = await readMonitorReport(duck, DUCKDB_VIEWS, options, at);
      expect(fromDuckDb.partition_progress.length).toBeGreaterThan(1);
      if (name.startsWith('live'))
        expect(fromDuckDb.partition_progress.map((p) => [p.users_per_hour, p.state])).toEqual([
          [360, 'running'],
          [null, 'running'],
        ]);
      expect(await readMonitorReport(bq, DUCKDB_VIEWS, options, at)).toEqual(fromDuckDb);
    } finally {
      await duck.close();
      await bq.close();
    }
  });
});
