import { describe, expect, it } from 'vitest';
import { UsersInputError } from '../../src/core/errors.ts';
import type { BigQueryUsers } from '../../src/users/read-bigquery.ts';
import { StagedUserTable } from '../../src/users/staged-table.ts';
import { PROJECT, useBigQueryFake } from '../support/bigquery.ts';

/** Pages of about 100 users: a users row is about 40 bytes of JSON. */
const w = await useBigQueryFake({ behaviour: { maxPageBytes: 4096 } });
const connection = w.target('users_ds').connection;
await w.fake.store.createDataset(PROJECT, 'users_ds', 'US');

/** A users table in the fake, filled as a researcher's export would be. */
async function usersTable(name: string, idType: 'INT64' | 'STRING', rows: { user_id: string; screen_name?: string; friends_count?: string }[]): Promise<BigQueryUsers> {
  await w.fake.execute(`CREATE TABLE \`${PROJECT}.users_ds.${name}\` (user_id ${idType}, screen_name STRING, friends_count INT64, lang STRING)`, { project: PROJECT });
  for (let i = 0; i < rows.length; i += 500) {
    await w.fake.store.insert(
      PROJECT,
      'users_ds',
      name,
      rows.slice(i, i + 500).map((json) => ({ json })),
      { skipInvalidRows: false, dedupeWindowMs: 0 },
    );
  }
  return { kind: 'bigquery', table: { project: PROJECT, dataset: 'users_ds', table: name }, connection };
}

async function allIds(table: StagedUserTable, range?: Parameters<StagedUserTable['batches']>[0]): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of table.batches(range, { batchSize: 1000 })) out.push(...batch.map((u) => u.id));
  return out;
}

/** IDs around 2^53 and up to 2^63 - 1, where a JS number would lose digits. */
const BIG = ['42', '9007199254740992', '9007199254740993', '9007199254740995', '1242523027058769920', '1242523027058769921', '9223372036854775807'];

describe('users from BigQuery', () => {
  it('reads INT64 IDs past 2^53 without losing a digit, in ID order', async () => {
    const source = await usersTable(
      'users_int',
      'INT64',
      BIG.map((id) => ({ user_id: id, screen_name: `u${id.slice(-4)}` })),
    );
    const table = await StagedUserTable.fromBigQuery(source, 'numeric');
    try {
      expect(await allIds(table)).toEqual(BIG);
      expect(table.report).toMatchObject({ rows: BIG.length, accepted: BIG.length, duplicates: 0 });
      const [first] = await table.ntile(1);
      expect(first).toEqual({ partition_id: 1, user_count: BIG.length, min_id: '42', max_id: '9223372036854775807' });
    } finally {
      await table.close();
    }
  });

  it('reads STRING IDs, normalising and reporting them as a file is', async () => {
    const source = await usersTable('users_str', 'STRING', [{ user_id: ' 0042' }, { user_id: '9007199254740993' }, { user_id: '42' }, { user_id: 'abc' }, { user_id: '+7' }]);
    const table = await StagedUserTable.fromBigQuery(source, 'numeric');
    try {
      expect(await allIds(table)).toEqual(['7', '42', '9007199254740993']);
      expect(table.report).toMatchObject({ rows: 5, accepted: 3, duplicates: 1, rejected: { malformed: 1 }, corrected: { whitespace: 1, leading_zeros: 1, plus_sign: 1 } });
    } finally {
      await table.close();
    }
  });

  it('pages through a large result and reads only the bucket range, passed as parameters', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ user_id: String(9_007_199_254_740_000n + BigInt(i) * 7n), friends_count: String(i) }));
    const source = await usersTable('users_many', 'INT64', rows);
    const pagesBefore = w.fake.stats.resultPages;
    const all = await StagedUserTable.fromBigQuery(source, 'numeric');
    try {
      expect(await all.count()).toBe(1000);
      expect(await all.friendsCountCoverage()).toBe(1);
    } finally {
      await all.close();
    }
    // 1,000 rows of about 45 bytes in pages cut at 4 KB, as BigQuery cuts them at 10 MB.
    expect(w.fake.stats.resultPages - pagesBefore).toBeGreaterThanOrEqual(10);

    const range = { kind: 'numeric' as const, min: rows[100]!.user_id, max: rows[199]!.user_id };
    const queriesBefore = w.fake.stats.queryTexts.length;
    const bucket = await StagedUserTable.fromBigQuery(source, 'numeric', range);
    try {
      expect(await allIds(bucket)).toEqual(rows.slice(100, 200).map((r) => r.user_id));
    } finally {
      await bucket.close();
    }
    const texts = w.fake.stats.queryTexts.slice(queriesBefore);
    expect(texts.some((t) => t.includes('@min_id') && t.includes('@max_id'))).toBe(true);
    expect(texts.every((t) => !t.includes(range.min) && !t.includes(range.max))).toBe(true);
  });

  it('runs USERS_QUERY, finding screen names under another column name', async () => {
    await usersTable(
      'users_q',
      'INT64',
      BIG.map((id) => ({ user_id: id, screen_name: `n${id.length}` })),
    );
    const source: BigQueryUsers = {
      kind: 'bigquery-query',
      project: PROJECT,
      sql: `SELECT user_id, screen_name AS handle FROM \`${PROJECT}.users_ds.users_q\` WHERE user_id > 9007199254740992`,
      connection,
    };
    const table = await StagedUserTable.fromBigQuery(source, 'numeric');
    try {
      const users = [];
      for await (const batch of table.batches(undefined, { batchSize: 100 })) users.push(...batch);
      expect(users.map((u) => [u.id, u.screenName])).toEqual(BIG.slice(2).map((id) => [id, `n${id.length}`]));
    } finally {
      await table.close();
    }
  });

  it('reads opaque IDs (DIDs) as strings, with string ranges', async () => {
    const dids = ['did:plc:aaa', 'did:plc:bbb', 'did:plc:ccc', 'did:web:example.com'];
    const source = await usersTable(
      'users_did',
      'STRING',
      dids.map((user_id) => ({ user_id })),
    );
    const table = await StagedUserTable.fromBigQuery(source, 'opaque', { kind: 'opaque', min: 'did:plc:b', max: 'did:plc:zzz' });
    try {
      expect(await allIds(table)).toEqual(['did:plc:bbb', 'did:plc:ccc']);
    } finally {
      await table.close();
    }
  });

  it('says clearly when the table is missing or has no user_id', async () => {
    const missing: BigQueryUsers = { kind: 'bigquery', table: { project: PROJECT, dataset: 'users_ds', table: 'nope' }, connection };
    await expect(StagedUserTable.fromBigQuery(missing, 'numeric')).rejects.toThrow(UsersInputError);
    await expect(StagedUserTable.fromBigQuery(missing, 'numeric')).rejects.toThrow(/cannot read users from bigquery:friendfleet-test\.users_ds\.nope: .*Not found/);
    await w.fake.execute(`CREATE TABLE \`${PROJECT}.users_ds.no_ids\` (handle STRING)`, { project: PROJECT });
    const noIds: BigQueryUsers = { kind: 'bigquery', table: { project: PROJECT, dataset: 'users_ds', table: 'no_ids' }, connection };
    await expect(StagedUserTable.fromBigQuery(noIds, 'numeric')).rejects.toThrow('bigquery:friendfleet-test.users_ds.no_ids has no user_id column (found handle)');
  });
});
