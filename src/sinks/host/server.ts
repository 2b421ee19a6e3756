import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import type { PartitionRow } from '../../partition/plan.ts';
import type { IdRange } from '../../partition/bucket.ts';
import type { HeartbeatRow, RunRecord, UserFriendsRow } from '../row.ts';
import { decode, encode } from './codec.ts';

import { hostFileOf } from './host-file.ts';

/** Statements readers may send: queries and COPY ... TO (export). Writes go through the sink routes. */
const READ_ONLY = /^\s*(SELECT|WITH|COPY\s*\()/i;

export interface RunningHost {
  readonly url: string;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const text = encode(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The warehouse host: the one process that owns a DuckDB file (DuckDB lets one process open a file
 * for writing and locks out every other, readers included), serving the fleet's workers (rows, runs,
 * heartbeats, resume queries) and readers (`monitor`, `export`) over loopback HTTP. A row batch is
 * answered only after DuckDB committed it, so a worker acknowledges nothing that is not stored.
 * While it runs, `<file>.host.json` tells readers where it is.
 */
export async function startHost(dbPath: string, options: { host?: string; port?: number } = {}): Promise<RunningHost> {
  // Loaded here, not with this module: the CLI imports it for `fleet`, and a `collect` worker must not
  // map DuckDB's library for that (users/staging-process.ts).
  const { DuckDbSink } = await import('../duckdb/sink.ts');
  const sink = new DuckDbSink(dbPath);
  await sink.open();
  const routes: Record<string, (input: unknown) => Promise<unknown>> = {
    'POST /rows': async (input) => {
      const rows = input as UserFriendsRow[];
      await sink.insertRows(rows);
      return { acknowledged: rows.length };
    },
    'POST /runs': async (input) => sink.writeRun(input as RunRecord),
    'POST /heartbeats': async (input) => sink.writeHeartbeat(input as HeartbeatRow),
    'POST /plan': async (input) => sink.writePlan(input as PartitionRow[]),
    'GET /plan': async () => sink.latestPlan(),
    'GET /collected-work': async () => sink.collectedWork(),
    'POST /completed': async (input) => {
      const { range, maxAttempts } = input as { range: IdRange | undefined; maxAttempts: number };
      return [...(await sink.completedUserIds(range ?? undefined, maxAttempts))];
    },
    'POST /query': async (input) => {
      const { sql, params } = input as { sql: string; params: (string | number | boolean | null)[] };
      if (!READ_ONLY.test(sql)) throw new Error('the host answers only SELECT, WITH and COPY (...) TO queries');
      return sink.query(sql, params);
    },
    'GET /health': async () => ({ ok: true, database: dbPath, pid: process.pid }),
  };
  const server: Server = createServer((req, res) => {
    const route = routes[`${req.method} ${(req.url ?? '/').split('?')[0]}`];
    if (!route) return reply(res, 404, { error: 'no such route' });
    body(req)
      .then((text) => route(text === '' ? undefined : decode(text)))
      .then((result) => reply(res, 200, result ?? null))
      .catch((error: unknown) => reply(res, 503, { error: error instanceof Error ? error.message : String(error) }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  writeFileSync(hostFileOf(dbPath), `${JSON.stringify({ url, pid: process.pid })}\n`);
  return {
    url,
    close: async () => {
      rmSync(hostFileOf(dbPath), { force: true });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await sink.close();
    },
  };
}
