import type { Logger } from 'pino';
import type { IdRange } from '../partition/bucket.ts';
import type { PartitionRow } from '../partition/plan.ts';
import type { CollectedWork } from '../partition/work.ts';
import type { HeartbeatRow, RunRecord, UserFriendsRow } from './row.ts';

/**
 * A warehouse that stores rows. Rows are acknowledged (counted as saved) only once durably stored;
 * `write` applies backpressure by resolving only when the sink's bounded buffer has room.
 */
export interface Sink {
  /** e.g. `duckdb:./friendfleet.duckdb`. */
  readonly description: string;
  /**
   * Prepares the warehouse. The embedded one creates its tables and views if missing (idempotent);
   * BigQuery checks that `friendfleet setup` made them, since a worker's account need not create them.
   */
  open(): Promise<void>;
  /** Appends a state of a run (start, end) to the runs table. Durable when it resolves. */
  writeRun(run: RunRecord): Promise<void>;
  /** Appends a worker's live counters to the heartbeats table. */
  writeHeartbeat(beat: HeartbeatRow): Promise<void>;
  /** Buffers one row. Resolves when there is room for more; rejects once the sink has failed. */
  write(row: UserFriendsRow): Promise<void>;
  /**
   * Resolves when every row written so far is durably stored. With a `deadline` (epoch ms; a worker
   * sets one at shutdown), a sink that retries gives up when it passes and rejects; rows not stored by
   * then are never acknowledged.
   */
  flush(deadline?: number): Promise<void>;
  /**
   * IDs in `range` (all when undefined) that need no more collection from `source`: their latest
   * status from it is terminal, or it failed them `maxAttempts` times. Rows of another source do not
   * count: one warehouse may hold the same users collected from several networks.
   */
  completedUserIds(source: string, range: IdRange | undefined, maxAttempts: number): Promise<Set<string>>;
  /** Stores a bucket plan (`friendfleet partition`) in the partitions table. */
  writePlan(rows: readonly PartitionRow[]): Promise<void>;
  /** The newest stored plan's buckets, or an empty list when none is stored. */
  latestPlan(): Promise<PartitionRow[]>;
  /** Requests each user collected from `source` took (latest rows), to fit a work model. */
  collectedWork(source: string): Promise<CollectedWork[]>;
  /** Flushes and releases the warehouse. */
  close(): Promise<void>;
}

/** Anything that answers SQL: the embedded warehouse, a fleet's host, and BigQuery. */
export interface Queryable {
  query(sql: string, params?: (string | number | boolean | null)[]): Promise<Record<string, unknown>[]>;
}

/** A row that was stored, as a sink reports it: a sink may no longer hold the rest of it. */
export type AcknowledgedRow = Pick<UserFriendsRow, 'user_id'>;

export interface SinkOptions {
  /** Called with rows once they are durably stored. */
  onAcknowledged?: (rows: readonly AcknowledgedRow[]) => void;
  /** Called with the number of rows the warehouse refused as invalid (written to `deadLetterFile`). */
  onDeadLettered?: (rows: number) => void;
  /** Where refused rows go, one JSON line each with the reason (sinks that can refuse rows). */
  deadLetterFile?: string;
  /** For retries and refused rows (sinks that retry). */
  log?: Logger;
  /** Rows held in memory before `write` waits (backpressure). Default 1,000. */
  maxBufferedRows?: number;
  /** Rows per insert. Default 200. */
  flushRows?: number;
  /** Longest time a row waits in the buffer. Default 1,000 ms. */
  flushIntervalMs?: number;
}
