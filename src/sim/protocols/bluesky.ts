import { didOfId, handleOf, idOfDid, screenNameOfHandle } from '../did.ts';
import type { BrokenUsers } from '../faults.ts';
import type { SimGraph } from '../graph.ts';
import { displayName } from '../profile.ts';
import type { RateWindowState, SimProtocol, SimRequest, SimResponse } from '../protocol.ts';
import { cursorCodec } from './cursor.ts';

/**
 * Bluesky's AppView XRPC queries (lexicons app.bsky.graph.getFollows and app.bsky.actor.getProfile,
 * answered as bluesky-social/atproto's packages/bsky does):
 * - `getFollows?actor=&limit=&cursor=`: `{"subject": profileView, "follows": [profileView], "cursor"?}`,
 *   `limit` 1-100 (default 50); an actor that is unknown, taken down or deactivated is the same
 *   400 `{"error":"InvalidRequest","message":"Actor not found: ..."}`, and a cursor it cannot read
 *   gives an empty page, as the AppView's `clearlyBadCursor` does;
 * - `getProfile?actor=` tells those apart: `InvalidRequest` "Profile not found", `AccountTakedown`,
 *   `AccountDeactivated`.
 * The sim's protected accounts are Bluesky's deactivated ones (Bluesky has no protected accounts:
 * hiding an account is deactivating it). The AppView also leaves deactivated accounts out of other
 * users' lists; the sim keeps the one follow list every protocol serves, so only suspended and
 * deleted accounts vanish from lists, as on X.
 * A broken user's getFollows pages (`--broken-users`) loop (the cursor names the page itself from the
 * second page on) or come in a shape the lexicon does not define (`items` of `{subject}` records in
 * place of `follows`), as if the AppView changed under the client.
 * Rate limits are per client address, with the `ratelimit-*` headers of atproto's xrpc-server
 * (reset in epoch seconds, rounded down; `ratelimit-policy: 3000;w=300`).
 */

export const BLUESKY_MAX_LIMIT = 100;
const DEFAULT_LIMIT = 50;
const JSON_TYPE = 'application/json; charset=utf-8';
const FOLLOWS = '/xrpc/app.bsky.graph.getFollows';
const PROFILE = '/xrpc/app.bsky.actor.getProfile';
/** Bluesky opened on 2023-02-17; sim accounts were created between then and the start of 2025. */
const FIRST_ACCOUNT_MS = Date.UTC(2023, 1, 17);
const LAST_ACCOUNT_MS = Date.UTC(2025, 0, 1);

/** Cursors in the base32-sortable alphabet of atproto TIDs, e.g. "3kxbqanb2gk2s". */
const cursors = cursorCodec('234567abcdefghijklmnopqrstuvwxyz', 0x1b5c7a2d);

function json(status: number, body: unknown): SimResponse {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body) };
}

function xrpcError(status: number, error: string, message: string): SimResponse {
  return json(status, { error, message });
}

function resolveActor(graph: SimGraph, actor: string): number | undefined {
  if (actor.startsWith('did:')) {
    const id = idOfDid(actor);
    return id === undefined ? undefined : graph.indexOfId(id);
  }
  const name = screenNameOfHandle(actor);
  return name === undefined ? undefined : graph.indexOfName(name);
}

function createdAt(graph: SimGraph, index: number): string {
  return new Date(FIRST_ACCOUNT_MS + Math.floor(((LAST_ACCOUNT_MS - FIRST_ACCOUNT_MS) * index) / graph.size)).toISOString();
}

function profileView(graph: SimGraph, index: number): Record<string, unknown> {
  const did = didOfId(graph.idOf(index));
  const screenName = graph.screenName(index);
  const created = createdAt(graph, index);
  return {
    did,
    handle: handleOf(screenName),
    displayName: displayName(screenName),
    avatar: `https://cdn.bsky.app/img/avatar/plain/${did}/bafkreigh2akiscaildc@jpeg`,
    labels: [],
    createdAt: created,
    indexedAt: created,
  };
}

function getFollows(request: SimRequest, graph: SimGraph, actor: string, broken: BrokenUsers | undefined): SimResponse {
  const rawLimit = request.query.get('limit');
  const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit);
  if (!Number.isInteger(limit)) return xrpcError(400, 'InvalidRequest', 'limit must be an integer');
  if (limit > BLUESKY_MAX_LIMIT) return xrpcError(400, 'InvalidRequest', `limit can not be greater than ${BLUESKY_MAX_LIMIT}`);
  if (limit < 1) return xrpcError(400, 'InvalidRequest', 'limit can not be less than 1');
  const index = resolveActor(graph, actor);
  // Unknown, taken down and deactivated actors are all "not found" here (the AppView's isNoHosted).
  if (index === undefined || graph.status(index) !== 'ok') return xrpcError(400, 'InvalidRequest', `Actor not found: ${actor}`);
  const subject = profileView(graph, index);
  const cursor = request.query.get('cursor');
  let from = 0;
  if (cursor !== null) {
    const decoded = cursors.decode(graph.seed, index, cursor);
    if (decoded === undefined) return json(200, { subject, follows: [] });
    from = decoded;
  }
  const fault = broken?.pageFault(index);
  const { targets, next: listNext } = graph.followsPage(index, from, limit);
  // A looping list: every page after the first names itself as the next page.
  const next = fault === 'cursor-loop' && from > 0 ? from : listNext;
  const more = next === undefined ? {} : { cursor: cursors.encode(graph.seed, index, next) };
  const follows = targets.map((t) => profileView(graph, t));
  if (fault === 'markup') return json(200, { subject, items: follows.map((p) => ({ subject: p })), ...more });
  return json(200, { subject, follows, ...more });
}

function getProfile(graph: SimGraph, actor: string): SimResponse {
  const index = resolveActor(graph, actor);
  const status = index === undefined ? 'not_found' : graph.status(index);
  if (status === 'not_found') return xrpcError(400, 'InvalidRequest', 'Profile not found');
  if (status === 'suspended') return xrpcError(400, 'AccountTakedown', 'Account has been suspended');
  if (status === 'protected') return xrpcError(400, 'AccountDeactivated', 'Account is deactivated');
  return json(200, { ...profileView(graph, index!), followsCount: graph.followingCount(index!) });
}

export const bluesky: SimProtocol = {
  name: 'bluesky',

  matches(pathname) {
    return pathname === FOLLOWS || pathname === PROFILE;
  },

  handle(request: SimRequest, graph: SimGraph, broken?: BrokenUsers): SimResponse {
    const actor = request.query.get('actor');
    if (actor === null || actor === '') return xrpcError(400, 'InvalidRequest', 'Params must have the property "actor"');
    return request.pathname === FOLLOWS ? getFollows(request, graph, actor, broken) : getProfile(graph, actor);
  },

  clientKey(request) {
    return `bluesky:${request.remoteAddress}`;
  },

  rateLimitHeaders(state: RateWindowState) {
    return {
      'ratelimit-limit': String(state.limit),
      'ratelimit-remaining': String(state.remaining),
      'ratelimit-reset': String(Math.floor(state.resetAtMs / 1000)),
      'ratelimit-policy': `${state.limit};w=${state.windowSeconds}`,
    };
  },

  rateLimited() {
    return xrpcError(429, 'RateLimitExceeded', 'Rate Limit Exceeded');
  },

  serverError(status) {
    return status === 503 ? xrpcError(503, 'NotEnoughResources', 'Not Enough Resources') : xrpcError(500, 'InternalServerError', 'Internal Server Error');
  },
};
