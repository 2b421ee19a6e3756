import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListenError } from '../core/errors.ts';
import { BrokenUsers, FaultPlan, type BrokenKind, type FaultKind } from './faults.ts';
import { SimGraph } from './graph.ts';
import type { SimProtocol, SimRequest, SimResponse } from './protocol.ts';
import { bluesky } from './protocols/bluesky.ts';
import { twitterApi } from './protocols/twitter-api.ts';
import { twitterHtml } from './protocols/twitter-html.ts';
import { FixedWindowLimiter } from './rate-limit.ts';
import { truthOf, type TruthView } from './truth.ts';
import { VariantUsers } from './variants.ts';

export interface SimOptions {
  /** Users in the network. Default 10,000. */
  users?: number;
  /** Graph seed. Default 1. */
  seed?: number;
  /** A graph to serve instead of one built from `users` and `seed` (several servers of one network share it). */
  graph?: SimGraph;
  /** Wire formats served. Default: the legacy HTML pages, X API v2 and Bluesky's AppView. */
  protocols?: readonly SimProtocol[];
  /** More control endpoints (`/_sim/...` → what it answers as JSON), such as a network's counters. */
  control?: Record<string, () => unknown>;
  /** Mean latency of a protocol response in ms. Default 0. */
  latencyMs?: number;
  /** Latency is uniform in latencyMs × [1 - jitter, 1 + jitter]. Default 0.25. */
  latencyJitter?: number;
  /** Requests per window per client; 0 disables the limit. Default 0. */
  rateLimit?: number;
  /** Rate-limit window in ms. Default 15 minutes, as Twitter's. */
  rateWindowMs?: number;
  /** Share of protocol requests that get a fault. Default 0. */
  faultRate?: number;
  /** Which faults to inject. Default error, reset and truncate. */
  faultKinds?: readonly FaultKind[];
  /** How long a `stall` fault holds its answer, in ms. Default 30 s. */
  stallMs?: number;
  /** How long a 429 storm (`storm`, `storm-bare`) lasts, in ms. Default 5 s. */
  stormMs?: number;
  /** Share of users whose follow pages are broken for good (see `BrokenUsers`). Default 0. */
  brokenShare?: number;
  /** How their pages are broken. Default all kinds. */
  brokenKinds?: readonly BrokenKind[];
  /** Share of users who get the other answer shapes the real services send (see `VariantUsers`). Default 0. */
  variantShare?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

export interface SimStats {
  requests: number;
  /** Body bytes of the answers sent whole. */
  bytes: number;
  byStatus: Record<string, number>;
  rateLimited: number;
  faults: Record<string, number>;
  inFlight: number;
  peakInFlight: number;
  /**
   * With a rate limit: requests let through in each of the last 100 windows, by the window's start
   * (epoch ms), so a benchmark reads a host's use of its limit window by window, whenever it asks.
   */
  allowedByWindow: Record<string, number>;
}

export interface RunningSim {
  readonly url: string;
  readonly graph: SimGraph;
  readonly variants: VariantUsers;
  stats(): SimStats;
  close(): Promise<void>;
}

const PROTOCOLS: readonly SimProtocol[] = [twitterHtml, twitterApi, bluesky];
/** The statuses of an `error` fault: the service's own 500, and what a gateway in front of it says. */
const SERVER_ERRORS = [500, 502, 503, 504] as const;

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The simulated social network: a real HTTP server that speaks the sources' wire formats from a
 * generated graph, adding latency, per-client rate limits and injected faults. `/_sim/*` endpoints
 * (truth, stats, health) are control endpoints: never delayed, limited or faulted.
 */
export async function startSim(options: SimOptions = {}): Promise<RunningSim> {
  const graph = options.graph ?? new SimGraph({ users: options.users ?? 10_000, seed: options.seed ?? 1 });
  const protocols = options.protocols ?? PROTOCOLS;
  const latencyMs = options.latencyMs ?? 0;
  const jitter = options.latencyJitter ?? 0.25;
  const limiter = options.rateLimit ? new FixedWindowLimiter(options.rateLimit, options.rateWindowMs ?? 15 * 60_000) : undefined;
  const faults = new FaultPlan(options.faultRate ?? 0, options.faultKinds);
  const broken = new BrokenUsers(graph.seed, options.brokenShare ?? 0, options.brokenKinds);
  const variants = new VariantUsers(graph.seed, options.variantShare ?? 0);
  const stallMs = options.stallMs ?? 30_000;
  const stormMs = options.stormMs ?? 5000;
  /** The 429 storm under way, if any: every protocol request is refused until `until`. */
  let storm: { until: number; bare: boolean } | undefined;
  const stats: SimStats = { requests: 0, bytes: 0, byStatus: {}, rateLimited: 0, faults: {}, inFlight: 0, peakInFlight: 0, allowedByWindow: {} };

  /** The counters, with broken pages served counted among the faults. */
  const snapshot = (): SimStats => {
    const copy = structuredClone(stats);
    for (const [kind, n] of Object.entries(broken.served)) copy.faults[kind] = n;
    return copy;
  };

  const countAllowed = (windowStart: number) => {
    const key = String(windowStart);
    if (!(key in stats.allowedByWindow)) {
      const keys = Object.keys(stats.allowedByWindow);
      if (keys.length >= 100) delete stats.allowedByWindow[keys[0]!];
    }
    stats.allowedByWindow[key] = (stats.allowedByWindow[key] ?? 0) + 1;
  };

  const countStatus = (status: number) => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
  };

  function send(res: ServerResponse, response: SimResponse, extraHeaders: Record<string, string> | undefined): void {
    const body = response.bytes ? Buffer.from(response.bytes.buffer, response.bytes.byteOffset, response.bytes.length) : Buffer.from(response.body);
    res.writeHead(response.status, {
      'content-type': response.contentType,
      'content-length': body.length,
      ...extraHeaders,
      ...response.headers,
    });
    res.end(body);
    stats.bytes += body.length;
    countStatus(response.status);
  }

  async function serveProtocol(protocol: SimProtocol, request: SimRequest, req: IncomingMessage, res: ServerResponse) {
    stats.requests++;
    stats.inFlight++;
    if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
    try {
      const now = Date.now();
      if (storm && storm.until <= now) storm = undefined;
      const limit = storm ? undefined : limiter?.hit(protocol.clientKey(request), now);
      if (limit?.allowed) countAllowed(limit.state.resetAtMs - limiter!.windowMs);
      const fault = storm || (limit && !limit.allowed) ? undefined : faults.pick();
      if (fault) stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
      if (fault === 'storm' || fault === 'storm-bare') storm = { until: now + stormMs, bare: fault === 'storm-bare' };
      if (latencyMs > 0) await sleep(latencyMs * (1 - jitter + 2 * jitter * Math.random()));
      if (storm) {
        stats.rateLimited++;
        const state = {
          limit: limiter?.limit ?? 0,
          remaining: 0,
          resetSeconds: Math.ceil(storm.until / 1000),
          resetAtMs: storm.until,
          windowSeconds: Math.max(1, Math.round(stormMs / 1000)),
        };
        // A bare storm's 429s carry no header that says when to come back (no retry-after either).
        const refused = protocol.rateLimited(state);
        send(res, storm.bare ? { ...refused, headers: undefined } : refused, storm.bare ? undefined : protocol.rateLimitHeaders(state));
        return;
      }
      const rateHeaders = limit ? protocol.rateLimitHeaders(limit.state) : undefined;
      if (limit && !limit.allowed) {
        stats.rateLimited++;
        send(res, protocol.rateLimited(limit.state), rateHeaders);
        return;
      }
      if (fault === 'stall') {
        // Hold the answer; a client whose request timeout fired closes the socket and gets nothing.
        const gone = new AbortController();
        req.socket.once('close', () => gone.abort());
        const waited = await sleep(stallMs, true, { signal: gone.signal }).catch(() => false);
        if (!waited) return;
      }
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'error') {
        send(res, protocol.serverError(SERVER_ERRORS[Math.floor(Math.random() * SERVER_ERRORS.length)]!), rateHeaders);
        return;
      }
      const response = protocol.handle(request, graph, broken, variants);
      if (fault === 'truncate') {
        const body = response.bytes ? Buffer.from(response.bytes.buffer, response.bytes.byteOffset, response.bytes.length) : Buffer.from(response.body);
        res.writeHead(response.status, { 'content-type': response.contentType, 'content-length': body.length, ...rateHeaders });
        res.write(body.subarray(0, body.length >> 1), () => req.socket.destroy());
        return;
      }
      send(res, response, rateHeaders);
    } finally {
      stats.inFlight--;
    }
  }

  function serveControl(pathname: string, query: URLSearchParams, res: ServerResponse): void {
    if (pathname === '/_sim/health') return json(res, 200, { ok: true, users: graph.size, seed: graph.seed });
    if (pathname === '/_sim/stats') return json(res, 200, snapshot());
    const extra = options.control?.[pathname];
    if (extra) return json(res, 200, extra());
    if (pathname.startsWith('/_sim/truth/')) {
      const view = query.get('view') === 'appview' ? ('appview' satisfies TruthView) : 'lists';
      const truth = truthOf(graph, decodeURIComponent(pathname.slice('/_sim/truth/'.length)), variants, view);
      if (!truth) return json(res, 404, { error: 'no such user' });
      // A user whose pages are broken for good: a correct collector records it as failed.
      const kind = truth.status === 'ok' ? broken.kindOf(graph.indexOfId(truth.id)!) : undefined;
      return json(res, 200, kind ? { ...truth, broken: kind } : truth);
    }
    json(res, 404, { error: 'no such control endpoint' });
  }

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (pathname.startsWith('/_sim/')) return serveControl(pathname, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), res);
    const protocol = protocols.find((p) => p.matches(pathname));
    if (!protocol || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      countStatus(404);
      return;
    }
    const request: SimRequest = {
      pathname,
      query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress ?? 'unknown',
    };
    serveProtocol(protocol, request, req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(error) });
      else req.socket.destroy();
    });
  });
  // Clients keep thousands of sockets alive between pages; do not drop them between requests.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new ListenError(options.host ?? '127.0.0.1', options.port ?? 0, error)));
    server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 8192 }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    graph,
    variants,
    stats: snapshot,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
