import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { realpathSync } from 'node:fs';
import { isIP, type AddressInfo } from 'node:net';
import { ConfigError, HostRefusal, ListenError } from '../../core/errors.ts';
import { sqlString } from '../duckdb/sql.ts';
import { decode, encode } from './codec.ts';
import { newHostSecret, removeHostFile, writeHostFile } from './host-file.ts';
import { hostRoutes, type Route } from './routes.ts';

export interface HostOptions {
  /**
   * Address and port to listen on (HOST_LISTEN). Beyond loopback only with a `secret` given, which the
   * workers on other machines need.
   * @default { host: '127.0.0.1', port: 0 } (loopback, a free port)
   */
  listen?: { host: string; port: number };
  /** The fleet's secret (HOST_SECRET), which every request must carry. @default a new random one */
  secret?: string;
  /** The folder under which the host writes files readers ask for (HOST_EXPORT_DIR). @default none: it writes none */
  exportDir?: string;
  /** Largest request body taken, in bytes. @default 64 MiB (a 2,000-name row is about 35 KB) */
  maxBodyBytes?: number;
}

export interface RunningHost {
  readonly url: string;
  /** Sent by every worker and reader as `authorization: Bearer <secret>`. */
  readonly secret: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Whether `host` names this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
}

/**
 * The warehouse host: the one process that owns a DuckDB file (DuckDB lets one process open a file
 * for writing and locks out every other, readers included), serving the fleet's workers (rows, runs,
 * heartbeats, resume queries) and readers (`monitor`, `export`) over HTTP. A row batch is answered only
 * after DuckDB committed it, so a worker acknowledges nothing that is not stored.
 *
 * What it refuses, and why, is docs/security.md's: requests without the fleet's secret, bodies over
 * `maxBodyBytes`, input a route does not take, queries other than one SELECT, and files outside the
 * export folder; its DuckDB reaches no file but its own and that folder. While it runs,
 * `<file>.host.json` (its owner's only) tells readers where it is and the secret.
 */
export async function startHost(dbPath: string, options: HostOptions = {}): Promise<RunningHost> {
  const listen = options.listen ?? { host: '127.0.0.1', port: 0 };
  if (!isLoopback(listen.host) && options.secret === undefined) {
    throw new ConfigError('HOST_SECRET', `a warehouse host listening on ${listen.host} (beyond this machine) needs a secret given to it (HOST_SECRET), for the workers elsewhere`);
  }
  const secret = options.secret ?? newHostSecret();
  const expected = digest(`Bearer ${secret}`);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const exportDir = options.exportDir === undefined ? undefined : realpathSync(options.exportDir);
  // Loaded here, not with this module: the CLI imports it for `fleet`, and a `collect` worker must not
  // map DuckDB's library for that (users/staging-process.ts).
  const { DuckDbSink } = await import('../duckdb/sink.ts');
  const sink = new DuckDbSink(dbPath);
  await sink.open();
  try {
    // From here DuckDB reads and writes no file but its own and the export folder's (a setting it
    // refuses to change back while running): a SELECT cannot read_csv('/etc/passwd').
    if (exportDir !== undefined) await sink.query(`SET GLOBAL allowed_directories = [${sqlString(`${exportDir}/`)}]`);
    await sink.query('SET GLOBAL enable_external_access = false');
  } catch (error) {
    await sink.close();
    throw error;
  }
  const routes = hostRoutes(sink, { exportDir, database: dbPath });

  const server: Server = createServer((req, res) => {
    const name = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    const route = routes[name];
    if (!route) return reply(res, 404, { error: 'no such route' });
    const authorization = req.headers.authorization;
    // Refused before a byte of the body is read.
    if (authorization === undefined || !timingSafeEqual(digest(authorization), expected)) {
      return refuse(res, new HostRefusal(401, "the warehouse host needs the fleet's secret (HOST_SECRET; readers on this machine find it in the host file)"));
    }
    serve(name, route, req, maxBodyBytes)
      .then((result) => reply(res, 200, result ?? null))
      .catch((error: unknown) => (error instanceof HostRefusal ? refuse(res, error) : reply(res, 503, { error: error instanceof Error ? error.message : String(error) })));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new ListenError(listen.host, listen.port, error)));
    server.listen({ host: listen.host, port: listen.port }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const reachable = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  const url = `http://${isIP(reachable) === 6 ? `[${reachable}]` : reachable}:${address.port}`;
  writeHostFile(dbPath, { url, pid: process.pid, secret });
  return {
    url,
    secret,
    close: async () => {
      removeHostFile(dbPath);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await sink.close();
    },
  };
}

/** Reads, decodes and checks a request's body, then runs its route. */
async function serve(name: string, route: Route, req: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const text = await body(req, maxBodyBytes);
  if (!route.input) {
    if (text !== '') throw new HostRefusal(400, `${name} takes no body`);
    return route.run(undefined);
  }
  let value: unknown;
  try {
    value = decode(text);
  } catch {
    throw new HostRefusal(400, `${name}: the body is not JSON`);
  }
  const input = route.input.safeParse(value);
  if (!input.success) {
    const [first] = input.error.issues;
    const more = input.error.issues.length > 1 ? ` (and ${input.error.issues.length - 1} more problems)` : '';
    throw new HostRefusal(400, `${name}: ${first!.path.length > 0 ? first!.path.join('.') : 'body'}: ${first!.message}${more}`);
  }
  return route.run(input.data);
}

/** The request's body as text, refused as soon as it is known to be over `maxBytes`. */
async function body(req: IncomingMessage, maxBytes: number): Promise<string> {
  const tooLarge = () => new HostRefusal(413, `request body over ${maxBytes} bytes, the warehouse host's bound`);
  if (Number(req.headers['content-length']) > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes > maxBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  const text = encode(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers a refusal and closes the connection, so a body not read is not read later either. */
function refuse(res: ServerResponse, refusal: HostRefusal): void {
  res.shouldKeepAlive = false;
  reply(res, refusal.status, { error: refusal.message });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
