import { Client, errors as undiciErrors, type Dispatcher } from 'undici';
import { SourceError } from '../core/errors.ts';

export interface HttpClientOptions {
  /** Origin every request goes to, e.g. https://mobile.twitter.com. */
  origin: string;
  /** Sockets kept open to the origin; one per concurrent request avoids queueing. */
  connections: number;
  /** Time allowed for response headers, then again for the body. */
  timeoutMs: number;
  /** Extra headers on every request (user agent, authorization). Never logged. */
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One request's handler for undici's `dispatch`: gathers the body's chunks and decodes them once at
 * the end. `request()` wraps every response in a Readable stream and a chain of promises; at
 * thousands of pages a second that cost a third of the worker's CPU for fetching (bench/throughput.ts).
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private status = 0;
  private headers: HttpResponse['headers'] = {};
  private readonly chunks: Buffer[] = [];
  private readonly resolve: (response: HttpResponse) => void;
  private readonly reject: (error: unknown) => void;

  constructor(resolve: (response: HttpResponse) => void, reject: (error: unknown) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }

  abort(reason: Error): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: HttpResponse['headers']): void {
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const body = this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(error);
  }
}

/**
 * Keep-alive connections to one origin, each an undici `Client` carrying one request at a time.
 * Transport failures (resets, timeouts, truncated bodies) become `SourceError('transient')` with
 * undici's error code, never the request's headers.
 *
 * Free connections wait on a stack, so taking one is O(1): undici's `Pool` scans its clients for a
 * free one on every request, which with 2,500 connections cost 8% of the worker's CPU
 * (bench/throughput.ts, --cpu-prof).
 */
export class HttpClient {
  private readonly options: HttpClientOptions;
  private readonly headers: Record<string, string>;
  private readonly clients = new Set<Client>();
  /** Connections not carrying a request, most recently used last. */
  private readonly idle: Client[] = [];
  /** Callers waiting for a connection while all `connections` are busy, first come first served. */
  private readonly waiting: ((client: Client) => void)[] = [];
  /** Requests in flight under each caller signal (see `track`). */
  private readonly bySignal = new Map<AbortSignal, { exchanges: Set<Exchange>; onAbort: () => void }>();

  constructor(options: HttpClientOptions) {
    this.options = options;
    this.headers = { 'user-agent': 'friendfleet (+https://github.com/friendfleet)', ...options.headers };
  }

  async get(path: string, signal?: AbortSignal): Promise<HttpResponse> {
    signal?.throwIfAborted();
    const client = this.idle.pop() ?? (this.clients.size < this.options.connections ? this.connect() : await this.nextFree());
    let exchange: Exchange | undefined;
    try {
      return await new Promise<HttpResponse>((resolve, reject) => {
        exchange = new Exchange(resolve, reject);
        if (signal) this.track(signal, exchange);
        client.dispatch({ path, method: 'GET', headers: this.headers }, exchange);
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      throw new SourceError('transient', `request failed: ${describeTransportError(error)}`, { cause: error });
    } finally {
      if (signal && exchange) this.untrack(signal, exchange);
      this.release(client);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients].map((c) => c.close()));
    this.clients.clear();
    this.idle.length = 0;
  }

  private connect(): Client {
    const client = new Client(this.options.origin, {
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
    });
    this.clients.add(client);
    return client;
  }

  private nextFree(): Promise<Client> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(client: Client): void {
    const next = this.waiting.shift();
    if (next) next(client);
    else this.idle.push(client);
  }

  /**
   * The caller's signal gets one listener, however many requests share it. undici's `request()` adds
   * an abort listener per request, and Node's EventTarget walks a signal's whole listener list on
   * every add and remove: with the run's one signal under 2,500 requests in flight that walk took 27%
   * of the worker's CPU (bench/throughput.ts, --cpu-prof).
   */
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
