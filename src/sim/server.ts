import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultPlan, type FaultKind } from './faults.ts';
import { SimGraph } from './graph.ts';
import type { SimProtocol, SimRequest, SimResponse } from './protocol.ts';
import { bluesky } from './protocols/bluesky.ts';
import { twitterApi } from './protocols/twitter-api.ts';
import { twitterHtml } from './protocols/twitter-html.ts';
import { FixedWindowLimiter } from './rate-limit.ts';
import { truthOf } from './truth.ts';

export interface SimOptions {
  /** Users in the network. Default 10,000. */
  users?: number;
  /** Graph seed. Default 1. */
  seed?: number;
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
  /** Which faults to inject. Default all. */
  faultKinds?: readonly FaultKind[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
}

export interface SimStats {
  requests: number;
  byStatus: Record<string, number>;
  rateLimited: number;
  faults: Record<string, number>;
  inFlight: number;
  peakInFlight: number;
}

export interface RunningSim {
  readonly url: string;
  readonly graph: SimGraph;
  stats(): SimStats;
  close(): Promise<void>;
}

const PROTOCOLS: readonly SimProtocol[] = [twitterHtml, twitterApi, bluesky];

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
  const graph = new SimGraph({ users: options.users ?? 10_000, seed: options.seed ?? 1 });
  const latencyMs = options.latencyMs ?? 0;
  const jitter = options.latencyJitter ?? 0.25;
  const limiter = options.rateLimit ? new FixedWindowLimiter(options.rateLimit, options.rateWindowMs ?? 15 * 60_000) : undefined;
  const faults = new FaultPlan(options.faultRate ?? 0, options.faultKinds);
  const stats: SimStats = { requests: 0, byStatus: {}, rateLimited: 0, faults: {}, inFlight: 0, peakInFlight: 0 };

  const countStatus = (status: number) => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
  };

  function send(res: ServerResponse, response: SimResponse, extraHeaders: Record<string, string> | undefined): void {
    const body = Buffer.from(response.body);
    res.writeHead(response.status, {
      'content-type': response.contentType,
      'content-length': body.length,
      ...extraHeaders,
      ...response.headers,
    });
    res.end(body);
    countStatus(response.status);
  }

  async function serveProtocol(protocol: SimProtocol, request: SimRequest, req: IncomingMessage, res: ServerResponse) {
    stats.requests++;
    stats.inFlight++;
    if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
    try {
      const limit = limiter?.hit(protocol.clientKey(request), Date.now());
      const fault = limit && !limit.allowed ? undefined : faults.pick();
      if (latencyMs > 0) await sleep(latencyMs * (1 - jitter + 2 * jitter * Math.random()));
      const rateHeaders = limit ? protocol.rateLimitHeaders(limit.state) : undefined;
      if (limit && !limit.allowed) {
        stats.rateLimited++;
        send(res, protocol.rateLimited(limit.state), rateHeaders);
        return;
      }
      if (fault) stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'error') {
        send(res, protocol.serverError(Math.random() < 0.5 ? 500 : 503), rateHeaders);
        return;
      }
      const response = protocol.handle(request, graph);
      if (fault === 'truncate') {
        const body = Buffer.from(response.body);
        res.writeHead(response.status, { 'content-type': response.contentType, 'content-length': body.length, ...rateHeaders });
        res.write(body.subarray(0, body.length >> 1), () => req.socket.destroy());
        return;
      }
      send(res, response, rateHeaders);
    } finally {
      stats.inFlight--;
    }
  }

  function serveControl(pathname: string, res: ServerResponse): void {
    if (pathname === '/_sim/health') return json(res, 200, { ok: true, users: graph.size, seed: graph.seed });
    if (pathname === '/_sim/stats') return json(res, 200, stats);
    if (pathname.startsWith('/_sim/truth/')) {
      const truth = truthOf(graph, decodeURIComponent(pathname.slice('/_sim/truth/'.length)));
      return truth ? json(res, 200, truth) : json(res, 404, { error: 'no such user' });
    }
    json(res, 404, { error: 'no such control endpoint' });
  }

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (pathname.startsWith('/_sim/')) return serveControl(pathname, res);
    const protocol = PROTOCOLS.find((p) => p.matches(pathname));
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
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 8192 }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    graph,
    stats: () => structuredClone(stats),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
