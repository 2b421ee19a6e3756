import { InternalError, SourceError } from '../../core/errors.ts';
import { HttpClient } from '../http.ts';
import { resetFromHeaders, twitterRateInfo } from '../rate-headers.ts';
import type { FetchOptions, FollowPage, Source, UserRef } from '../source.ts';
import { parseFollowingAnswer } from './parse.ts';

export interface TwitterApiOptions {
  /** API origin. Default https://api.x.com. */
  baseUrl: string;
  /** Bearer tokens (app-only or user context), one request budget each. Never logged. */
  tokens: readonly string[];
  /** Open sockets per token; set to the collector's concurrency. */
  connections: number;
  timeoutMs: number;
  /** Most time one response may take (MAX_RESPONSE_TIME). */
  maxResponseMs: number;
}

/** Accounts per page: the endpoint's maximum `max_results`, so a user costs at most two requests at the 2,000 cap. */
export const API_PAGE_SIZE = 1000;

/** Largest answer taken: a full page of 1,000 users with 50-character names is about 110 KB (a sim page, 63 KB). */
export const API_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * X API v2 follows lookup: `GET /2/users/:id/following?max_results=1000&user.fields=username`, then
 * `&pagination_token=` from `meta.next_token`. Gives IDs and usernames. Each bearer token is a
 * credential with its own budget (X counts this endpoint per token); the collector says which token
 * a request uses. Tokens go into the Authorization header only: never into messages, rows or logs.
 */
export class TwitterApiSource implements Source {
  readonly name = 'twitter-api' as const;
  readonly pageSize = API_PAGE_SIZE;
  readonly credentials: number;
  private readonly clients: HttpClient[];

  constructor(options: TwitterApiOptions) {
    if (options.tokens.length === 0) throw new InternalError('twitter-api needs at least one bearer token');
    this.credentials = options.tokens.length;
    this.clients = options.tokens.map(
      (token) =>
        new HttpClient({
          origin: options.baseUrl,
          connections: options.connections,
          timeoutMs: options.timeoutMs,
          maxResponseBytes: API_MAX_RESPONSE_BYTES,
          maxResponseMs: options.maxResponseMs,
          headers: { authorization: `Bearer ${token}` },
        }),
    );
  }

  async fetchPage(user: UserRef, cursor: string | undefined, options: FetchOptions = {}): Promise<FollowPage> {
    const credential = options.credential ?? 0;
    const client = this.clients[credential];
    if (!client) throw new InternalError(`no bearer token ${credential + 1} (${this.clients.length} configured)`);
    const path =
      `/2/users/${encodeURIComponent(user.id)}/following?max_results=${API_PAGE_SIZE}&user.fields=username` + (cursor === undefined ? '' : `&pagination_token=${encodeURIComponent(cursor)}`);
    const res = await client.get(path, options.signal);
    const rate = twitterRateInfo(res.headers);
    const answer = parseFollowingAnswer(res.status, res.body, user.id);
    if (answer.kind === 'page') return { accounts: answer.accounts, nextCursor: answer.nextToken, rate };
    // Which token was refused, by position: the token itself never goes into a message.
    const message = answer.error === 'unauthorized' && this.clients.length > 1 ? `token ${credential + 1} of ${this.clients.length}: ${answer.message}` : answer.message;
    throw new SourceError(answer.error, message, {
      httpStatus: res.status,
      rate,
      resetAt: answer.error === 'rate_limited' ? resetFromHeaders(res.headers) : undefined,
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
