import type { IncomingHttpHeaders } from 'node:http';
import type { BrokenUsers } from './faults.ts';
import type { SimGraph } from './graph.ts';
import type { VariantUsers } from './variants.ts';

/** A complete response a protocol wants to send; the server adds latency, faults and rate limits. */
export interface SimResponse {
  status: number;
  body: string;
  /** A binary body (a repository's CAR file), sent instead of `body`. */
  bytes?: Uint8Array;
  contentType: string;
  headers?: Record<string, string>;
}

export interface SimRequest {
  pathname: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  remoteAddress: string;
}

/** The state of one client's rate-limit window, for a protocol to render in its own header style. */
export interface RateWindowState {
  limit: number;
  remaining: number;
  /** Epoch seconds at which the window resets, rounded up. */
  resetSeconds: number;
  /** Epoch milliseconds at which the window resets, for protocols that round otherwise. */
  resetAtMs: number;
  /** Window length in seconds (Bluesky states it in `ratelimit-policy`). */
  windowSeconds: number;
}

/**
 * One wire format the sim speaks (legacy HTML, X API v2, Bluesky XRPC). A protocol knows its URLs,
 * page size, bodies and error shapes; it knows nothing about latency, faults or budgets.
 */
export interface SimProtocol {
  readonly name: string;
  /** True when this protocol serves `pathname`. */
  matches(pathname: string): boolean;
  /**
   * Answers one request from the graph. A list page of a user `broken` names (`pageFault`) is
   * rendered broken as it says: a next cursor naming the page itself, or an unknown markup. A user
   * `variants` names gets the other shapes the real service sends (variants.ts).
   */
  handle(request: SimRequest, graph: SimGraph, broken?: BrokenUsers, variants?: VariantUsers): SimResponse;
  /** Who a rate limit is counted against: the IP for the scraped site, the token for an API. */
  clientKey(request: SimRequest): string;
  rateLimitHeaders(state: RateWindowState): Record<string, string>;
  rateLimited(state: RateWindowState): SimResponse;
  serverError(status: number): SimResponse;
}
