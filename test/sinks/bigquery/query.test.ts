import { describe, expect, it } from 'vitest';
import { createClient } from '../../../src/sinks/bigquery/client.ts';
import { QueryFailed } from '../../../src/sinks/bigquery/errors.ts';
import { queryAll, queryPages } from '../../../src/sinks/bigquery/query.ts';
import { PROJECT, useBigQueryFake } from '../../support/bigquery.ts';
import { NO_FAULTS, STRICT } from '../../support/bigquery-fake/server.ts';

const w = await useBigQueryFake();
const target = w.target('query_ds');
await w.fake.store.createDataset(PROJECT, 'query_ds', 'US');
await w.fake.execute(`CREATE TABLE \`${PROJECT}.query_ds.numbers\` (n INT64, label STRING)`, { project: PROJECT });
await w.fake.store.insert(
  PROJECT,
  'query_ds',
  'numbers',
  Array.from({ length: 1000 }, (_, i) => ({ json: { n: String(i + 1), label: `number ${i + 1}` } })),
  { skipInvalidRows: false, dedupeWindowMs: 0 },
);
const client = createClient(PROJECT, target.connection, { autoRetry: true });

describe('queries on BigQuery (the fake)', () => {
  it('reads every row when jobs.query and getQueryResults answer that the job is not complete yet', async () => {
    // Regression (issue 14): with both answers incomplete, a 3-row result came back as 0 rows.
    w.fake.setBehaviour({ slowQueryRate: 1, incompletePollRate: 1 });
    const before = w.fake.stats.incompleteAnswers;
    try {
      const rows = await queryAll(client, `SELECT n FROM \`${PROJECT}.query_ds.numbers\` WHERE n <= 3 ORDER BY n`);
      expect(rows).toEqual([{ n: 1n }, { n: 2n }, { n: 3n }]);
      // jobs.query, then three polls of getQueryResults, were answered `jobComplete: false`.
      expect(w.fake.stats.incompleteAnswers - before).toBe(4);
    } finally {
      w.fake.setBehaviour(STRICT);
    }
  });

  it('asks for at most pageRows rows on every page, not only the first', async () => {
    // Regression (issue 14): later pages went without maxResults, so BigQuery cut them at 10 MB only.
    for (const slowQueryRate of [0, 1]) {
      w.fake.setBehaviour({ slowQueryRate, incompletePollRate: 0.5 });
      const pages: number[] = [];
      for await (const rows of queryPages(client, `SELECT n, label FROM \`${PROJECT}.query_ds.numbers\` ORDER BY n`, { pageRows: 100 })) pages.push(rows.length);
      expect(pages, `slow ${slowQueryRate}`).toEqual(Array.from({ length: 10 }, () => 100));
    }
    w.fake.setBehaviour(STRICT);
  });

  it('makes a call again when BigQuery answers 403 rateLimitExceeded, which the client does not retry', async () => {
    // Regression: the client decides from the HTTP status alone and retries no 403, so a rate limit
    // on the resume query failed a worker at its start.
    w.fake.setFaults({ rateLimitRate: 0.5 });
    const before = w.fake.stats.injected.rateLimited;
    try {
      for (let i = 0; i < 3; i++) expect(await queryAll(client, `SELECT COUNT(*) AS n FROM \`${PROJECT}.query_ds.numbers\``)).toEqual([{ n: 1000n }]);
      expect(w.fake.stats.injected.rateLimited - before).toBeGreaterThanOrEqual(3);
    } finally {
      w.fake.setFaults(NO_FAULTS);
    }
  });

  it('refuses a query the analyzer refuses, with its message, as QueryFailed (FF_BIGQUERY_QUERY)', async () => {
    const error = await queryAll(client, `SELECT n, colour FROM \`${PROJECT}.query_ds.numbers\``, { what: 'a test query' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryFailed);
    expect(error).toMatchObject({ code: 'FF_BIGQUERY_QUERY', failure: { kind: 'fatal', status: 400, reason: 'invalidQuery' } });
    expect((error as Error).message).toBe('BigQuery query failed (a test query): HTTP 400 invalidQuery: Unrecognized name: colour [at 1:11]');
  });

  it('passes parameters with their types; an undeclared one is refused', async () => {
    const sql = `SELECT label FROM \`${PROJECT}.query_ds.numbers\` WHERE n = @n`;
    expect(await queryAll(client, sql, { params: { n: 42 } })).toEqual([{ label: 'number 42' }]);
    await expect(queryAll(client, sql, { params: { m: 42 } })).rejects.toThrow("Query parameter 'n' not found");
    expect(w.fake.statements.at(-1)).toMatchObject({ sql, parameters: { m: { type: 'INT64' } }, analysis: { ok: false } });
  });
});
