import { Pool, errors as undiciErrors } from 'undici';
import { SourceError } from '../errors.ts';

export interface HttpClientOptions {
  /** Origin every request goes to, e.g. https://mobile.twitter.com. */
  origin: string;
  /** Sockets kept open to the origin; one per concurrent request avoids queueing in the pool. */
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
 * A keep-alive connection pool to one origin. Transport failures (resets, timeouts, truncated
 * bodies) become `SourceError('transient')` with undici's error code, never the request's headers.
 */
export class HttpClient {
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;

  constructor(options: HttpClientOptions) {
    this.pool = new Pool(options.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    this.headers = { 'user-agent': 'friendfleet (+https://github.com/friendfleet)', ...options.headers };
  }

  async get(path: string, signal?: AbortSignal): Promise<HttpResponse> {
    try {
      const res = await this.pool.request({ path, method: 'GET', headers: this.headers, signal });
      const body = await res.body.text();
      return { status: res.statusCode, headers: res.headers, body };
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      throw new SourceError('transient', `request failed: ${describeTransportError(error)}`, { cause: error });
    }
  }

  close(): Promise<void> {
    return this.pool.close();
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
