import type { SimStatus } from '../graph.ts';
import type { SimProtocol, SimRequest, SimResponse } from '../protocol.ts';
import { bluesky } from '../protocols/bluesky.ts';
import type { AtprotoAccounts } from './accounts.ts';
import { cidOf } from './repo-car.ts';
import { tid } from './tid.ts';
import { json } from './xrpc.ts';

const LIST_REPOS = '/xrpc/com.atproto.sync.listRepos';
const GET_REPO_STATUS = '/xrpc/com.atproto.sync.getRepoStatus';
const REV = tid(Date.UTC(2025, 5, 1) * 1000, 0);

/** How the relay's account table names each sim status (`active: false` with this reason). */
const RELAY_STATUS: Record<SimStatus, string | undefined> = { ok: undefined, protected: 'deactivated', suspended: 'takendown', not_found: 'deleted' };

function badRequest(message: string): SimResponse {
  return json(400, { error: 'BadRequest', message });
}

/**
 * The relay (bluesky-social/indigo's cmd/relay) over every account of the network:
 * - `com.atproto.sync.listRepos?limit=&cursor=`: `{repos: [{did, head, rev, active, status?}], cursor?}`
 *   in account order, `limit` 1-1000 (default 500); the cursor is the last account's number, given only
 *   when the page is full, so a listing ends with a short page or an empty one without a cursor;
 * - `com.atproto.sync.getRepoStatus?did=`: `{did, active, status?, rev?}`, 404 `RepoNotFound` for a DID
 *   it does not carry.
 * Deleted accounts stay listed with status `deleted`, as the relay keeps them.
 */
export function relayProtocol(accounts: AtprotoAccounts): SimProtocol {
  const graph = accounts.graph;
  const entry = (index: number) => {
    const did = accounts.didOf(index);
    const status = RELAY_STATUS[graph.status(index)];
    return { did, head: cidOf({ did, rev: REV }).toString(), rev: REV, active: status === undefined, ...(status ? { status } : {}) };
  };

  const listRepos = (q: URLSearchParams): SimResponse => {
    const rawLimit = q.get('limit');
    const limit = rawLimit === null || rawLimit === '' ? 500 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return badRequest(`limit parameter invalid: ${rawLimit}`);
    const rawCursor = q.get('cursor');
    const cursor = rawCursor === null || rawCursor === '' ? 0 : Number(rawCursor);
    if (!/^\d*$/.test(rawCursor ?? '') || !Number.isSafeInteger(cursor)) return badRequest(`limit parameter invalid cursor: ${rawCursor}`);
    const repos = [];
    for (let i = cursor; i < graph.size && repos.length < limit; i++) repos.push(entry(i));
    const full = repos.length >= limit && repos.length > 1;
    return json(200, { repos, ...(full ? { cursor: String(cursor + repos.length) } : {}) });
  };

  const getRepoStatus = (q: URLSearchParams): SimResponse => {
    const did = q.get('did') ?? '';
    const index = accounts.indexOfDid(did);
    if (index === undefined) return json(404, { error: 'RepoNotFound', message: 'account not found' });
    const { head: _head, ...status } = entry(index);
    return json(200, status.active ? status : { did: status.did, active: false, status: status.status });
  };

  return {
    name: 'relay',
    matches: (pathname) => pathname === LIST_REPOS || pathname === GET_REPO_STATUS,
    handle: (request: SimRequest) => (request.pathname === LIST_REPOS ? listRepos(request.query) : getRepoStatus(request.query)),
    clientKey: (request) => `relay:${request.remoteAddress}`,
    rateLimitHeaders: (state) => bluesky.rateLimitHeaders(state),
    rateLimited: (state) => bluesky.rateLimited(state),
    serverError: (status) => bluesky.serverError(status),
  };
}
