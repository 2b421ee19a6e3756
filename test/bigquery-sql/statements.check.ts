import { describe, expect, it } from 'vitest';
import { bigQueryDdl } from '../../src/sinks/bigquery/setup.ts';
import { BigQuerySink } from '../../src/sinks/bigquery/sink.ts';
import { readBigQueryUsers } from '../../src/users/read-bigquery.ts';
import { PROJECT, useBigQueryFake } from '../support/bigquery.ts';
import type { CapturedStatement } from '../support/bigquery-fake/server.ts';
import { runCli } from '../support/cli.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { kindsMissing, problemsOf, type StatementKind } from './check.ts';

/**
 * Every statement the BigQuery code sends, checked by Google's analyzer. The BigQuery flows run
 * against the fake (the CLI's setup, partition, collect, monitor and plan as a user runs them, and the
 * readers with opaque IDs), which records each statement with its parameters' types and default
 * dataset and has ZetaSQL analyze it against the tables and views made so far. Then: every captured
 * statement must have been analyzed and accepted, and every kind of statement the code sends must be
 * among them (a kind missing means a flow no longer reaches that code).
 */
const USERS = 300;
const dir = tempDir();
const sim = await useSim({ users: USERS, seed: 5, latencyMs: 0 });
const w = await useBigQueryFake();
const DATASET = 'checked';
const target = w.target(DATASET);
const started = Date.now();

async function cli(args: string[]) {
  const r = await runCli(args, w.env(DATASET), { cwd: dir, timeoutMs: 110_000 });
  expect(r.code, `friendfleet ${args.join(' ')}\n${r.stderr.slice(-2000)}`).toBe(0);
  return r;
}

const users = `${PROJECT}.${DATASET}.users`;
const usersQuery = `SELECT user_id, screen_name AS handle FROM \`${users}\` WHERE user_id > 0`;
const ddl = bigQueryDdl(target);
const sql = (s: CapturedStatement) => s.sql.replace(/\s+/g, ' ');
const KINDS: StatementKind[] = [
  ...ddl.map((f) => ({ name: `setup: ${f.name}`, matches: (s: CapturedStatement) => s.sql === f.sql && s.defaultDataset === undefined })),
  { name: 'users: dry run of a table', matches: (s) => s.dryRun && sql(s) === `SELECT * FROM \`${users}\` AS u` },
  { name: 'users: dry run of USERS_QUERY', matches: (s) => s.dryRun && sql(s).includes(usersQuery) },
  { name: 'users: a whole table', matches: (s) => !s.dryRun && sql(s).includes(`FROM \`${users}\` AS u WHERE TRUE`) },
  { name: 'users: a numeric bucket', matches: (s) => sql(s).includes(`FROM \`${users}\` AS u WHERE SAFE_CAST`) && s.parameters.min_id?.type === 'STRING' },
  { name: 'users: an opaque bucket', matches: (s) => /AS u WHERE CAST\(u\.`user_id` AS STRING\) BETWEEN @min_id AND @max_id/.test(sql(s)) },
  { name: 'users: USERS_QUERY', matches: (s) => !s.dryRun && sql(s).includes(usersQuery) && sql(s).includes('AS friends_count') },
  {
    name: 'resume: the whole table',
    matches: (s) => sql(s).includes('user_friends_distinct` WHERE source = @source AND TRUE GROUP BY user_id') && s.parameters.max_attempts?.type === 'INT64' && s.parameters.source?.type === 'STRING',
  },
  { name: 'resume: a numeric bucket', matches: (s) => sql(s).includes('user_friends_distinct` WHERE source = @source AND SAFE_CAST(TRIM(CAST(user_id AS STRING)) AS INT64) BETWEEN') },
  { name: 'resume: an opaque bucket', matches: (s) => sql(s).includes('user_friends_distinct` WHERE source = @source AND CAST(user_id AS STRING) BETWEEN @min_id AND @max_id') },
  { name: 'the latest plan', matches: (s) => sql(s).includes('FROM partitions_latest') && s.defaultDataset === `${PROJECT}.${DATASET}` },
  { name: 'collected work', matches: (s) => sql(s).includes('FROM user_friends_latest WHERE source = @p1') && s.defaultDataset === `${PROJECT}.${DATASET}` },
  ...['overall_progress', 'trial_summary', 'partition_progress', 'status_breakdown', 'throughput_timeline', 'completeness', 'short_lists', 'worker_status', 'failure_examples'].map((view) => ({
    name: `monitor: ${view}`,
    matches: (s: CapturedStatement) => sql(s).startsWith(`SELECT * FROM ${view} `) && s.defaultDataset === `${PROJECT}.${DATASET}`,
  })),
  { name: "monitor: the heartbeats' activity", matches: (s) => sql(s).startsWith('SELECT DISTINCT h.run_id, h.worker, h.beat_at') && s.defaultDataset === `${PROJECT}.${DATASET}` },
  { name: "plan: the newest finished runs' rates", matches: (s) => sql(s).startsWith('SELECT run_id, source, users_per_hour, threads, tier FROM trial_summary') },
  { name: 'plan: where those runs ran (their settings)', matches: (s) => sql(s).startsWith('SELECT run_id, settings, users_done, pages FROM runs_latest WHERE run_id IN') },
];

describe('every statement the BigQuery code sends, analyzed by ZetaSQL', () => {
  it('runs the BigQuery flows against the fake', { timeout: 300_000 }, async () => {
    await cli(['setup', '--sink', `bigquery:${PROJECT}.${DATASET}`]);
    // The researcher's users table.
    await w.fake.execute(`CREATE TABLE \`${users}\` (user_id INT64, screen_name STRING, friends_count INT64)`, { project: PROJECT });
    const rows = Array.from({ length: USERS }, (_, i) => ({ json: { user_id: sim.graph.idOf(i).toString(), screen_name: sim.graph.screenName(i) } }));
    await w.fake.store.insert(PROJECT, DATASET, 'users', rows, { skipInvalidRows: false, dedupeWindowMs: 0 });

    await cli(['partition', '--source', 'twitter-html', '--users', `bigquery:${users}`, '--partitions', '2', '--balance', 'count', '--format', 'json']);
    await cli(['partition', '--source', 'twitter-html', '--users-query', usersQuery, '--partitions', '2', '--format', 'json', '--dry-run']);
    // A worker on a bucket of the stored plan, then one on the whole table.
    await cli(['collect', '--users', `bigquery:${users}`, '--partition', '1', '--source', 'twitter-html', '--source-url', sim.url, '--max-friends', '50', '--progress', 'off']);
    await cli(['collect', '--users', `bigquery:${users}`, '--users-limit', '20', '--source', 'twitter-html', '--source-url', sim.url, '--max-friends', '50', '--progress', 'off']);
    await cli(['monitor', '--format', 'json']);
    await cli(['plan', '--users', '1000000', '--workers', '5', '--format', 'json']);

    // Opaque IDs (Bluesky DIDs): the same readers with string ranges.
    const range = { kind: 'opaque' as const, min: 'did:plc:a', max: 'did:plc:z' };
    for await (const row of readBigQueryUsers({ kind: 'bigquery', table: { project: PROJECT, dataset: DATASET, table: 'users' }, connection: target.connection }, range)) void row;
    const sink = new BigQuerySink(target);
    await sink.completedUserIds('bluesky', range, 3);
    await sink.close();
  });

  it('analyzed and accepted every statement captured', () => {
    expect(w.fake.statements.length).toBeGreaterThan(ddl.length + 10);
    expect(problemsOf(w.fake.statements)).toEqual([]);
  });

  it('captured every kind of statement the code sends', () => {
    expect(kindsMissing(KINDS, w.fake.statements)).toEqual([]);
    const distinct = new Set(w.fake.statements.map((s) => `${s.sql}\u0000${JSON.stringify(s.parameters)}\u0000${s.defaultDataset}`)).size;
    process.stdout.write(
      `bigquery-sql: ${w.fake.statements.length} statements captured (${distinct} distinct, ${KINDS.length} kinds), all analyzed and accepted by ZetaSQL; ` +
        `${w.fake.stats.incompleteAnswers} answers jobComplete: false on the way; ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });
});
