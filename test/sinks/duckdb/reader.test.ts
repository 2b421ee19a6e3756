import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbReader } from '../../../src/sinks/duckdb/reader.ts';
import { readPlan } from '../../../src/sinks/registry.ts';
import { row } from '../../support/rows.ts';
import { tempDir } from '../../support/tmp.ts';
import { withWarehouse } from '../../support/warehouse.ts';

const dir = tempDir();

describe('the embedded warehouse read-only (monitor, export, plan)', () => {
  it("reads a file written by an earlier version through the current views, leaving the file's own as they were", async () => {
    const path = join(dir, 'old.duckdb');
    await withWarehouse(path, async (db) => {
      await db.write(row({ user_id: '1', run_id: 'r1', source: 'twitter-html' }));
      await db.write(row({ user_id: '1', run_id: 'r2', source: 'bluesky', status: 'failed', error: 'x' }));
      await db.flush();
      // The view as an earlier version defined it: one row per user, whatever the source.
      await db.query(`CREATE OR REPLACE VIEW user_friends_latest AS SELECT * FROM user_friends QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY (status <> 'failed') DESC) = 1`);
    });
    const reader = await DuckDbReader.open(path);
    try {
      expect(await reader.query(`SELECT source, status FROM user_friends_latest ORDER BY source`)).toEqual([
        { source: 'bluesky', status: 'failed' },
        { source: 'twitter-html', status: 'ok' },
      ]);
      // Views that read it see the current definition too.
      expect(await reader.query(`SELECT source, users FROM status_breakdown ORDER BY source`)).toEqual([
        { source: 'bluesky', users: 1n },
        { source: 'twitter-html', users: 1n },
      ]);
      expect(await reader.query(`SELECT count(*) AS n FROM old.main.user_friends_latest`)).toEqual([{ n: 1n }]);
    } finally {
      await reader.close();
    }
  });

  it('refuses a DuckDB file that is not a warehouse, and a file that is not DuckDB', async () => {
    const other = join(dir, 'other.duckdb');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(other);
    (await instance.connect()).closeSync();
    instance.closeSync();
    await expect(DuckDbReader.open(other)).rejects.toThrow(`${other} is not a friendfleet warehouse: it has no table user_friends, runs, heartbeats, partitions`);
    // A worker checking its bucket against the stored plan finds none there: the file is its to make.
    expect(await readPlan({ kind: 'duckdb', path: other })).toEqual([]);
    const text = join(dir, 'notes.duckdb');
    writeFileSync(text, 'not a database');
    await expect(DuckDbReader.open(text)).rejects.toThrow(`cannot open DuckDB file ${text}`);
  });
});
