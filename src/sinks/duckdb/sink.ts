import { DuckDBInstance, DuckDBTimestampTZValue, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { SinkError } from '../../errors.ts';
import type { IdRange } from '../../partition/bucket.ts';
import { HEARTBEAT_COLUMNS, RUN_COLUMNS, type HeartbeatRow, type RunRecord, type UserFriendsRow } from '../row.ts';
import type { Sink, SinkOptions } from '../sink.ts';
import { readSqlDir } from '../sql-files.ts';
import { rangeCondition } from './sql.ts';

/**
 * Rows are appended to a per-connection temporary staging table whose list columns are single
 * space-joined strings, then moved into user_friends in one transaction with string_split: the
 * appender's appendList costs about twice as much per name (bench/duckdb-append.ts), and a full
 * 2,000-name row is the common case in old buckets. IDs and screen names never contain spaces.
 */
const STAGING_DDL = `
CREATE TEMP TABLE IF NOT EXISTS staging (
  user_id VARCHAR, screen_name VARCHAR, friend_count INTEGER, friend_names VARCHAR, friend_ids VARCHAR,
  status VARCHAR, error VARCHAR, truncated BOOLEAN, pages INTEGER, partition_id INTEGER,
  run_id VARCHAR, worker VARCHAR, source VARCHAR, start_at TIMESTAMPTZ, end_at TIMESTAMPTZ
)`;

const MOVE_STAGED = `
BEGIN TRANSACTION;
INSERT INTO user_friends
SELECT user_id, screen_name, friend_count,
       CASE WHEN friend_names IS NULL THEN NULL WHEN friend_names = '' THEN []::VARCHAR[] ELSE string_split(friend_names, ' ') END,
       CASE WHEN friend_ids IS NULL THEN NULL WHEN friend_ids = '' THEN []::VARCHAR[] ELSE string_split(friend_ids, ' ') END,
       status, error, truncated, pages, partition_id, run_id, worker, source, start_at, end_at
FROM temp.main.staging;
DELETE FROM temp.main.staging;
COMMIT;`;

const TIMESTAMP_COLUMNS = new Set(['started_at', 'ended_at', 'beat_at']);

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
  private readonly options: Required<Omit<SinkOptions, 'onAcknowledged'>> & Pick<SinkOptions, 'onAcknowledged'>;
  private instance: DuckDBInstance | undefined;
  private writer: DuckDBConnection | undefined;
  private reader: DuckDBConnection | undefined;
  private buffer: UserFriendsRow[] = [];
  private flushing: Promise<void> | undefined;
  private waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private failure: SinkError | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(path: string, options: SinkOptions = {}) {
    this.path = path;
    this.description = `duckdb:${path}`;
    this.options = {
      maxBufferedRows: options.maxBufferedRows ?? 1000,
      flushRows: options.flushRows ?? 200,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      onAcknowledged: options.onAcknowledged,
    };
  }

  async open(): Promise<void> {
    try {
      this.instance = await DuckDBInstance.create(this.path);
    } catch (error) {
      throw new SinkError(`cannot open DuckDB file ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    this.writer = await this.instance.connect();
    this.reader = await this.instance.connect();
    for (const file of readSqlDir('sinks/duckdb/ddl')) {
      try {
        await this.writer.run(file.sql);
      } catch (error) {
        throw new SinkError(`cannot prepare ${this.description} (${file.name}): ${(error as Error).message}`, { cause: error });
      }
    }
    await this.writer.run(STAGING_DDL);
    this.timer = setInterval(() => this.startFlush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Runs a read-only query on the warehouse (monitoring, export, summaries). */
  async query(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    const reader = await this.conn('reader').runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  async writeRun(run: RunRecord): Promise<void> {
    await this.insertRecord('runs', RUN_COLUMNS, run, `run ${run.run_id}`);
  }

  async writeHeartbeat(beat: HeartbeatRow): Promise<void> {
    await this.insertRecord('heartbeats', HEARTBEAT_COLUMNS, beat, `heartbeat of ${beat.run_id}`);
  }

  /** One parameterised INSERT of a record whose keys are the table's columns. */
  private async insertRecord<T extends object>(table: string, columns: readonly (keyof T & string)[], record: T, what: string): Promise<void> {
    const placeholders = columns.map((c, i) => (TIMESTAMP_COLUMNS.has(c) ? `CAST($${i + 1} AS TIMESTAMPTZ)` : `$${i + 1}`));
    const values = columns.map((c) => {
      const v = record[c] as unknown;
      return (v instanceof Date ? v.toISOString() : v) as DuckDBValue;
    });
    try {
      await this.conn('writer').run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')})`, values);
    } catch (error) {
      throw new SinkError(`cannot record ${what}: ${(error as Error).message}`, { cause: error });
    }
  }

  write(row: UserFriendsRow): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.buffer.push(row);
    if (this.buffer.length >= this.options.flushRows) this.startFlush();
    if (this.buffer.length < this.options.maxBufferedRows) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async flush(): Promise<void> {
    while (this.flushing || this.buffer.length > 0) {
      if (this.failure) throw this.failure;
      this.startFlush();
      await this.flushing;
    }
    if (this.failure) throw this.failure;
  }

  async completedUserIds(range: IdRange | undefined, maxAttempts: number): Promise<Set<string>> {
    const where = rangeCondition(range, 'user_id', 2);
    const rows = await this.conn('reader').runAndReadAll(
      `SELECT user_id FROM user_friends WHERE ${where.sql}
       GROUP BY user_id HAVING bool_or(status <> 'failed') OR count(*) >= $1`,
      [maxAttempts, ...where.params],
    );
    return new Set(rows.getColumnsJS()[0] as string[] | undefined);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      if (!this.failure) await this.flush();
    } finally {
      this.reader?.closeSync();
      this.writer?.closeSync();
      this.instance?.closeSync();
      this.reader = this.writer = this.instance = undefined;
    }
  }

  private conn(which: 'reader' | 'writer'): DuckDBConnection {
    const c = which === 'reader' ? this.reader : this.writer;
    if (!c) throw new SinkError(`${this.description} is not open`);
    return c;
  }

  private startFlush(): void {
    if (this.flushing || this.buffer.length === 0 || this.failure) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.buffer.length > 0 && !this.failure) {
      const batch = this.buffer;
      this.buffer = [];
      this.releaseWaiters();
      try {
        await this.insert(batch);
      } catch (error) {
        this.failure = new SinkError(`cannot write to ${this.description}: ${(error as Error).message}`, { cause: error });
        for (const w of this.waiters.splice(0)) w.reject(this.failure);
        return;
      }
      this.options.onAcknowledged?.(batch);
    }
  }

  /** Writers waiting for room may go on once the buffer is below its bound. */
  private releaseWaiters(): void {
    while (this.waiters.length > 0 && this.buffer.length < this.options.maxBufferedRows) this.waiters.shift()!.resolve();
  }

  private async insert(rows: readonly UserFriendsRow[]): Promise<void> {
    const writer = this.conn('writer');
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
