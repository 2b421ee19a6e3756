import { DuckDBTimestampTZValue, type DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { SinkError } from '../../core/errors.ts';
import type { IdRange } from '../../partition/bucket.ts';
import { PARTITION_COLUMNS, planFromRows, type PartitionRow } from '../../partition/plan.ts';
import type { CollectedWork } from '../../partition/work.ts';
import { HEARTBEAT_COLUMNS, RUN_COLUMNS, type HeartbeatRow, type RunRecord, type UserFriendsRow } from '../row.ts';
import { RowBuffer } from '../row-buffer.ts';
import type { Sink, SinkOptions } from '../sink.ts';
import { readSqlDir } from '../sql-files.ts';
import { openDuckDbFile } from './open.ts';
import { rangeCondition } from './sql.ts';

/**
 * Rows are appended to a per-connection temporary staging table whose list columns are single
 * space-joined strings, then moved into user_friends in one transaction with string_split: half the
 * cost of the appender's lists per name (docs/decisions.md, 2026-11-23). IDs and screen names never
 * contain spaces.
 */
const STAGING_DDL = `
CREATE TEMP TABLE IF NOT EXISTS staging (
  user_id VARCHAR, screen_name VARCHAR, friend_count INTEGER, friend_names VARCHAR, friend_ids VARCHAR,
  status VARCHAR, error VARCHAR, truncated BOOLEAN, pages INTEGER, partition_id INTEGER,
  run_id VARCHAR, worker VARCHAR, source VARCHAR, start_at TIMESTAMPTZ, end_at TIMESTAMPTZ, expected_count BIGINT
)`;

const MOVE_STAGED = `
BEGIN TRANSACTION;
INSERT INTO user_friends
SELECT user_id, screen_name, friend_count,
       CASE WHEN friend_names IS NULL THEN NULL WHEN friend_names = '' THEN []::VARCHAR[] ELSE string_split(friend_names, ' ') END,
       CASE WHEN friend_ids IS NULL THEN NULL WHEN friend_ids = '' THEN []::VARCHAR[] ELSE string_split(friend_ids, ' ') END,
       status, error, truncated, pages, partition_id, run_id, worker, source, start_at, end_at, expected_count
FROM temp.main.staging;
DELETE FROM temp.main.staging;
COMMIT;`;

const TIMESTAMP_COLUMNS = new Set(['started_at', 'ended_at', 'beat_at', 'created_at']);

function timestamp(date: Date): DuckDBTimestampTZValue {
  return new DuckDBTimestampTZValue(BigInt(date.getTime()) * 1000n);
}

function appendNullable(appender: DuckDBAppender, value: string | null): void {
  if (value === null) appender.appendNull();
  else appender.appendVarchar(value);
}

/** The embedded warehouse: one DuckDB file, written by this process only (DuckDB takes a file lock). */
export class DuckDbSink implements Sink {
  readonly description: string;
  private readonly path: string;
  private readonly rows: RowBuffer<UserFriendsRow>;
  private instance: DuckDBInstance | undefined;
  private writer: DuckDBConnection | undefined;
  /**
   * A DuckDB connection runs one statement at a time; rows, runs, heartbeats and plans all write on
   * one connection (the staging table is per connection), so every use of it waits its turn here.
   */
  private writerTurn: Promise<unknown> = Promise.resolve();

  constructor(path: string, options: SinkOptions = {}) {
    this.path = path;
    this.description = `duckdb:${path}`;
    this.rows = new RowBuffer<UserFriendsRow>({
      insert: (rows) => this.insert(rows),
      onAcknowledged: options.onAcknowledged,
      maxBufferedRows: options.maxBufferedRows ?? 1000,
      flushRows: options.flushRows ?? 200,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      describeFailure: (error) => new SinkError(`cannot write to ${this.description}: ${(error as Error).message}`, { cause: error }),
    });
  }

  async open(): Promise<void> {
    this.instance = await openDuckDbFile(this.path, 'write');
    this.writer = await this.instance.connect();
    for (const file of readSqlDir('sinks/duckdb/ddl')) {
      try {
        await this.writer.run(file.sql);
      } catch (error) {
        throw new SinkError(`cannot prepare ${this.description} (${file.name}): ${(error as Error).message}`, { cause: error });
      }
    }
    await this.writer.run(STAGING_DDL);
    this.rows.start();
  }

  /** Runs a read-only query on the warehouse (monitoring, export, summaries). */
  async query(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    // Each read gets its own connection, so reads run beside writes and beside each other.
    if (!this.instance) throw new SinkError(`${this.description} is not open`);
    const conn = await this.instance.connect();
    try {
      return (await conn.runAndReadAll(sql, params)).getRowObjectsJS();
    } finally {
      conn.closeSync();
    }
  }

  async writeRun(run: RunRecord): Promise<void> {
    await this.insertRecord('runs', RUN_COLUMNS, run, `run ${run.run_id}`);
  }

  async writeHeartbeat(beat: HeartbeatRow): Promise<void> {
    await this.insertRecord('heartbeats', HEARTBEAT_COLUMNS, beat, `heartbeat of ${beat.run_id}`);
  }

  async writePlan(rows: readonly PartitionRow[]): Promise<void> {
    await this.withWriter(async (writer) => {
      await writer.run('BEGIN TRANSACTION');
      try {
        for (const row of rows) await this.insertWith(writer, 'partitions', PARTITION_COLUMNS, row, `plan ${row.plan_id}`);
        await writer.run('COMMIT');
      } catch (error) {
        await writer.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  async latestPlan(): Promise<PartitionRow[]> {
    return planFromRows(await this.query(`SELECT * FROM partitions_latest ORDER BY partition_id`));
  }

  async collectedWork(source: string): Promise<CollectedWork[]> {
    const rows = await this.query(`SELECT user_id, greatest(pages, 1) AS requests FROM user_friends_latest WHERE source = $1`, [source]);
    return rows.map((r) => ({ user_id: String(r.user_id), requests: Number(r.requests) }));
  }

  /** One parameterised INSERT of a record whose keys are the table's columns. */
  private insertRecord<T extends object>(table: string, columns: readonly (keyof T & string)[], record: T, what: string): Promise<void> {
    return this.withWriter((writer) => this.insertWith(writer, table, columns, record, what));
  }

  private async insertWith<T extends object>(writer: DuckDBConnection, table: string, columns: readonly (keyof T & string)[], record: T, what: string): Promise<void> {
    const placeholders = columns.map((c, i) => (TIMESTAMP_COLUMNS.has(c) ? `CAST($${i + 1} AS TIMESTAMPTZ)` : `$${i + 1}`));
    const values = columns.map((c) => {
      const v = record[c] as unknown;
      return (v instanceof Date ? v.toISOString() : v) as DuckDBValue;
    });
    try {
      await writer.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')})`, values);
    } catch (error) {
      throw new SinkError(`cannot record ${what}: ${(error as Error).message}`, { cause: error });
    }
  }

  write(row: UserFriendsRow): Promise<void> {
    return this.rows.write(row);
  }

  flush(): Promise<void> {
    return this.rows.flush();
  }

  /**
   * Stores `rows` now, in one transaction, past this sink's buffer: for a caller that sends batches
   * already (a fleet's warehouse host), so one worker's batch never waits behind another's rows.
   */
  async insertRows(rows: readonly UserFriendsRow[]): Promise<void> {
    if (rows.length > 0) await this.insert(rows);
  }

  async completedUserIds(source: string, range: IdRange | undefined, maxAttempts: number): Promise<Set<string>> {
    const where = rangeCondition(range, 'user_id', 3);
    const rows = await this.query(
      `SELECT user_id FROM user_friends WHERE source = $2 AND ${where.sql}
       GROUP BY user_id HAVING bool_or(status <> 'failed') OR count(*) >= $1`,
      [maxAttempts, source, ...where.params],
    );
    return new Set(rows.map((r) => String(r.user_id)));
  }

  async close(): Promise<void> {
    this.rows.stop();
    try {
      if (!this.rows.failure) await this.flush();
    } finally {
      await this.writerTurn.catch(() => undefined);
      this.writer?.closeSync();
      this.instance?.closeSync();
      this.writer = this.instance = undefined;
    }
  }

  /** Runs `fn` with the writer connection once every earlier use of it has finished. */
  private withWriter<T>(fn: (writer: DuckDBConnection) => Promise<T>): Promise<T> {
    const writer = this.writer;
    if (!writer) return Promise.reject(new SinkError(`${this.description} is not open`));
    const turn = this.writerTurn.catch(() => undefined).then(() => fn(writer));
    this.writerTurn = turn;
    return turn;
  }

  private insert(rows: readonly UserFriendsRow[]): Promise<void> {
    return this.withWriter((writer) => this.moveRows(writer, rows));
  }

  /** Appends rows to the staging table, then moves them into user_friends in one transaction. */
  private async moveRows(writer: DuckDBConnection, rows: readonly UserFriendsRow[]): Promise<void> {
    const appender = await writer.createAppender('staging', 'main', 'temp');
    try {
      for (const r of rows) {
        appender.appendVarchar(r.user_id);
        appendNullable(appender, r.screen_name);
        if (r.friend_count === null) appender.appendNull();
        else appender.appendInteger(r.friend_count);
        appendNullable(appender, r.friend_names === null ? null : r.friend_names.join(' '));
        appendNullable(appender, r.friend_ids === null ? null : r.friend_ids.join(' '));
        appender.appendVarchar(r.status);
        appendNullable(appender, r.error);
        appender.appendBoolean(r.truncated);
        appender.appendInteger(r.pages);
        if (r.partition_id === null) appender.appendNull();
        else appender.appendInteger(r.partition_id);
        appender.appendVarchar(r.run_id);
        appender.appendVarchar(r.worker);
        appender.appendVarchar(r.source);
        appender.appendTimestampTZ(timestamp(r.start_at));
        appender.appendTimestampTZ(timestamp(r.end_at));
        if (r.expected_count === null) appender.appendNull();
        else appender.appendBigInt(BigInt(r.expected_count));
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    try {
      await writer.run(MOVE_STAGED);
    } catch (error) {
      await writer.run('ROLLBACK').catch(() => undefined);
      await writer.run('DELETE FROM temp.main.staging').catch(() => undefined);
      throw error;
    }
  }
}
