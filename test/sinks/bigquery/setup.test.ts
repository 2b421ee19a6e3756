import { describe, expect, it } from 'vitest';
import { bigQueryDdl, setupBigQuery } from '../../../src/sinks/bigquery/setup.ts';
import { BigQuerySink } from '../../../src/sinks/bigquery/sink.ts';
import { createClient } from '../../../src/sinks/bigquery/client.ts';
import { DuckDbSink } from '../../../src/sinks/duckdb/sink.ts';
import { USER_FRIENDS_COLUMNS } from '../../../src/sinks/row.ts';
import { PROJECT, useBigQueryFake } from '../../support/bigquery.ts';
import { row } from '../../support/rows.ts';
import { tempDir } from '../../support/tmp.ts';

const dir = tempDir();
const w = await useBigQueryFake();

/** GoogleSQL column type → the DuckDB type of the embedded warehouse's same column. */
const SAME_TYPE: Record<string, string> = { STRING: 'VARCHAR', INTEGER: 'INTEGER', BOOLEAN: 'BOOLEAN', TIMESTAMP: 'TIMESTAMP WITH TIME ZONE', FLOAT: 'DOUBLE' };

describe('friendfleet setup on BigQuery (the fake)', () => {
  it('creates the dataset, the tables with their layout, and the views; a second run changes nothing', async () => {
    const target = w.target('setup_ds');
    const first = await setupBigQuery(target);
    expect(first[0]).toEqual({ object: `dataset ${PROJECT}.setup_ds (US)`, action: 'created' });
    expect(first.slice(1).map((s) => s.object)).toEqual(bigQueryDdl(target).map((f) => f.name));

    const client = createClient(PROJECT, target.connection, { autoRetry: false });
    const dataset = client.dataset('setup_ds');
    const [uf] = await dataset.table('user_friends').getMetadata();
    expect(uf.timePartitioning).toEqual({ type: 'DAY', field: 'start_at' });
    expect(uf.clustering).toEqual({ fields: ['user_id'] });
    expect(uf.schema.fields.map((f: { name: string }) => f.name)).toEqual([...USER_FRIENDS_COLUMNS]);
    for (const view of [
      'partitions_latest',
      'user_friends_distinct',
      'user_friends_latest',
      'runs_latest',
      'user_friend_edges',
      'current_buckets',
      'trial_summary',
      'partition_progress',
      'overall_progress',
      'status_breakdown',
      'throughput_timeline',
      'short_lists',
      'completeness',
      'worker_status',
      'failure_examples',
    ]) {
      const [meta] = await dataset.table(view).getMetadata();
      expect(meta.type, view).toBe('VIEW');
    }

    // Rows survive a second setup (CREATE TABLE IF NOT EXISTS), and the dataset is reported as there.
    const sink = new BigQuerySink(target);
    await sink.open();
    await sink.write(row({ user_id: '1', run_id: 'r1' }));
    await sink.close();
    const again = await setupBigQuery(target);
    expect(again[0]).toEqual({ object: `dataset ${PROJECT}.setup_ds`, action: 'exists' });
    expect(await w.fake.store.rows(PROJECT, 'setup_ds', 'user_friends')).toHaveLength(1);
  });

  it('gives the tables the columns and types of the embedded warehouse', async () => {
    const client = createClient(PROJECT, w.target('types_ds').connection, { autoRetry: false });
    await setupBigQuery(w.target('types_ds'));
    const duck = new DuckDbSink(`${dir}/types.duckdb`);
    await duck.open();
    try {
      for (const table of ['user_friends', 'runs', 'heartbeats', 'partitions']) {
        const [meta] = await client.dataset('types_ds').table(table).getMetadata();
        const described = await duck.query(`DESCRIBE ${table}`);
        const bq = (meta.schema.fields as { name: string; type: string; mode: string }[]).map((f) => [
          f.name,
          f.mode === 'REPEATED' ? `${SAME_TYPE[f.type]}[]` : SAME_TYPE[f.type],
          f.mode === 'REQUIRED',
        ]);
        // BigQuery has one integer type (INT64); DuckDB's INTEGER columns are INT64 there.
        const embedded = described.map((d) => [d.column_name, String(d.column_type).replace('BIGINT', 'INTEGER'), d.null === 'NO']);
        expect(bq, table).toEqual(embedded);
      }
    } finally {
      await duck.close();
    }
  });

  it('refuses to start a worker on a dataset made before a column was added, saying how to add it', async () => {
    const target = w.target('older_ds');
    await setupBigQuery(target);
    const heartbeats = bigQueryDdl(target).find((f) => f.name === '20-heartbeats.sql')!.sql;
    const older = heartbeats.replace('CREATE TABLE IF NOT EXISTS', 'CREATE OR REPLACE TABLE').replace(/,\s*(--[^\n]*\n\s*)*rate_limit_wait_ms INT64/, '');
    expect(older).not.toContain('rate_limit_wait_ms');
    await w.fake.execute(older, { project: PROJECT });
    await expect(new BigQuerySink(target).open()).rejects.toThrow(
      `bigquery:${PROJECT}.older_ds: table heartbeats lacks columns rate_limit_wait_ms: the table predates them; add them with ALTER TABLE \`${PROJECT}.older_ds.heartbeats\` ADD COLUMN rate_limit_wait_ms INT64`,
    );
  });

  it('refuses to start a worker on a dataset that setup has not made, saying what to run', async () => {
    const sink = new BigQuerySink(w.target('never_set_up'));
    await expect(sink.open()).rejects.toThrow(`bigquery:${PROJECT}.never_set_up has no table user_friends: run friendfleet setup --sink bigquery:${PROJECT}.never_set_up`);
  });

  it("every DDL and view file is one statement Google's analyzer accepts, in setup order", async () => {
    const target = w.target('analyzed_ds');
    const from = w.fake.statements.length;
    await setupBigQuery(target);
    const files = bigQueryDdl(target);
    // Each view is analyzed against the tables and the views before it (the fake's catalog), so a view
    // that read a later one would be refused here.
    expect(w.fake.statements.slice(from).map((s) => [s.sql, s.analysis])).toEqual(files.map((f) => [f.sql, { ok: true }]));
    for (const file of files) expect(file.sql, file.name).toMatch(/^(CREATE TABLE IF NOT EXISTS|CREATE OR REPLACE VIEW) `friendfleet-test\.analyzed_ds\.\w+`/m);
  });
});
