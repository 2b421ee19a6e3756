import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { SinkError } from '../../errors.ts';
import type { IdRange } from '../../partition/bucket.ts';
import type { PartitionRow } from '../../partition/plan.ts';
import type { CollectedWork } from '../../users/user-table.ts';
import type { HeartbeatRow, RunRecord, UserFriendsRow } from '../row.ts';
import { RowBuffer } from '../row-buffer.ts';
import type { Sink, SinkOptions } from '../sink.ts';
import { decode, encode } from './codec.ts';

/** Calls to a host that cannot be reached are retried this many times (1 s apart) before failing. */
const ATTEMPTS = 5;

/**
 * A sink that stores through a warehouse host (`friendfleet fleet` runs one): rows travel in batches
 * and count as saved when the host answers, which it does only after DuckDB committed them.
 */
export class RemoteSink implements Sink {
  readonly description: string;
  private readonly pool: Pool;
  private readonly rows: RowBuffer<UserFriendsRow>;

  constructor(url: string, options: SinkOptions = {}) {
    this.description = `host:${url}`;
    this.pool = new Pool(url, { connections: 4, keepAliveTimeout: 60_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
    this.rows = new RowBuffer({
      insert: async (rows) => void (await this.call('POST', '/rows', rows)),
      onAcknowledged: options.onAcknowledged,
      maxBufferedRows: options.maxBufferedRows ?? 1000,
      flushRows: options.flushRows ?? 100,
      flushIntervalMs: options.flushIntervalMs ?? 500,
      describeFailure: (error) => (error instanceof SinkError ? error : new SinkError(String(error), { cause: error })),
    });
  }

  async open(): Promise<void> {
    await this.call('GET', '/health');
    this.rows.start();
  }

  /** Runs a read-only query in the host (monitoring, export). */
  query(sql: string, params: (string | number | boolean | null)[] = []): Promise<Record<string, unknown>[]> {
    return this.call('POST', '/query', { sql, params }) as Promise<Record<string, unknown>[]>;
  }

  async writeRun(run: RunRecord): Promise<void> {
    await this.call('POST', '/runs', run);
  }

  async writeHeartbeat(beat: HeartbeatRow): Promise<void> {
    await this.call('POST', '/heartbeats', beat);
  }

  async writePlan(rows: readonly PartitionRow[]): Promise<void> {
    await this.call('POST', '/plan', rows);
  }

  latestPlan(): Promise<PartitionRow[]> {
    return this.call('GET', '/plan') as Promise<PartitionRow[]>;
  }

  collectedWork(): Promise<CollectedWork[]> {
    return this.call('GET', '/collected-work') as Promise<CollectedWork[]>;
  }

  async completedUserIds(range: IdRange | undefined, maxAttempts: number): Promise<Set<string>> {
    return new Set((await this.call('POST', '/completed', { range: range ?? null, maxAttempts })) as string[]);
  }

  write(row: UserFriendsRow): Promise<void> {
    return this.rows.write(row);
  }

  flush(): Promise<void> {
    return this.rows.flush();
  }

  async close(): Promise<void> {
    this.rows.stop();
    try {
      if (!this.rows.failure) await this.flush();
    } finally {
      await this.pool.close();
    }
  }

  /**
   * One request to the host. A host that cannot be reached (restarting, briefly overloaded) is tried
   * again; a host that answers with an error has failed the request, and that is final.
   */
  private async call(method: 'GET' | 'POST', path: string, input?: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      let res;
      try {
        res = await this.pool.request({
          method,
          path,
          headers: { 'content-type': 'application/json' },
          body: input === undefined ? undefined : encode(input),
        });
      } catch (error) {
        if (attempt >= ATTEMPTS) {
          throw new SinkError(`warehouse host ${this.description} unreachable: ${(error as Error).message}`, { cause: error });
        }
        await sleep(1000);
        continue;
      }
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new SinkError(`warehouse host ${this.description} refused ${method} ${path}: ${text}`);
      return decode(text);
    }
  }
}
