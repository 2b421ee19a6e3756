import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DuckDbSink } from '../../../src/sinks/duckdb/sink.ts';
import { row } from '../../support/rows.ts';
import { tempDir } from '../../support/tmp.ts';

const dir = tempDir('ff-duckdb-sink-');

describe("DuckDbSink.insertRows (a fleet host's path for a worker's batch)", () => {
  it('stores a batch at once, without waiting for rows buffered from elsewhere', async () => {
    // The buffer holds its rows until a flush (no timer, no size trigger within this test).
    const sink = new DuckDbSink(join(dir, 'w.duckdb'), { flushRows: 1000, flushIntervalMs: 3_600_000 });
    await sink.open();
    try {
      await sink.write(row({ user_id: '1', run_id: 'buffered' }));
      await sink.insertRows([row({ user_id: '2', run_id: 'batch' }), row({ user_id: '3', run_id: 'batch' })]);
      const stored = await sink.query(`SELECT user_id FROM user_friends ORDER BY user_id`);
      expect(stored.map((r) => r.user_id)).toEqual(['2', '3']);
      await sink.flush();
      expect((await sink.query(`SELECT count(*) AS n FROM user_friends`))[0]!.n).toBe(3n);
    } finally {
      await sink.close();
    }
  });
});
