import { SourceError, type SourceErrorKind } from '../../core/errors.ts';
import { header, HttpClient } from '../http.ts';
import { resetFromHeaders, twitterRateInfo } from '../rate-headers.ts';
import type { FetchOptions, FollowPage, Source, UserRef } from '../source.ts';
import { parseFollowingPage } from './parse.ts';

export interface TwitterHtmlOptions {
  /** Site origin: the sim's (the legacy mobile site the reference scraped, mobile.twitter.com, is gone). */
  baseUrl: string;
  /** Open sockets; set to the collector's concurrency. */
  connections: number;
  timeoutMs: number;
  /** Most time one response may take (MAX_RESPONSE_TIME). */
  maxResponseMs: number;
}

/** Accounts on a full following page of the legacy mobile site. */
export const HTML_PAGE_SIZE = 20;

/** Largest page taken: a following page of 20 accounts is 8 KB in the sim and was tens of KB on the site. */
export const HTML_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The legacy mobile HTML following pages: `GET /{screen_name}/following[?cursor=C]`, 20 accounts a
 * page, no IDs. Statuses come from the HTTP status (404, 429, 5xx, a redirect to /account/suspended)
 * and from notices on the page (protected).
 */
export class TwitterHtmlSource implements Source {
  readonly name = 'twitter-html' as const;
  readonly pageSize = HTML_PAGE_SIZE;
  readonly credentials = 1;
  private readonly http: HttpClient;

  constructor(options: TwitterHtmlOptions) {
    this.http = new HttpClient({
      origin: options.baseUrl,
      connections: options.connections,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: HTML_MAX_RESPONSE_BYTES,
      maxResponseMs: options.maxResponseMs,
    });
  }

  async fetchPage(user: UserRef, cursor: string | undefined, options: FetchOptions = {}): Promise<FollowPage> {
    if (!user.screenName) throw new SourceError('fatal', 'twitter-html needs a screen_name for this user; the users table has none');
    const path = `/${encodeURIComponent(user.screenName)}/following${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`;
    const res = await this.http.get(path, options.signal);
    const rate = twitterRateInfo(res.headers);
    const fail = (kind: SourceErrorKind, message: string, resetAt?: number) => new SourceError(kind, message, { httpStatus: res.status, rate, resetAt });
    if (res.status === 429) throw fail('rate_limited', 'rate limited (429)', resetFromHeaders(res.headers));
    if (res.status >= 500) throw fail('transient', `server error ${res.status}`);
    if (res.status === 404) throw fail('not_found', 'account does not exist (404)');
    if (res.status >= 300 && res.status < 400) {
      const location = header(res.headers, 'location') ?? '';
      if (location.includes('/account/suspended')) throw fail('suspended', 'account suspended');
      throw fail('invalid_response', `unexpected redirect ${res.status} to ${location}`);
    }
    if (res.status !== 200) throw fail('fatal', `unexpected HTTP status ${res.status}`);
    const parsed = parseFollowingPage(res.body);
    switch (parsed.kind) {
      case 'list':
        return { accounts: parsed.names.map((screenName) => ({ screenName })), nextCursor: parsed.nextCursor, rate };
      case 'protected':
        throw fail('protected', 'account is protected');
      case 'suspended':
        throw fail('suspended', 'account suspended');
      case 'not_found':
        throw fail('not_found', 'account does not exist');
      case 'unrecognised':
        throw fail('invalid_response', parsed.reason);
    }
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
