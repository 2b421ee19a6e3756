import { SourceError } from '../../core/errors.ts';
import { HttpClient, type HttpResponse } from '../http.ts';
import { blueskyRateInfo, resetFromHeaders } from '../rate-headers.ts';
import type { FetchOptions, FollowPage, RateInfo, Source, UserRef } from '../source.ts';
import { parseGetFollows, parseGetProfile, type XrpcAnswer } from './parse.ts';

export interface BlueskyOptions {
  /** AppView origin. Default https://public.api.bsky.app (Bluesky's public, unauthenticated AppView). */
  baseUrl: string;
  /** Open sockets; set to the collector's concurrency. */
  connections: number;
  timeoutMs: number;
  /** Most time one response may take (MAX_RESPONSE_TIME). */
  maxResponseMs: number;
}

/** getFollows' maximum `limit` (lexicon app.bsky.graph.getFollows). */
export const BLUESKY_PAGE_SIZE = 100;

/**
 * Largest answer taken: 100 profile views with the lexicon's longest handles, names and descriptions
 * stay under 1 MB; a sim page is about 30 KB.
 */
export const BLUESKY_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

/**
 * Bluesky follows through an AppView: `GET /xrpc/app.bsky.graph.getFollows?actor=DID&limit=100`,
 * then `&cursor=` from the answer. IDs are DIDs, names are handles; no account is needed.
 *
 * getFollows answers "Actor not found" alike for a missing, a taken-down and a deactivated account,
 * so that answer costs one more request, `app.bsky.actor.getProfile`, which tells them apart
 * (`InvalidRequest` "Profile not found", `AccountTakedown`, `AccountDeactivated`); it goes through
 * the budget like any other (`FetchOptions.followUp`). A few percent of users take it.
 */
export class BlueskySource implements Source {
  readonly name = 'bluesky' as const;
  readonly pageSize = BLUESKY_PAGE_SIZE;
  /** The public AppView limits per client address: one budget. */
  readonly credentials = 1;
  private readonly http: HttpClient;

  constructor(options: BlueskyOptions) {
    this.http = new HttpClient({
      origin: options.baseUrl,
      connections: options.connections,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: BLUESKY_MAX_RESPONSE_BYTES,
      maxResponseMs: options.maxResponseMs,
    });
  }

  async fetchPage(user: UserRef, cursor: string | undefined, options: FetchOptions = {}): Promise<FollowPage> {
    const actor = encodeURIComponent(user.id);
    const res = await this.http.get(`/xrpc/app.bsky.graph.getFollows?actor=${actor}&limit=${BLUESKY_PAGE_SIZE}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, options.signal);
    const rate = blueskyRateInfo(res.headers);
    const answer = parseGetFollows(res.status, res.body);
    if (answer.kind === 'follows') return { accounts: answer.accounts, nextCursor: answer.cursor, rate };
    if (answer.kind !== 'actor_not_found') throw this.fail(answer, res, rate);
    const send = () => this.http.get(`/xrpc/app.bsky.actor.getProfile?actor=${actor}`, options.signal);
    const profile = await (options.followUp ? options.followUp(send) : send());
    const profileRate = blueskyRateInfo(profile.headers) ?? rate;
    const why = parseGetProfile(profile.status, profile.body);
    if (why.kind === 'profile') {
      throw new SourceError('invalid_response', `getFollows said "${answer.message}" but the profile exists`, { httpStatus: res.status, rate: profileRate });
    }
    throw this.fail(why, profile, profileRate);
  }

  /** The error an answer that is not a list stands for ("Actor not found" alone counts as not found). */
  private fail(answer: XrpcAnswer, res: HttpResponse, rate: RateInfo | undefined): SourceError {
    const kind = answer.kind === 'error' ? answer.error : answer.kind === 'actor_not_found' ? 'not_found' : 'invalid_response';
    const message = 'message' in answer ? answer.message : `unexpected ${answer.kind} answer`;
    return new SourceError(kind, message, {
      httpStatus: res.status,
      rate,
      resetAt: kind === 'rate_limited' ? (rate?.resetAt ?? resetFromHeaders(res.headers)) : undefined,
    });
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
