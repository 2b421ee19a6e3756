import type { BigQuery } from '@google-cloud/bigquery';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../../core/backoff.ts';
import { SinkError } from '../../core/errors.ts';
import type { IdRange } from '../../partition/bucket.ts';
import { PARTITION_COLUMNS, type PartitionRow } from '../../partition/plan.ts';
import type { CollectedWork } from '../../partition/work.ts';
import { DeadLetterFile } from '../dead-letter.ts';
import { planFromRows } from '../../partition/plan.ts';
import { HEARTBEAT_COLUMNS, RUN_COLUMNS, USER_FRIENDS_COLUMNS, USER_FRIENDS_LIST_COLUMNS, type HeartbeatRow, type RunRecord, type UserFriendsRow } from '../row.ts';
import { RowBuffer } from '../row-buffer.ts';
import type { Sink, SinkOptions } from '../sink.ts';
import { createClient, tableName, type BigQueryConnection, type DatasetRef } from './client.ts';
import { insertIdOf, streamed, toJson } from './encode.ts';
import { classifyFailure } from './errors.ts';
import { insertAll, type InsertAnswer, type InsertTransport, type StreamedRow } from './insert-all.ts';
import { answered, queryAll, queryPages, type QueryParam } from './query.ts';
import { rangeCondition } from './sql.ts';

/** A `bigquery:PROJECT.DATASET` warehouse and how to reach it. */
export interface BigQueryTarget extends DatasetRef {
  connection: BigQueryConnection;
}

export interface BigQuerySinkOptions extends SinkOptions {
  /** Time one insert request may take before it is sent again. Default 30 s. */
  requestTimeoutMs?: number;
  /** Retries of failed inserts. Default 0.5 s doubling up to 30 s, with full jitter. */
  backoff?: BackoffOptions;
  /** How long a run, heartbeat or plan record may take to store before the call fails. Default 60 s. */
  recordTimeoutMs?: number;
}

/** Tables the workers write, with the columns they must have (checked at start, before any work). */
const TABLES: Record<string, readonly string[]> = {
  user_friends: USER_FRIENDS_COLUMNS,
  runs: [...RUN_COLUMNS, 'recorded_at'],
  heartbeats: HEARTBEAT_COLUMNS,
  partitions: PARTITION_COLUMNS,
};

/** Columns added to a table after its first release, with their types, for the hint that adds them. */
const ADDED_COLUMNS: Record<string, string> = { expected_count: 'INT64', rate_limit_wait_ms: 'INT64' };

/** Bytes of rows a worker holds before `write` waits (as well as SINK_BUFFER_ROWS): a 2,000-name row is ~80 KB of JSON. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
/** Run and heartbeat records may still be stored this long after a shutdown deadline, then the worker goes. */
const AFTER_DEADLINE_MS = 2_000;

/**
 * The production warehouse: rows streamed into BigQuery with tabledata.insertAll (see
 * ./insert-all.ts for batching, retries, partial failures and dead letters), read back with queries.
 * The tables and views are made by `friendfleet setup` (./setup.ts); `open` checks they are there,
 * because a worker's service account should not need the right to create them.
 */
export class BigQuerySink implements Sink {
  readonly description: string;
  private readonly target: BigQueryTarget;
  private readonly options: BigQuerySinkOptions;
  /** Queries (resume, plans, monitoring): the client retries them itself. */
  private readonly reader: BigQuery;
  /** Streaming: retried here, with the same insertIds and a deadline the client knows nothing of. */
  private readonly streamer: BigQuery;
  private readonly rows: RowBuffer<StreamedRow<UserFriendsRow>>;
  private readonly deadLetters: DeadLetterFile | undefined;
  /** Epoch ms after which inserts give up (set by `flush` at shutdown). */
  private deadline = Infinity;
  private closed = false;
  private lastRecordedAt = 0;

  private get setupHint(): string {
    return `run friendfleet setup --sink ${this.description}`;
  }

  /** Setup creates missing tables but leaves existing ones be: columns added since a table was made are added by hand. */
  private addColumnsHint(table: string, missing: readonly string[]): string {
    const typed = missing.map((c) => ADDED_COLUMNS[c] && `ADD COLUMN ${c} ${ADDED_COLUMNS[c]}`);
    if (typed.some((t) => !t)) return this.setupHint;
    return `the table predates them; add them with ALTER TABLE \`${this.target.project}.${this.target.dataset}.${table}\` ${typed.join(', ')}`;
  }

  constructor(target: BigQueryTarget, options: BigQuerySinkOptions = {}) {
    this.target = target;
    this.options = options;
    this.description = `bigquery:${target.project}.${target.dataset}`;
    this.reader = createClient(target.project, target.connection, { autoRetry: true });
    this.streamer = createClient(target.project, target.connection, { autoRetry: false });
    this.deadLetters = options.deadLetterFile ? new DeadLetterFile(options.deadLetterFile) : undefined;
    this.rows = new RowBuffer({
      insert: (batch) => this.stream('user_friends', batch, () => this.deadline),
      onAcknowledged: options.onAcknowledged ? (batch) => options.onAcknowledged!(batch.map((r) => r.item)) : undefined,
      maxBufferedRows: options.maxBufferedRows ?? 1000,
      flushRows: options.flushRows ?? 500,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      sizeOf: (row) => row.bytes,
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      describeFailure: (error) => (error instanceof SinkError ? error : new SinkError(`cannot write to ${this.description}: ${classifyFailure(error).summary}`)),
    });
  }

  async open(): Promise<void> {
    const dataset = this.reader.dataset(this.target.dataset);
    for (const [table, columns] of Object.entries(TABLES)) {
      let fields: { name?: string }[];
      try {
        const [metadata] = await answered(() => dataset.table(table).getMetadata(), 'tables.get');
        fields = (metadata as { schema?: { fields?: { name?: string }[] } }).schema?.fields ?? [];
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.status === 404) throw new SinkError(`${this.description} has no table ${table}: ${this.setupHint}`);
        throw new SinkError(`cannot open ${this.description}: ${failure.summary}`);
      }
      const missing = columns.filter((c) => !fields.some((f) => f.name === c));
      if (missing.length > 0) throw new SinkError(`${this.description}: table ${table} lacks columns ${missing.join(', ')}: ${this.addColumnsHint(table, missing)}`);
    }
    this.rows.start();
  }

  /**
   * Runs a read-only query (monitoring, plans, summaries). `$1`-style parameters, as the DuckDB
   * warehouse takes them, become GoogleSQL named parameters; unqualified names are the dataset's.
   */
  async query(sql: string, params: QueryParam[] = []): Promise<Record<string, unknown>[]> {
    const named = sql.replace(/\$(\d+)/g, '@p$1');
    return queryAll(this.reader, named, {
      params: Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v])),
      defaultDataset: this.target,
      what: 'warehouse query',
      notFoundHint: this.setupHint,
    });
  }

  write(row: UserFriendsRow): Promise<void> {
    return this.rows.write(streamed(row, insertIdOf(row.run_id, row.user_id, row.start_at.getTime()), toJson(row, USER_FRIENDS_LIST_COLUMNS)));
  }

  /**
   * Resolves when every row written so far is stored. With a deadline (a shutdown: Heroku kills 30 s
   * after SIGTERM), inserts give up when it passes and this rejects: rows not stored are not
   * acknowledged, and the next run collects those users again.
   */
  async flush(deadline?: number): Promise<void> {
    if (deadline !== undefined) this.deadline = Math.min(this.deadline, deadline);
    await this.rows.flush();
  }

  async writeRun(run: RunRecord): Promise<void> {
    // Strictly increasing within the process, so runs_latest orders a run's states even when two
    // are recorded in the same millisecond.
    const recorded = new Date(Math.max(Date.now(), this.lastRecordedAt + 1));
    this.lastRecordedAt = recorded.getTime();
    await this.record('runs', [streamed(run, insertIdOf('run', run.run_id, run.state, recorded.getTime()), toJson({ ...run, recorded_at: recorded }))]);
  }

  async writeHeartbeat(beat: HeartbeatRow): Promise<void> {
    await this.record('heartbeats', [streamed(beat, insertIdOf('beat', beat.run_id, beat.beat_at.getTime()))]);
  }

  async writePlan(rows: readonly PartitionRow[]): Promise<void> {
    await this.record(
      'partitions',
      rows.map((r) => streamed(r, insertIdOf('plan', r.plan_id, r.partition_id))),
    );
  }

  async latestPlan(): Promise<PartitionRow[]> {
    return planFromRows(await this.query(`SELECT * FROM partitions_latest ORDER BY partition_id`));
  }

  async collectedWork(source: string): Promise<CollectedWork[]> {
    const rows = await this.query(`SELECT user_id, GREATEST(pages, 1) AS requests FROM user_friends_latest WHERE source = $1`, [source]);
    return rows.map((r) => ({ user_id: String(r.user_id), requests: Number(r.requests) }));
  }

  /**
   * The resume query: IDs of the range whose latest status from `source` is terminal, or that it
   * failed `maxAttempts` times (attempts counted once each: user_friends_distinct). The bounds are
   * query parameters; pages are read one at a time.
   */
  async completedUserIds(source: string, range: IdRange | undefined, maxAttempts: number): Promise<Set<string>> {
    const where = rangeCondition(range, 'user_id');
    const done = new Set<string>();
    const sql = `SELECT user_id FROM ${tableName(this.target, 'user_friends_distinct')} WHERE source = @source AND ${where.sql}
                 GROUP BY user_id HAVING LOGICAL_OR(status <> 'failed') OR COUNT(*) >= @max_attempts`;
    for await (const rows of queryPages(this.reader, sql, { params: { ...where.params, source, max_attempts: maxAttempts }, what: 'resume query', notFoundHint: this.setupHint })) {
      for (const r of rows) done.add(String(r.user_id));
    }
    return done;
  }

  async close(): Promise<void> {
    this.rows.stop();
    try {
      if (!this.rows.failure && !this.closed) await this.flush();
    } finally {
      this.closed = true;
    }
  }

  /**
   * Stores a few records (runs, heartbeats, plans) now. They give up after `recordTimeoutMs`, and once
   * a shutdown deadline is set, 2 s after it: the last heartbeat and the run's final state may still
   * land when the rows just did, but a worker whose BigQuery is gone exits soon after the deadline.
   */
  private async record<T>(table: string, rows: StreamedRow<T>[]): Promise<void> {
    const limit = Date.now() + (this.options.recordTimeoutMs ?? 60_000);
    const giveUpAt = () => Math.min(limit, this.deadline + AFTER_DEADLINE_MS);
    const stored = await this.stream(table, rows, giveUpAt);
    if (stored.length < rows.length) throw new SinkError(`${this.description}: a ${table} record was refused as invalid (see the dead-letter file)`);
  }

  /** Streams rows into `table`; returns the rows stored. Rejected rows go to the dead-letter file. */
  private async stream<T>(table: string, rows: StreamedRow<T>[], giveUpAt: () => number): Promise<StreamedRow<T>[]> {
    const { accepted, rejected } = await insertAll(rows, {
      send: this.transport(table),
      backoff: this.options.backoff ?? DEFAULT_BACKOFF,
      giveUpAt: () => (this.closed ? 0 : giveUpAt()),
      requestTimeoutMs: this.options.requestTimeoutMs,
      onRetry: (info) => this.options.log?.warn({ table, ...info }, 'BigQuery insert failed; retrying'),
    });
    if (rejected.length > 0) {
      this.deadLetters?.append(rejected.map((r) => ({ table, reason: r.reason, row: r.row.json })));
      this.options.log?.error(
        { table, rows: rejected.length, file: this.deadLetters?.path, reasons: [...new Set(rejected.map((r) => r.reason))].slice(0, 5) },
        'BigQuery refused rows as invalid; written to the dead-letter file',
      );
      // The run's dead_letters count users without a row; a refused record fails its own call.
      if (table === 'user_friends') this.options.onDeadLettered?.(rejected.length);
    }
    return accepted;
  }

  /** One insertAll request through the client (`table.insert` with raw rows), as insert-all.ts wants it. */
  private transport(table: string): InsertTransport {
    const t = this.streamer.dataset(this.target.dataset).table(table);
    return async (rows) => {
      try {
        await t.insert(rows as { insertId: string; json: Record<string, unknown> }[], { raw: true, skipInvalidRows: true, partialRetries: 0 });
        return { ok: true };
      } catch (error) {
        const partial = error as { name?: string; errors?: { row?: unknown; errors?: { reason?: string; message?: string }[] }[] };
        if (partial.name !== 'PartialFailureError' || !partial.errors) throw error;
        const index = new Map(rows.map((r, i) => [r as unknown, i]));
        const rowErrors: Extract<InsertAnswer, { ok: false }>['rowErrors'] = new Map();
        for (const e of partial.errors) {
          const i = index.get(e.row);
          if (i !== undefined)
            rowErrors.set(
              i,
              (e.errors ?? []).map((x) => ({ reason: x.reason ?? 'unknown', message: x.message ?? '' })),
            );
        }
        return { ok: false, rowErrors };
      }
    };
  }
}
