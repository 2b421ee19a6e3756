import { DuckDBInstance } from '@duckdb/node-api';
import { UsersInputError } from '../core/errors.ts';
import type { RawUserRow } from './read-file.ts';

/** Streams the rows of a table in a DuckDB database, opened read-only; IDs read as text. */
export async function* readDuckDbTable(path: string, table: string): AsyncGenerator<RawUserRow> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(table)) {
    throw new UsersInputError(`users table name ${JSON.stringify(table)} is not a plain identifier`);
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  } catch (error) {
    throw new UsersInputError(`cannot open DuckDB database ${path}: ${(error as Error).message}`, { cause: error });
  }
  const conn = await instance.connect();
  try {
    let result;
    try {
      const columns = (await conn.runAndReadAll(`SELECT * FROM ${table} LIMIT 0`)).columnNames().map((c) => c.toLowerCase());
      const col = (names: string[]) => names.find((n) => columns.includes(n));
      const id = col(['user_id', 'id']);
      if (!id) throw new UsersInputError(`DuckDB table ${table} has no user_id column`);
      const name = col(['screen_name', 'username', 'handle']);
      const count = col(['friends_count']);
      result = await conn.stream(`SELECT CAST(${id} AS VARCHAR), ${name ? `CAST(${name} AS VARCHAR)` : 'NULL'}, ${count ? `CAST(${count} AS VARCHAR)` : 'NULL'} FROM ${table}`);
    } catch (error) {
      if (error instanceof UsersInputError) throw error;
      throw new UsersInputError(`cannot read DuckDB table ${table} in ${path}: ${(error as Error).message}`, { cause: error });
    }
    let line = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const [userId, screenName, friendsCount] of chunk.getRows() as (string | null)[][]) {
        line++;
        yield { line, userId: userId ?? undefined, screenName: screenName ?? undefined, friendsCount: friendsCount ?? undefined };
      }
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
