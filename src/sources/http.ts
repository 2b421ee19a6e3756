import { Client, errors as undiciErrors, type Dispatcher } from 'undici';
import { SourceError } from '../core/errors.ts';
import type { AddressGuard } from './address-guard.ts';

export interface HttpClientOptions {
  /** Origin every request goes to, e.g. https://public.api.bsky.app. */
  origin: string;
  /** Sockets kept open to the origin; one per concurrent request avoids queueing. */
  connections: number;
  /** Time allowed for response headers, then for each wait between two pieces of the body. */
  timeoutMs: number;
  /**
   * Most bytes one response body may have (each source states its own). A longer body is refused
   * (`SourceError('refused')`) as soon as it passes the bound, and its bytes are let go.
   */
  maxResponseBytes: number;
  /**
   * Most time one response may take, headers and body together: `timeoutMs` alone lets a body trickled
   * a byte at a time run forever. A response still incomplete then is refused.
   */
  maxResponseMs: number;
  /** Extra headers on every request to the origin (user agent, authorization). Never logged. */
  headers?: Record<string, string>;
  /**
   * For addresses the settings did not give. Without it the client reaches its origin only, and a
   * redirect is an answer like any other.
   */
  guard?: {
    /** Checks every connection to an address found in an answer, after name resolution. */
    addresses: AddressGuard;
    /** Where the origin came from: a `found` one (a PDS named in a DID document) is checked too. */
    origin: 'settings' | 'found';
    /** Redirects followed, each target checked; the configured headers never leave the origin. */
    maxRedirects: number;
  };
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A response whose body is kept as bytes (a binary format, such as a repository's CAR file). */
export interface HttpBytesResponse {
  status: number;
  headers: HttpResponse['headers'];
  bytes: Buffer;
}

/** One request's handler for undici's `dispatch`: gathers the body's chunks within the bounds, joins them once. */
class Exchange implements Dispatcher.DispatchHandler {
  /** Epoch ms by which the response must be complete (`maxResponseMs` after dispatch). */
  readonly deadline: number;
  private readonly maxBytes: number;
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private status = 0;
  private headers: HttpResponse['headers'] = {};
  private chunks: Buffer[] = [];
  private bytes = 0;
  private readonly resolve: (response: HttpBytesResponse) => void;
  private readonly reject: (error: unknown) => void;

  constructor(bounds: { maxBytes: number; deadline: number }, resolve: (response: HttpBytesResponse) => void, reject: (error: unknown) => void) {
    this.maxBytes = bounds.maxBytes;
    this.deadline = bounds.deadline;
    this.resolve = resolve;
    this.reject = reject;
  }

  abort(reason: Error): void {
    this.abortReason ??= reason;
    this.chunks = [];
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: HttpResponse['headers']): void {
    this.status = statusCode;
    this.headers = headers;
    // A body announced as too long is refused before any of it is read.
    if (Number(header(headers, 'content-length')) > this.maxBytes) this.abort(tooLarge(this.maxBytes));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.abortReason) return;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return this.abort(tooLarge(this.maxBytes));
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.resolve({ status: this.status, headers: this.headers, bytes });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.chunks = [];
    this.reject(this.abortReason ?? error);
  }
}

function tooLarge(maxBytes: number): SourceError {
  return new SourceError('refused', `response body larger than ${describeBytes(maxBytes)}, this source's bound; refused`);
}

function describeBytes(n: number): string {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`;
}

/**
 * Keep-alive connections to one origin, each an undici `Client` carrying one request at a time.
 * Transport failures (resets, timeouts, truncated bodies) become `SourceError('transient')` with
 * undici's error code, never the request's headers; a response past a bound becomes `refused`.
 * Why it dispatches by hand rather than through `request()` and `Pool`: docs/decisions.md.
 */
export class HttpClient {
  private readonly options: HttpClientOptions;
  private readonly headers: Record<string, string>;
  private readonly clients = new Set<Client>();
  /** Connections not carrying a request, most recently used last (taking one is O(1)). */
  private readonly idle: Client[] = [];
  /** Callers waiting for a connection while all `connections` are busy, first come first served. */
  private readonly waiting: ((client: Client) => void)[] = [];
  /** Requests in flight under each caller signal (see `track`). */
  private readonly bySignal = new Map<AbortSignal, { exchanges: Set<Exchange>; onAbort: () => void }>();
  /** Requests in flight, checked against their deadlines by one timer rather than one timer each. */
  private readonly inFlight = new Set<Exchange>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly origin: string;

  constructor(options: HttpClientOptions) {
    this.options = options;
    this.origin = new URL(options.origin).origin;
    this.headers = { 'user-agent': 'friendfleet (+https://github.com/friendfleet)', ...options.headers };
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(20, options.maxResponseMs / 10)));
    this.sweeper.unref();
  }

  /** GETs `path` from the origin (following redirects only with a `guard`), its body as text. */
  async get(path: string, signal?: AbortSignal): Promise<HttpResponse> {
    const { status, headers, bytes } = await this.getBytes(path, signal);
    return { status, headers, body: bytes.toString('utf8') };
  }

  /** `get`, the body kept as bytes, bounded by `maxBytes` (default: the client's `maxResponseBytes`). */
  getBytes(path: string, signal?: AbortSignal, maxBytes = this.options.maxResponseBytes): Promise<HttpBytesResponse> {
    return this.options.guard ? this.follow(path, signal, this.options.guard, maxBytes) : this.send(path, signal, maxBytes);
  }

  /** One request on one of the origin's connections. */
  private async send(path: string, signal: AbortSignal | undefined, maxBytes: number): Promise<HttpBytesResponse> {
    signal?.throwIfAborted();
    const client = this.idle.pop() ?? (this.clients.size < this.options.connections ? this.connect() : await this.nextFree());
    try {
      return await this.exchange(client, this.origin, path, this.headers, signal, maxBytes);
    } finally {
      this.release(client);
    }
  }

  /** `send`, then each redirect's target in turn: the origin's on its connections, another's on a checked one of its own. */
  private async follow(path: string, signal: AbortSignal | undefined, guard: NonNullable<HttpClientOptions['guard']>, maxBytes: number): Promise<HttpBytesResponse> {
    let url = new URL(path, this.origin);
    for (let hops = 0; ; hops++) {
      const res = url.origin === this.origin ? await this.send(url.pathname + url.search, signal, maxBytes) : await this.sendElsewhere(url, signal, guard.addresses, maxBytes);
      const location = REDIRECTS.has(res.status) ? header(res.headers, 'location') : undefined;
      if (location === undefined) return res;
      if (hops === guard.maxRedirects) throw new SourceError('refused', `more than ${guard.maxRedirects} redirects; refused`);
      // The origin's own address is checked as the origin is (by its connections); any other, here and on connecting.
      const next = new URL(location, url);
      if (next.origin !== this.origin) guard.addresses.checkUrl(next.href);
      if (url.protocol === 'https:' && next.protocol === 'http:') throw new SourceError('refused', 'redirect from https to http refused');
      url = next;
    }
  }

  /** One request to another origin, on a connection made (and closed) for it through the guard. */
  private async sendElsewhere(url: URL, signal: AbortSignal | undefined, addresses: AddressGuard, maxBytes: number): Promise<HttpBytesResponse> {
    const client = new Client(url.origin, { ...this.clientOptions(), connect: addresses.connect });
    try {
      return await this.exchange(client, url.origin, url.pathname + url.search, { 'user-agent': this.headers['user-agent']! }, signal, maxBytes);
    } finally {
      void client.destroy();
    }
  }

  private async exchange(client: Dispatcher, origin: string, path: string, headers: Record<string, string>, signal: AbortSignal | undefined, maxBytes: number): Promise<HttpBytesResponse> {
    signal?.throwIfAborted();
    let exchange: Exchange | undefined;
    try {
      return await new Promise<HttpBytesResponse>((resolve, reject) => {
        exchange = new Exchange({ maxBytes, deadline: Date.now() + this.options.maxResponseMs }, resolve, reject);
        this.inFlight.add(exchange);
        if (signal) this.track(signal, exchange);
        client.dispatch({ path, method: 'GET', headers }, exchange);
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      if (error instanceof SourceError) throw error;
      throw new SourceError('transient', `request failed: ${describeTransportError(error)}`, { connection: connectionFailure(error, origin), cause: error });
    } finally {
      if (exchange) {
        this.inFlight.delete(exchange);
        if (signal) this.untrack(signal, exchange);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.clients].map((c) => c.close()));
    this.clients.clear();
    this.idle.length = 0;
  }

  private connect(): Client {
    const guard = this.options.guard;
    const client = new Client(this.options.origin, { ...this.clientOptions(), ...(guard?.origin === 'found' ? { connect: guard.addresses.connect } : {}) });
    this.clients.add(client);
    return client;
  }

  private clientOptions(): Client.Options {
    return { pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.timeoutMs };
  }

  private nextFree(): Promise<Client> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(client: Client): void {
    const next = this.waiting.shift();
    if (next) next(client);
    else this.idle.push(client);
  }

  private sweep(): void {
    const now = Date.now();
    for (const exchange of this.inFlight) {
      if (now > exchange.deadline) {
        exchange.abort(new SourceError('refused', `response still incomplete after ${this.options.maxResponseMs / 1000} s, the bound on one response's time; refused`));
      }
    }
  }

  /** The caller's signal gets one listener, however many requests share it (docs/decisions.md). */
  private track(signal: AbortSignal, exchange: Exchange): void {
    let entry = this.bySignal.get(signal);
    if (!entry) {
      const exchanges = new Set<Exchange>();
      const onAbort = () => {
        const reason = signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
        for (const e of exchanges) e.abort(reason);
      };
      entry = { exchanges, onAbort };
      this.bySignal.set(signal, entry);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    entry.exchanges.add(exchange);
    // The signal may have fired while this caller waited for a free connection.
    if (signal.aborted) entry.onAbort();
  }

  private untrack(signal: AbortSignal, exchange: Exchange): void {
    const entry = this.bySignal.get(signal);
    if (!entry) return;
    entry.exchanges.delete(exchange);
    if (entry.exchanges.size === 0) {
      signal.removeEventListener('abort', entry.onAbort);
      this.bySignal.delete(signal);
    }
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Errors raised before a request reaches the server: resolving, connecting, or the TLS handshake. */
const CONNECTION_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
/** Node's certificate verification codes (tls.md, "X509 certificate error codes") and its own TLS errors. */
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'EPROTO',
]);

/**
 * A connection-level failure as `CODE at ORIGIN` (see SourceError.connection), or undefined for any other.
 * The origin is part of it: one host of many that is down (a PDS) is not the source being unreachable.
 */
export function connectionFailure(error: unknown, origin: string): string | undefined {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  if (code === undefined) return undefined;
  return CONNECTION_CODES.has(code) || TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') ? `${code} at ${origin}` : undefined;
}

function describeTransportError(error: unknown): string {
  if (error instanceof undiciErrors.UndiciError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** A response header as a single string (the first value when repeated). */
export function header(headers: HttpResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
