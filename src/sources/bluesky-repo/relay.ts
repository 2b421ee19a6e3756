import { SourceError } from '../../core/errors.ts';
import type { RateInfo } from '../../core/rate.ts';
import type { HttpClient } from '../http.ts';
import { blueskyRateInfo, resetFromHeaders } from '../rate-headers.ts';
import { jsonObject, pdsError } from './parse.ts';

/** One repository a relay carries: its DID and hosting status (`active`, or why it is not). */
export interface RelayRepo {
  did: string;
  /** `active`, or the relay's reason (`takendown`, `suspended`, `deleted`, `deactivated`, ...; `inactive` when it gives none). */
  status: string;
}

export interface RelayPage {
  repos: RelayRepo[];
  /** The cursor of the next page; undefined at the end of the listing. */
  cursor: string | undefined;
  rate: RateInfo | undefined;
}

/** listRepos' maximum `limit` (lexicon com.atproto.sync.listRepos). */
export const RELAY_PAGE_SIZE = 1000;

/**
 * One page of a relay's `com.atproto.sync.listRepos` (`{repos: [{did, head, rev, active?, status?}],
 * cursor?}`). A relay gives a cursor while pages are full, so a listing ends with a page without one
 * (bluesky-social/indigo cmd/relay); an entry without a DID fails the page, never shortens it.
 */
export async function listRepos(relay: HttpClient, cursor: string | undefined, limit: number, signal?: AbortSignal): Promise<RelayPage> {
  const res = await relay.get(`/xrpc/com.atproto.sync.listRepos?limit=${limit}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, signal);
  const rate = blueskyRateInfo(res.headers);
  if (res.status !== 200) {
    const answer = pdsError(res.status, res.body);
    const kind = answer.kind === 'error' ? answer.error : 'invalid_response';
    const message = 'message' in answer ? answer.message : `HTTP ${res.status}`;
    throw new SourceError(kind, `relay: ${message}`, { httpStatus: res.status, rate, resetAt: kind === 'rate_limited' ? (rate?.resetAt ?? resetFromHeaders(res.headers)) : undefined });
  }
  const o = jsonObject(res.body);
  if (!o || !Array.isArray(o.repos)) throw new SourceError('invalid_response', 'listRepos answer without a repos array (format changed?)', { rate });
  const repos: RelayRepo[] = [];
  for (const r of o.repos as Record<string, unknown>[]) {
    const did = r?.did;
    if (typeof did !== 'string' || !/^did:[a-z]+:[^\s,"]+$/.test(did)) throw new SourceError('invalid_response', `listRepos entry without a DID: ${JSON.stringify(r).slice(0, 200)}`, { rate });
    const status = r.active === false ? (typeof r.status === 'string' && /^[a-z]+$/.test(r.status) ? r.status : 'inactive') : 'active';
    repos.push({ did, status });
  }
  const next = typeof o.cursor === 'string' && o.cursor !== '' ? o.cursor : undefined;
  return { repos, cursor: repos.length === 0 ? undefined : next, rate };
}
