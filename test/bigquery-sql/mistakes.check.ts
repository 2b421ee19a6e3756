import { describe, expect, it } from 'vitest';
import { bigQueryDdl } from '../../src/sinks/bigquery/setup.ts';
import { BigQuerySink } from '../../src/sinks/bigquery/sink.ts';
import { PROJECT, useBigQueryFake } from '../support/bigquery.ts';
import { STRICT, type CapturedStatement } from '../support/bigquery-fake/server.ts';
import { problemsOf } from './check.ts';

/**
 * The check fails on planted mistakes: each test replays the project's own statements into the
 * strict fake with one mistake planted, and the check must report it with ZetaSQL's words. The
 * unchanged statements pass, so the mistake is what fails.
 */
const w = await useBigQueryFake();
let datasets = 0;

interface Statement {
  sql: string;
  parameters?: Record<string, [string, string | null]>;
}

/** Sends `statements` as the code would, into a fresh dataset's fake; returns the check's verdict on them. */
async function check(statements: (dataset: string) => Statement[]): Promise<string[]> {
  const dataset = `planted_${++datasets}`;
  await w.fake.store.createDataset(PROJECT, dataset, 'US');
  const from = w.fake.statements.length;
  for (const s of statements(dataset)) {
    await w.fake.execute(s.sql, { project: PROJECT, ...(s.parameters ? { parameters: s.parameters } : {}) }).catch(() => undefined);
  }
  return problemsOf(w.fake.statements.slice(from));
}

/** `friendfleet setup`'s statements, in its order, with `plant` applied to one file's text. */
const setup = (file: string, plant: (sql: string) => string) => (dataset: string) => bigQueryDdl({ project: PROJECT, dataset }).map((f) => ({ sql: f.name === file ? plant(f.sql) : f.sql }));

/** The resume query as the sink sends it (captured from the sink itself), with its parameters. */
async function resumeQuery(): Promise<CapturedStatement> {
  const target = w.target('resume_source');
  await w.fake.store.createDataset(PROJECT, 'resume_source', 'US');
  for (const { sql } of bigQueryDdl(target)) await w.fake.execute(sql, { project: PROJECT });
  const from = w.fake.statements.length;
  await new BigQuerySink(target).completedUserIds('twitter-html', { kind: 'numeric', min: '1', max: '99' }, 3);
  return w.fake.statements.slice(from).find((s) => s.sql.includes('user_friends_distinct'))!;
}

describe('the BigQuery SQL check fails on planted mistakes', () => {
  it("passes the project's own statements unchanged", async () => {
    expect(await check(setup('', (sql) => sql))).toEqual([]);
  });

  it('an unknown column in a view', async () => {
    const problems = await check(setup('62-status-breakdown.sql', (sql) => sql.replace('REGEXP_EXTRACT(error,', 'REGEXP_EXTRACT(errors,')));
    expect(problems).toEqual([
      expect.stringMatching(/^refused: Unrecognized name: errors; Did you mean error\? \[at \d+:\d+\]: CREATE OR REPLACE VIEW `friendfleet-test\.planted_\d+\.status_breakdown`/),
    ]);
  });

  it('a wrong type in a view', async () => {
    const problems = await check(setup('63-throughput-timeline.sql', (sql) => sql.replace('SUM(COALESCE(friend_count, 0))', "SUM(COALESCE(friend_count, 'none'))")));
    expect(problems).toEqual([
      expect.stringMatching(/^refused: No matching signature for function COALESCE for argument types: INT64, STRING\..*: CREATE OR REPLACE VIEW `friendfleet-test\.planted_\d+\.throughput_timeline`/),
    ]);
  });

  it('a reserved word as a name (the trial_summary bug of issue 14)', async () => {
    const problems = await check(setup('60-trial-summary.sql', (sql) => sql.replaceAll('`rows`', 'rows')));
    expect(problems).toEqual([expect.stringMatching(/^refused: Syntax error: Unexpected keyword ROWS \[at \d+:\d+\]: CREATE OR REPLACE VIEW `friendfleet-test\.planted_\d+\.trial_summary`/)]);
  });

  it('a view before the view it reads', async () => {
    const problems = await check((dataset) => {
      const files = bigQueryDdl({ project: PROJECT, dataset });
      const runsLatest = files.find((f) => f.name === '51-runs-latest.sql')!;
      return [...files.filter((f) => f !== runsLatest), runsLatest].map((f) => ({ sql: f.sql }));
    });
    // current_buckets, trial_summary and worker_status read runs_latest, which does not exist yet; the
    // views over them are refused in turn.
    const refused = (missing: string, view: string) =>
      expect.stringMatching(new RegExp(`^refused: Table not found: \`friendfleet-test\\.planted_\\d+\\.${missing}\`.*: CREATE OR REPLACE VIEW \`friendfleet-test\\.planted_\\d+\\.${view}\``));
    expect(problems).toEqual([
      refused('runs_latest', 'current_buckets'),
      refused('runs_latest', 'trial_summary'),
      refused('runs_latest', 'worker_status'),
      refused('current_buckets', 'partition_progress'),
      refused('partition_progress', 'overall_progress'),
    ]);
  });

  it('an undeclared parameter, and a parameter of the wrong type', async () => {
    const resume = await resumeQuery();
    expect(resume.parameters).toEqual({ source: { type: 'STRING' }, min_id: { type: 'STRING' }, max_id: { type: 'STRING' }, max_attempts: { type: 'INT64' } });
    const bounds: Statement['parameters'] = { source: ['STRING', 'twitter-html'], min_id: ['STRING', '1'], max_id: ['STRING', '99'] };
    const statements = (parameters: Statement['parameters']) => (dataset: string) => [
      ...bigQueryDdl({ project: PROJECT, dataset }).map((f) => ({ sql: f.sql })),
      { sql: resume.sql.replaceAll('resume_source', dataset), parameters },
    ];
    expect(await check(statements({ ...bounds, max_attempts: ['INT64', '3'] }))).toEqual([]);
    expect(await check(statements({ ...bounds }))).toEqual([expect.stringMatching(/^refused: Query parameter 'max_attempts' not found \[at \d+:\d+\]/)]);
    expect(await check(statements({ ...bounds, max_attempts: ['STRING', '3'] }))).toEqual([expect.stringMatching(/^refused: No matching signature for operator >= for argument types: INT64, STRING/)]);
  });

  it('a statement the fake did not analyze', async () => {
    w.fake.setBehaviour({ analyze: false });
    try {
      expect(await check(() => [{ sql: 'SELECT 1 AS one' }])).toEqual(['not analyzed: SELECT 1 AS one']);
    } finally {
      w.fake.setBehaviour(STRICT);
    }
  });
});
