import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { NotAWarehouseError, SinkError } from '../../core/errors.ts';
import { planFromRows, type PartitionRow } from '../../partition/plan.ts';
import type { Queryable } from '../sink.ts';
import { readSqlDir } from '../sql-files.ts';
import { openDuckDbFile } from './open.ts';

/** Tables every embedded warehouse has (its DDL creates them at the first write). */
const TABLES = ['user_friends', 'runs', 'heartbeats', 'partitions'];

/**
 * The DDL's views as temporary ones: a file written by an earlier version is read through the current
 * definitions, and the file itself is not changed. Statements end with `;` at the end of a line.
 */
function temporaryViews(): string[] {
  return readSqlDir('sinks/duckdb/ddl').flatMap((file) =>
    file.sql
      .split(/;[ \t]*(?:\n|$)/)
      .map((statement) => statement.replace(/^[ \t]*--.*$/gm, '').trim())
      .filter((statement) => /^CREATE OR REPLACE VIEW\b/i.test(statement))
      .map((statement) => statement.replace(/^CREATE OR REPLACE VIEW\b/i, 'CREATE OR REPLACE TEMP VIEW')),
  );
}

/**
 * The embedded warehouse opened to read it (monitor, export, plan, a trial's summary): the file is
 * opened read-only, so a reader never creates or changes one. Temporary views live in one connection,
 * so every query runs on it, one at a time.
 */
export class DuckDbReader implements Queryable {
  readonly description: string;
  private readonly instance: DuckDBInstance;
  private readonly connection: DuckDBConnection;
  private turn: Promise<unknown> = Promise.resolve();

  private constructor(path: string, instance: DuckDBInstance, connection: DuckDBConnection) {
    this.description = `duckdb:${path}`;
    this.instance = instance;
    this.connection = connection;
  }

  /** Opens an existing warehouse file; a DuckDB file without the warehouse's tables is refused. */
  static async open(path: string): Promise<DuckDbReader> {
    const instance = await openDuckDbFile(path, 'read');
    const connection = await instance.connect();
    try {
      const found = new Set((await connection.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'`)).getRowsJS().map((r) => String(r[0])));
      const missing = TABLES.filter((t) => !found.has(t));
      if (missing.length > 0) throw new NotAWarehouseError(path, missing);
      for (const view of temporaryViews()) await connection.run(view);
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      throw error instanceof SinkError ? error : new SinkError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
    return new DuckDbReader(path, instance, connection);
  }

  query(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    const run = this.turn.catch(() => undefined).then(async () => (await this.connection.runAndReadAll(sql, params)).getRowObjectsJS());
    this.turn = run;
    return run;
  }

  async latestPlan(): Promise<PartitionRow[]> {
    return planFromRows(await this.query(`SELECT * FROM partitions_latest ORDER BY partition_id`));
  }

  async close(): Promise<void> {
    await this.turn.catch(() => undefined);
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
