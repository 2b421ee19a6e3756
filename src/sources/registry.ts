import type { IdKind } from '../ids.ts';
import type { Source, SourceName } from './source.ts';
import { TwitterHtmlSource } from './twitter-html/source.ts';

/** Everything a source may need, validated at the edge (config) and passed in. */
export interface SourceOptions {
  name: SourceName;
  /** Base URL; undefined means the real service's (see DEFAULT_SOURCE_URLS). */
  baseUrl: string | undefined;
  /** Sockets to keep open: the collector's concurrency. */
  connections: number;
  timeoutMs: number;
}

/** Where each source is when SOURCE_URL is not set. */
export const DEFAULT_SOURCE_URLS: Record<SourceName, string> = {
  'twitter-html': 'https://mobile.twitter.com',
};

/** How a source's user IDs order: decimal integers, or opaque strings (DIDs). */
export const SOURCE_ID_KINDS: Record<SourceName, IdKind> = {
  'twitter-html': 'numeric',
};

/** Accounts on a full page of each source, for planning (the source objects say the same). */
export const SOURCE_PAGE_SIZES: Record<SourceName, number> = {
  'twitter-html': 20,
};

export function createSource(options: SourceOptions): Source {
  const baseUrl = options.baseUrl ?? DEFAULT_SOURCE_URLS[options.name];
  switch (options.name) {
    case 'twitter-html':
      return new TwitterHtmlSource({ baseUrl, connections: options.connections, timeoutMs: options.timeoutMs });
  }
}
