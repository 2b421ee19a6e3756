import { didOfId, handleOf, idOfDid, screenNameOfHandle } from '../did.ts';
import type { BrokenUsers } from '../faults.ts';
import type { SimGraph } from '../graph.ts';
import { hash3 } from '../hash.ts';
import { listPage } from '../list-page.ts';
import { displayName } from '../profile.ts';
import type { RateWindowState, SimProtocol, SimRequest, SimResponse } from '../protocol.ts';
import { appViewListed } from '../truth.ts';
import type { VariantUsers } from '../variants.ts';
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
 * hiding an account is deactivating it). The AppView leaves deactivated, taken-down and deleted
 * accounts out of other users' lists (getFollows' `isNoHosted` filter), so its lists are shorter than
 * X's for the same graph (`/_sim/truth/{did}?view=appview`), and `followsCount` counts them all.
 * A broken user's getFollows pages (`--broken-users`) loop (the cursor names the page itself from the
 * second page on), come in a shape the lexicon does not define (`items` of `{subject}` records in
 * place of `follows`), as if the AppView changed under the client, or come empty for ever.
 * Variant users (`--variant-users`) have full profile views (description, `associated`, `viewer`,
 * labels, `verification`), some a `did:web` (with a port, `%3A8443`, for half of them) or
 * `handle.invalid`; their pages come short, or empty with a cursor (a page whose follows were all
 * hidden), and some first answer 502 `UpstreamFailure` or 504 `UpstreamTimeout`.
 * Rate limits are per client address, with the `ratelimit-*` headers of atproto's xrpc-server
 * (reset in epoch seconds, rounded down; `ratelimit-policy: 3000;w=300`) and `retry-after` on a 429.
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

function resolveActor(graph: SimGraph, actor: string, variants: VariantUsers | undefined): number | undefined {
  if (actor.startsWith('did:')) {
    const id = idOfDid(actor);
    const index = id === undefined ? undefined : graph.indexOfId(id);
    // A DID names an account only in the form the account has (its did:plc, or its did:web).
    return index !== undefined && identity(graph, index, variants).did === actor ? index : undefined;
  }
  const name = screenNameOfHandle(actor);
  const index = name === undefined ? undefined : graph.indexOfName(name);
  return index !== undefined && identity(graph, index, variants).handle === actor.toLowerCase() ? index : undefined;
}

function identity(graph: SimGraph, index: number, variants: VariantUsers | undefined): { did: string; handle: string } {
  return variants?.identity(graph, index) ?? { did: didOfId(graph.idOf(index)), handle: handleOf(graph.screenName(index)) };
}

function createdAt(graph: SimGraph, index: number): string {
  return new Date(FIRST_ACCOUNT_MS + Math.floor(((LAST_ACCOUNT_MS - FIRST_ACCOUNT_MS) * index) / graph.size)).toISOString();
}

/** An issuer of verifications (Bluesky's own account's DID). */
const VERIFIER = 'did:plc:z72i7hdynmk6r22z27h6tvur';

function profileView(graph: SimGraph, index: number, variants: VariantUsers | undefined): Record<string, unknown> {
  const { did, handle } = identity(graph, index, variants);
  const screenName = graph.screenName(index);
  const created = createdAt(graph, index);
  const view: Record<string, unknown> = {
    did,
    handle,
    displayName: displayName(screenName),
    avatar: `https://cdn.bsky.app/img/avatar/plain/${did}/bafkreigh2akiscaildc@jpeg`,
    labels: [],
    createdAt: created,
    indexedAt: created,
  };
  if (!variants?.has(index)) return view;
  // A full profile view, as the AppView sends for accounts that set everything.
  const h = hash3(graph.seed, index, 0x70726f66);
  return {
    ...view,
    description: `Writes about ${displayName(screenName)}.\nhttps://example.com/${screenName}`,
    pronouns: h % 2 === 0 ? 'she/her' : 'they/them',
    associated: { lists: h % 3, feedgens: h % 2, starterPacks: h % 4, labeler: false, chat: { allowIncoming: 'following' }, activitySubscription: { allowSubscriptions: 'followers' } },
    viewer: { muted: false, blockedBy: false },
    labels: [{ ver: 1, src: did, uri: `at://${did}/app.bsky.actor.profile/self`, val: h % 2 === 0 ? '!no-unauthenticated' : 'porn', cts: created, neg: false }],
    verification: {
      verifications: h % 3 === 0 ? [{ issuer: VERIFIER, uri: `at://${VERIFIER}/app.bsky.graph.verification/3lndpqjbkw22f`, isValid: true, createdAt: created }] : [],
      verifiedStatus: h % 3 === 0 ? 'valid' : 'none',
      trustedVerifierStatus: 'none',
    },
  };
}

function getFollows(request: SimRequest, graph: SimGraph, actor: string, broken: BrokenUsers | undefined, variants: VariantUsers | undefined): SimResponse {
  const rawLimit = request.query.get('limit');
  const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit);
  if (!Number.isInteger(limit)) return xrpcError(400, 'InvalidRequest', 'limit must be an integer');
  if (limit > BLUESKY_MAX_LIMIT) return xrpcError(400, 'InvalidRequest', `limit can not be greater than ${BLUESKY_MAX_LIMIT}`);
  if (limit < 1) return xrpcError(400, 'InvalidRequest', 'limit can not be less than 1');
  const index = resolveActor(graph, actor, variants);
  // Unknown, taken down and deactivated actors are all "not found" here (the AppView's isNoHosted).
  if (index === undefined || graph.status(index) !== 'ok') return xrpcError(400, 'InvalidRequest', `Actor not found: ${actor}`);
  const subject = profileView(graph, index, variants);
  const rawCursor = request.query.get('cursor');
  let cursor: number | undefined;
  if (rawCursor !== null) {
    cursor = cursors.decode(graph.seed, index, rawCursor);
    if (cursor === undefined) return json(200, { subject, follows: [] });
  }
  if (variants?.failsOnce('bluesky', index, cursor ?? 0)) return bluesky.serverError(variants.upstreamStatus(index, cursor ?? 0) === 504 ? 504 : 502);
  const { targets, next, fault } = listPage(graph, index, cursor, limit, { broken, variants, listed: appViewListed(graph) });
  const more = next === undefined ? {} : { cursor: cursors.encode(graph.seed, index, next) };
  const follows = targets.map((t) => profileView(graph, t, variants));
  if (fault === 'markup') return json(200, { subject, items: follows.map((p) => ({ subject: p })), ...more });
  return json(200, { subject, follows, ...more });
}

function getProfile(graph: SimGraph, actor: string, variants: VariantUsers | undefined): SimResponse {
  const index = resolveActor(graph, actor, variants);
  const status = index === undefined ? 'not_found' : graph.status(index);
  if (status === 'not_found') return xrpcError(400, 'InvalidRequest', 'Profile not found');
  if (status === 'suspended') return xrpcError(400, 'AccountTakedown', 'Account has been suspended');
  if (status === 'protected') return xrpcError(400, 'AccountDeactivated', 'Account is deactivated');
  // followsCount counts the account's follow records, those of hidden accounts too.
  return json(200, { ...profileView(graph, index!, variants), followsCount: graph.followingCount(index!) });
}

export const bluesky: SimProtocol = {
  name: 'bluesky',

  matches(pathname) {
    return pathname === FOLLOWS || pathname === PROFILE;
  },

  handle(request: SimRequest, graph: SimGraph, broken?: BrokenUsers, variants?: VariantUsers): SimResponse {
    const actor = request.query.get('actor');
    if (actor === null || actor === '') return xrpcError(400, 'InvalidRequest', 'Params must have the property "actor"');
    return request.pathname === FOLLOWS ? getFollows(request, graph, actor, broken, variants) : getProfile(graph, actor, variants);
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

  rateLimited(state) {
    const retryAfter = String(Math.max(1, Math.ceil((state.resetAtMs - Date.now()) / 1000)));
    return { ...xrpcError(429, 'RateLimitExceeded', 'Rate Limit Exceeded'), headers: { 'retry-after': retryAfter } };
  },

  serverError(status) {
    // The names of xrpc-server's ResponseType for each status (packages/xrpc/src/types.ts).
    if (status === 502) return xrpcError(502, 'UpstreamFailure', 'Upstream Failure');
    if (status === 503) return xrpcError(503, 'NotEnoughResources', 'Not Enough Resources');
    if (status === 504) return xrpcError(504, 'UpstreamTimeout', 'Upstream Timeout');
    return xrpcError(500, 'InternalServerError', 'Internal Server Error');
  },
};
