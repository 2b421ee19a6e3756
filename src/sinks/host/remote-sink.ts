import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { SinkError } from '../../core/errors.ts';
import type { IdRange } from '../../partition/bucket.ts';
import type { PartitionRow } from '../../partition/plan.ts';
import type { CollectedWork } from '../../partition/work.ts';
import type { ExportFormat, FileExporter } from '../duckdb/export.ts';
import type { HeartbeatRow, RunRecord, UserFriendsRow } from '../row.ts';
import { RowBuffer } from '../row-buffer.ts';
import type { Sink, SinkOptions } from '../sink.ts';
import { decode, encode } from './codec.ts';

/** Calls to a host that cannot be reached are retried this many times (1 s apart) before failing. */
const ATTEMPTS = 5;

/**
 * Characters of encoded rows held before `write` waits (as well as SINK_BUFFER_ROWS); an insert starts
 * at half of it. Rows vary a hundredfold, so a row count alone bounds nothing; 4 MB is over a second of
 * rows at the highest rate, and a larger bound raised the worker's memory for good (docs/decisions.md).
 */
const MAX_BUFFERED_CHARS = 4 * 1024 * 1024;

/**
 * A row as it waits for the host: its JSON, encoded when written. As objects a row's names took about
 * three times the memory of their JSON (a string and an array slot each), and a row is sent as JSON
 * anyway. The user ID is what acknowledging needs.
 */
interface EncodedRow {
  user_id: string;
  json: string;
}

/** Where a warehouse host is, and the fleet's secret its requests carry. */
export interface HostTarget {
  url: string;
  secret: string;
}

/**
 * A sink that stores through a warehouse host (`friendfleet fleet` runs one): rows travel in batches
 * and count as saved when the host answers, which it does only after DuckDB committed them.
 */
export class RemoteSink implements Sink, FileExporter {
  readonly description: string;
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;
  private readonly rows: RowBuffer<EncodedRow>;

  constructor(target: HostTarget, options: SinkOptions = {}) {
    this.description = `host:${target.url}`;
    this.headers = { 'content-type': 'application/json', authorization: `Bearer ${target.secret}` };
    this.pool = new Pool(target.url, { connections: 4, keepAliveTimeout: 60_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
    this.rows = new RowBuffer<EncodedRow>({
      // The batch goes out row by row (chunked), never joined into one string and one Buffer as large.
      insert: async (rows) => void (await this.send('POST', '/rows', jsonArrayChunks(rows.map((r) => r.json)))),
      onAcknowledged: options.onAcknowledged,
      maxBufferedRows: options.maxBufferedRows ?? 1000,
      sizeOf: (row) => row.json.length,
      maxBufferedBytes: MAX_BUFFERED_CHARS,
      flushRows: options.flushRows ?? 100,
      flushIntervalMs: options.flushIntervalMs ?? 500,
      describeFailure: (error) => (error instanceof SinkError ? error : new SinkError(String(error), { cause: error })),
    });
  }

  async open(): Promise<void> {
    await this.call('GET', '/health');
    this.rows.start();
  }

  /** Runs one SELECT in the host (monitoring, summaries). */
  query(sql: string, params: (string | number | boolean | null)[] = []): Promise<Record<string, unknown>[]> {
    return this.call('POST', '/query', { sql, params }) as Promise<Record<string, unknown>[]>;
  }

  /** Has the host write a SELECT's rows to `path`, which must lie under its export folder (HOST_EXPORT_DIR). */
  exportTo(select: string, format: ExportFormat, path: string): Promise<number> {
    return this.call('POST', '/export', { sql: select, format, path }) as Promise<number>;
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

  collectedWork(source: string): Promise<CollectedWork[]> {
    return this.call('POST', '/collected-work', { source }) as Promise<CollectedWork[]>;
  }

  async completedUserIds(source: string, range: IdRange | undefined, maxAttempts: number): Promise<Set<string>> {
    return new Set((await this.call('POST', '/completed', { source, range: range ?? null, maxAttempts })) as string[]);
  }

  write(row: UserFriendsRow): Promise<void> {
    return this.rows.write({ user_id: row.user_id, json: encode(row) });
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
  private call(method: 'GET' | 'POST', path: string, input?: unknown): Promise<unknown> {
    return this.send(method, path, input === undefined ? undefined : encode(input));
  }

  /** `call` with its body already encoded: one string, or pieces sent in turn (chunked). */
  private async send(method: 'GET' | 'POST', path: string, body: string | readonly string[] | undefined): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      let res;
      try {
        res = await this.pool.request({
          method,
          path,
          headers: this.headers,
          // A fresh stream each attempt: a retry sends the pieces again.
          body: typeof body === 'string' || body === undefined ? body : Readable.from(body),
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

/** `[a,b,c]` from encoded items, in pieces that can be sent one after another (and again on a retry). */
function jsonArrayChunks(items: readonly string[]): string[] {
  const chunks = items.map((item, i) => (i === 0 ? `[${item}` : `,${item}`));
  if (chunks.length === 0) chunks.push('[');
  chunks.push(']');
  return chunks;
}
