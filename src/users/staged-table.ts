import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UsersInputError } from '../core/errors.ts';
import type { IdKind } from '../core/ids.ts';
import type { BucketBounds, IdRange } from '../partition/bucket.ts';
import type { CollectedWork, WorkBucket, WorkModel } from '../partition/work.ts';
import { inBatches, type ReadOptions, type UserRecord, type UserTable } from './user-table.ts';
import type { BigQueryUsers } from './read-bigquery.ts';
import { readDuckDbTable } from './read-duckdb.ts';
import { readUsersFile, type RawUserRow } from './read-file.ts';
import { emptyReport, type LoadReport } from './report.ts';
import { removeDuckDbFile, removeOrphans, stagingFile } from './staging-files.ts';
import { validateRow } from './validate.ts';

/** Where a users table comes from: a file, a table of a DuckDB database, or BigQuery (a table or a query). */
export type UsersLocation = { kind: 'file'; path: string } | { kind: 'duckdb'; path: string; table: string } | BigQueryUsers;

export interface OpenOptions {
  /**
   * The worker's bucket, when known before loading (MIN_USER_ID/MAX_USER_ID, or a stored plan): a
   * warehouse table is then read for that range only. Files are read whole either way.
   */
  range?: IdRange | undefined;
}

/**
 * The researcher's users table, validated row by row and staged in a temporary DuckDB file so that
 * buckets (NTILE over ID order, work-balanced cuts) and ordered reads of one bucket are SQL, whatever
 * the table's size: a 3.6M-row table never sits in the JS heap. Numeric IDs are ordered as HUGEINT,
 * opaque IDs as text.
 */
export class StagedUserTable implements UserTable {
  readonly idKind: IdKind;
  readonly report: LoadReport;
  private readonly instance: DuckDBInstance;
  private readonly conn: DuckDBConnection;
  private readonly file: string;

  private constructor(idKind: IdKind, report: LoadReport, instance: DuckDBInstance, conn: DuckDBConnection, file: string) {
    this.idKind = idKind;
    this.report = report;
    this.instance = instance;
    this.conn = conn;
    this.file = file;
  }

  /** Loads a CSV or NDJSON users file. Bad rows are rejected or normalised and counted in `report`. */
  static fromFile(path: string, idKind: IdKind): Promise<StagedUserTable> {
    if (!existsSync(path)) throw new UsersInputError(`users file ${path} does not exist`);
    return StagedUserTable.load(readUsersFile(path), idKind);
  }

  /** Loads a table of a DuckDB database (opened read-only), validated like a file. */
  static fromDuckDb(path: string, table: string, idKind: IdKind): Promise<StagedUserTable> {
    if (!existsSync(path)) throw new UsersInputError(`DuckDB database ${path} does not exist`);
    return StagedUserTable.load(readDuckDbTable(path, table), idKind);
  }

  /** Loads users from BigQuery (all of them, or those of `range`), validated like a file. */
  static async fromBigQuery(source: BigQueryUsers, idKind: IdKind, range?: IdRange): Promise<StagedUserTable> {
    // Loaded here, not with this module: the BigQuery client library stays out of the heap of a worker
    // that reads its users from a file (sinks/bigquery/connection.ts).
    const { readBigQueryUsers } = await import('./read-bigquery.ts');
    return StagedUserTable.load(readBigQueryUsers(source, range), idKind);
  }

  static open(location: UsersLocation, idKind: IdKind, options: OpenOptions = {}): Promise<StagedUserTable> {
    switch (location.kind) {
      case 'file':
        return StagedUserTable.fromFile(location.path, idKind);
      case 'duckdb':
        return StagedUserTable.fromDuckDb(location.path, location.table, idKind);
      default:
        return StagedUserTable.fromBigQuery(location, idKind, options.range);
    }
  }

  private static async load(rows: AsyncIterable<RawUserRow>, idKind: IdKind): Promise<StagedUserTable> {
    removeOrphans();
    const file = stagingFile('.duckdb');
    const instance = await DuckDBInstance.create(file, { memory_limit: '256MB', threads: '2' });
    const conn = await instance.connect();
    const keyType = idKind === 'numeric' ? 'HUGEINT' : 'VARCHAR';
    await conn.run(`CREATE TABLE raw_users (line BIGINT, user_id VARCHAR, screen_name VARCHAR, friends_count BIGINT)`);
    const report = emptyReport();
    try {
      const appender = await conn.createAppender('raw_users');
      for await (const row of rows) {
        const user = validateRow(row, idKind, report);
        if (!user) continue;
        appender.appendBigInt(BigInt(user.line));
        appender.appendVarchar(user.id);
        if (user.screenName === undefined) appender.appendNull();
        else appender.appendVarchar(user.screenName);
        if (user.friendsCount === undefined) appender.appendNull();
        else appender.appendBigInt(user.friendsCount);
        appender.endRow();
      }
      appender.flushSync();
      appender.closeSync();
      // Keep the first row of each ID; order by the ID's value, never by a double.
      await conn.run(`
        CREATE TABLE users AS
        SELECT CAST(user_id AS ${keyType}) AS k, user_id, screen_name, friends_count
        FROM raw_users
        QUALIFY row_number() OVER (PARTITION BY user_id ORDER BY line) = 1;
        DROP TABLE raw_users;`);
    } catch (error) {
      conn.closeSync();
      instance.closeSync();
      removeDuckDbFile(file);
      throw error;
    }
    const table = new StagedUserTable(idKind, report, instance, conn, file);
    const accepted = await table.count();
    const valid = report.rows - Object.values(report.rejected).reduce((a, b) => a + b, 0);
    report.accepted = accepted;
    report.duplicates = valid - accepted;
    return table;
  }

  /** Users in `range` (all when undefined). */
  async count(range?: IdRange): Promise<number> {
    const where = this.where(range);
    const r = await this.conn.runAndReadAll(`SELECT count(*) FROM users WHERE ${where.sql}`, where.params);
    return Number(r.getRowsJS()[0]![0]);
  }

  /**
   * `NTILE(partitions) OVER (ORDER BY user_id)`: the reference's buckets of equal user count (sizes
   * differ by at most one, larger buckets first), with their ID bounds.
   */
  async ntile(partitions: number): Promise<BucketBounds[]> {
    const r = await this.conn.runAndReadAll(
      `SELECT p AS partition_id, count(*) AS user_count, CAST(min(k) AS VARCHAR) AS min_id, CAST(max(k) AS VARCHAR) AS max_id
       FROM (SELECT k, NTILE($1) OVER (ORDER BY k) AS p FROM users)
       GROUP BY p ORDER BY p`,
      [partitions],
    );
    return r.getRowObjectsJS().map((o) => ({
      partition_id: Number(o.partition_id),
      user_count: Number(o.user_count),
      min_id: String(o.min_id),
      max_id: String(o.max_id),
    }));
  }

  async friendsCountCoverage(): Promise<number> {
    const r = await this.conn.runAndReadAll(`SELECT count(friends_count) / greatest(count(*), 1) FROM users`);
    return Number(r.getRowsJS()[0]![0]);
  }

  async cut(partitions: number, balance: 'count' | 'work', model: WorkModel): Promise<WorkBucket[]> {
    // Work-balanced buckets: each user goes to the bucket its cumulative-work midpoint falls in, so
    // ranges stay contiguous in ID order and every user lands in exactly one.
    const bucket =
      balance === 'count'
        ? `NTILE(${partitions}) OVER (ORDER BY k)`
        : `least(${partitions}, floor((sum(work) OVER (ORDER BY k ROWS UNBOUNDED PRECEDING) - work / 2) * ${partitions} / sum(work) OVER ()) + 1)`;
    const r = await this.conn.runAndReadAll(
      `WITH w AS (${this.workSql(model)}),
            b AS (SELECT k, work, ${bucket} AS p FROM w)
       SELECT p AS partition_id, count(*) AS user_count, CAST(min(k) AS VARCHAR) AS min_id, CAST(max(k) AS VARCHAR) AS max_id,
              sum(work) AS expected_pages
       FROM b GROUP BY p ORDER BY p`,
    );
    return r.getRowObjectsJS().map((o) => ({
      partition_id: Number(o.partition_id),
      user_count: Number(o.user_count),
      min_id: String(o.min_id),
      max_id: String(o.max_id),
      expected_pages: Number(o.expected_pages),
    }));
  }

  async fitBins(samples: readonly CollectedWork[], bins: number): Promise<(number | undefined)[]> {
    await this.conn.run(`CREATE OR REPLACE TEMP TABLE samples (user_id VARCHAR, requests DOUBLE)`);
    const appender = await this.conn.createAppender('samples', 'main', 'temp');
    for (const s of samples) {
      appender.appendVarchar(s.user_id);
      appender.appendDouble(s.requests);
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();
    const r = await this.conn.runAndReadAll(
      `SELECT bin, avg(s.requests) AS mean
       FROM (SELECT user_id, NTILE($1) OVER (ORDER BY k) AS bin FROM users) u JOIN temp.main.samples s USING (user_id)
       GROUP BY bin`,
      [bins],
    );
    const out: (number | undefined)[] = new Array<number | undefined>(bins).fill(undefined);
    for (const [bin, mean] of r.getRowsJS() as [bigint, number][]) out[Number(bin) - 1] = mean;
    return out;
  }

  /** `SELECT k, work FROM ...`: each user's expected requests under `model`. */
  private workSql(model: WorkModel): string {
    switch (model.kind) {
      case 'uniform':
        return 'SELECT k, 1.0 AS work FROM users';
      case 'friends_count':
        return `SELECT k, greatest(1, ceil(least(coalesce(friends_count, (SELECT coalesce(avg(friends_count), 0) FROM users)), ${model.maxFriends}) / ${model.pageSize})) AS work FROM users`;
      case 'fitted': {
        const values = model.bins.map((w, i) => `(${i + 1}, ${Number(w).toFixed(6)})`).join(', ');
        return `SELECT k, m.work FROM (SELECT k, NTILE(${model.bins.length}) OVER (ORDER BY k) AS bin FROM users) u
                JOIN (VALUES ${values}) AS m(bin, work) USING (bin)`;
      }
    }
  }

  /** The users of `range` in ID order, in batches, leaving out `skip`, up to `limit`. */
  batches(range: IdRange | undefined, options: ReadOptions): AsyncGenerator<UserRecord[]> {
    return inBatches(this.users(range), options);
  }

  /** The users of `range` in ID order (the first `limit` of them), streamed from DuckDB a chunk at a time. */
  async *users(range: IdRange | undefined, limit?: number): AsyncGenerator<UserRecord> {
    const where = this.where(range);
    const rows = limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(limit))}`;
    const result = await this.conn.stream(`SELECT user_id, screen_name, friends_count FROM users WHERE ${where.sql} ORDER BY k${rows}`, where.params);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const [id, name, count] of chunk.getRows() as [string, string | null, bigint | null][]) {
        yield { id, screenName: name ?? undefined, friendsCount: count === null ? undefined : Number(count) };
      }
    }
  }

  async close(): Promise<void> {
    this.conn.closeSync();
    this.instance.closeSync();
    removeDuckDbFile(this.file);
  }

  private where(range: IdRange | undefined): { sql: string; params: string[] } {
    if (!range) return { sql: 'TRUE', params: [] };
    const type = this.idKind === 'numeric' ? 'HUGEINT' : 'VARCHAR';
    return { sql: `k BETWEEN CAST($1 AS ${type}) AND CAST($2 AS ${type})`, params: [range.min, range.max] };
  }
}
