import { DuckDbSink } from '../../src/sinks/duckdb/sink.ts';
import type { StoredRow } from './truth.ts';

/** Opens a DuckDB warehouse file, runs `fn` on it and closes it. */
export async function withWarehouse<T>(path: string, fn: (db: DuckDbSink) => Promise<T>): Promise<T> {
  const db = new DuckDbSink(path);
  await db.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function latestRows(path: string): Promise<StoredRow[]> {
  const rows = await withWarehouse(path, (db) => db.query(`SELECT * FROM user_friends_latest`));
  return rows as unknown as StoredRow[];
}
