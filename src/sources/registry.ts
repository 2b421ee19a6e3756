import type { IdKind } from '../core/ids.ts';
import { BLUESKY_PAGE_SIZE, BlueskySource } from './bluesky/source.ts';
import type { RepoRead } from './bluesky-repo/read-mode.ts';
import { BlueskyRepoSource, REPO_PAGE_SIZE } from './bluesky-repo/source.ts';
import type { Source, SourceName } from './source.ts';
import { API_PAGE_SIZE, TwitterApiSource } from './twitter-api/source.ts';
import { HTML_PAGE_SIZE, TwitterHtmlSource } from './twitter-html/source.ts';

/** Everything a source may need, validated at the edge (config/source-settings.ts) and passed in. */
export interface SourceOptions {
  name: SourceName;
  /** Base URL: SOURCE_URL, else the real service's (DEFAULT_SOURCE_URLS), resolved at the edge. */
  baseUrl: string;
  /** Credentials (X API bearer tokens), one request budget each; empty for sources that need none. */
  tokens: readonly string[];
  /** Sockets to keep open: the collector's concurrency. */
  connections: number;
  timeoutMs: number;
  /** Most time one response may take, headers and body together (MAX_RESPONSE_TIME). */
  maxResponseMs: number;
  /**
   * Whether addresses found in answers (a PDS in a DID document, a redirect) may be loopback or
   * private ones (ALLOW_PRIVATE_ADDRESSES): the `AddressGuard` of a source that follows them.
   */
  allowPrivateAddresses: boolean;
  /** How bluesky-repo reads a repository's follows (BLUESKY_REPO_READ). */
  repoRead: RepoRead;
}

/**
 * Where each source is when SOURCE_URL is not set. twitter-html has no such place: the legacy mobile
 * site is gone, and only the sim serves its pages, so it needs SOURCE_URL.
 */
export const DEFAULT_SOURCE_URLS = {
  'twitter-api': 'https://api.x.com',
  bluesky: 'https://public.api.bsky.app',
  'bluesky-repo': 'https://plc.directory',
} as const satisfies Partial<Record<SourceName, string>>;

/** The real service a source reaches without SOURCE_URL, if it has one. */
export function defaultSourceUrl(name: SourceName): string | undefined {
  return (DEFAULT_SOURCE_URLS as Partial<Record<SourceName, string>>)[name];
}

/** How a source's user IDs order: decimal integers, or opaque strings (DIDs). */
export const SOURCE_ID_KINDS: Record<SourceName, IdKind> = {
  'twitter-html': 'numeric',
  'twitter-api': 'numeric',
  bluesky: 'opaque',
  'bluesky-repo': 'opaque',
};

/** Accounts on a full page of each source, for planning without a source object. */
export const SOURCE_PAGE_SIZES: Record<SourceName, number> = {
  'twitter-html': HTML_PAGE_SIZE,
  'twitter-api': API_PAGE_SIZE,
  bluesky: BLUESKY_PAGE_SIZE,
  'bluesky-repo': REPO_PAGE_SIZE,
};

/**
 * Each source's documented request budget per credential, used when RATE_LIMIT / RATE_WINDOW are not
 * set (a limit the source states in its headers replaces it):
 * - twitter-html: none documented (the legacy site answered 429s with reset headers);
 * - twitter-api: GET /2/users/:id/following allows 300 requests per 15-minute window per app token
 *   (and 300 per user token) since X's pay-per-usage pricing of 2026 (docs.x.com, "X API Rate Limits",
 *   x-api/fundamentals/rate-limits.mdx; Enterprise plans differ and say so in x-rate-limit-limit);
 * - bluesky: Bluesky's services allow 3,000 requests per 5 minutes per IP address
 *   (docs.bsky.app, "Rate Limits");
 * - bluesky-repo: the same, per PDS host (a PDS's global limit, "Rate Limits"), and for the PLC
 *   directory, which states none.
 */
export const SOURCE_BUDGETS: Record<SourceName, { limit: number | undefined; windowMs: number }> = {
  'twitter-html': { limit: undefined, windowMs: 15 * 60_000 },
  'twitter-api': { limit: 300, windowMs: 15 * 60_000 },
  bluesky: { limit: 3000, windowMs: 5 * 60_000 },
  'bluesky-repo': { limit: 3000, windowMs: 5 * 60_000 },
};

export function createSource(options: SourceOptions): Source {
  const { baseUrl, connections, timeoutMs, maxResponseMs } = options;
  switch (options.name) {
    case 'twitter-html':
      return new TwitterHtmlSource({ baseUrl, connections, timeoutMs, maxResponseMs });
    case 'twitter-api':
      return new TwitterApiSource({ baseUrl, tokens: options.tokens, connections, timeoutMs, maxResponseMs });
    case 'bluesky':
      return new BlueskySource({ baseUrl, connections, timeoutMs, maxResponseMs });
    case 'bluesky-repo':
      return new BlueskyRepoSource({ plcUrl: baseUrl, connections, timeoutMs, maxResponseMs, allowPrivateAddresses: options.allowPrivateAddresses, read: options.repoRead });
  }
}
