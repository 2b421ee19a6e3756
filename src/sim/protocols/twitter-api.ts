import type { BrokenUsers } from '../faults.ts';
import type { SimGraph } from '../graph.ts';
import { hash3 } from '../hash.ts';
import { listPage } from '../list-page.ts';
import { displayName } from '../profile.ts';
import type { SimProtocol, SimRequest, SimResponse } from '../protocol.ts';
import type { VariantUsers } from '../variants.ts';
import { cursorCodec } from './cursor.ts';
import { xRateLimitHeaders } from './x-rate-headers.ts';

/**
 * X API v2 `GET /2/users/:id/following` (docs.x.com, "Follows lookup"): `max_results` 1-1000
 * (default 100), `pagination_token` from the previous page's `meta.next_token`, `user.fields`.
 * Answers follow the documented shapes (test/fixtures/twitter-api/ holds the examples they copy):
 * - a page: `{"data":[{"id","name","username"}],"meta":{"result_count","next_token"?}}`, or
 *   `{"meta":{"result_count":0}}` for an empty list;
 * - problems with the user come as 200 with `errors[]` (RFC 7807 problem objects): protected users
 *   `not-authorized-for-resource`, missing ones `resource-not-found` ("Could not find user"),
 *   suspended ones `resource-not-found` titled "Forbidden" ("User has been suspended");
 * - a bad parameter is a 400 `invalid-request`; no or a refused bearer token a 401; 429 when the
 *   token's window is spent. The rate limit is counted per bearer token, as X counts it.
 * A bearer token starting with `revoked` is refused (401), one starting with `forbidden` is an App
 * outside a Project (403 `client-forbidden`), one starting with `capped` has spent its plan's monthly
 * cap (429 `usage-capped`), so tests can exercise refused clients. A 429 comes as X's about:blank
 * problem or, in some windows, as the `{"errors":[{"code":88}]}` body its rate-limit page documents;
 * 500 as a problem, 502/503/504 as the edge's HTML page.
 * A broken user's pages (`--broken-users`) loop (`next_token` names the page itself from the second
 * page on), come in another API's shape (v1.1's `{"users", "next_cursor_str"}`), as if the endpoint
 * changed under the client, or come empty with a new `next_token` for ever.
 * Variant users (`--variant-users`) get what X's OpenAPI document allows beside that: pages with every
 * user field, `previous_token`, `includes` and problems about other resources (a pinned post, another
 * user) beside `data`; short pages and empty ones (`result_count: 0`) that still carry `next_token`;
 * problems under api.x.com with `status`, some as a top-level 404 or 403 instead of 200 with `errors[]`.
 */

export const API_MAX_RESULTS = 1000;
const API_DEFAULT_RESULTS = 100;
const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = 'application/problem+json';
const PROBLEMS = 'https://api.twitter.com/2/problems';
const X_PROBLEMS = 'https://api.x.com/2/problems';
const PATH = /^\/2\/users\/([^/]+)\/following$/;
/** X's posts are snowflakes too: the sim's pinned posts are the account's ID plus this offset. */
const POST_ID_OFFSET = 7_000_000_000_000_000n;

/** X pagination tokens are opaque upper-case base32 strings such as "DFEDBNRFT3MHCZZZ". */
const tokens = cursorCodec('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 0x7a11c0de);

function json(status: number, body: unknown, contentType = JSON_TYPE): SimResponse {
  return { status, contentType, body: JSON.stringify(body) };
}

function invalidRequest(parameter: string, value: string): SimResponse {
  return json(
    400,
    {
      errors: [{ parameters: { [parameter]: [value] }, message: `The \`${parameter}\` query parameter value [${value}] is not valid` }],
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: `${PROBLEMS}/invalid-request`,
    },
    PROBLEM_TYPE,
  );
}

type UserProblem = 'not_found' | 'suspended' | 'protected';

/** X's problem about the requested user, as X words each (test/fixtures/twitter-api/error-*.json). */
function userProblem(id: string, problem: UserProblem, domain: string, status?: number): Record<string, unknown> {
  const [title, detail, type] =
    problem === 'not_found'
      ? ['Not Found Error', `Could not find user with id: [${id}].`, 'resource-not-found']
      : problem === 'suspended'
        ? ['Forbidden', `User has been suspended: [${id}].`, 'resource-not-found']
        : ['Authorization Error', `Sorry, you are not authorized to see the user with id: [${id}].`, 'not-authorized-for-resource'];
  return {
    value: id,
    detail,
    title,
    resource_type: 'user',
    parameter: 'id',
    resource_id: id,
    ...(problem === 'protected' ? { section: 'data' } : {}),
    ...(status === undefined ? {} : { status }),
    type: `${domain}/${type}`,
  };
}

/**
 * How a user who cannot be read is answered: 200 with the problem in `errors[]`, as X does for most; a
 * variant user's with api.x.com types and `status`, and for some a top-level 404 or 403 problem.
 */
function unreadable(id: string, problem: UserProblem, variant: boolean, h: number): SimResponse {
  if (!variant) return json(200, { errors: [userProblem(id, problem, PROBLEMS)] });
  if (h % 3 === 0 && problem !== 'suspended') {
    const status = problem === 'not_found' ? 404 : 403;
    return json(status, userProblem(id, problem, X_PROBLEMS, status), PROBLEM_TYPE);
  }
  return json(200, { errors: [userProblem(id, problem, X_PROBLEMS, h % 3 === 1 ? 200 : undefined)] });
}

/**
 * The page in a shape the v2 client does not know (v1.1 `friends/list`'s): `users` with `id_str` and
 * `screen_name`, and `next_cursor_str` ("0" at the end). Even an empty list is recognisably not v2's.
 */
function changedShape(graph: SimGraph, targets: readonly number[], next: number | undefined): Record<string, unknown> {
  return {
    users: targets.map((t) => ({ id_str: graph.idOf(t).toString(), screen_name: graph.screenName(t) })),
    next_cursor_str: next === undefined ? '0' : String(next),
    previous_cursor_str: '0',
  };
}

/** A followed account with every user field X's document lists (the ones a variant page asks for). */
function fullUser(graph: SimGraph, t: number): Record<string, unknown> {
  const username = graph.screenName(t);
  const id = graph.idOf(t);
  const h = hash3(graph.seed, t, 0x66756c6c);
  const created = new Date(Date.UTC(2007, 0, 1) + (h % 5000) * 86_400_000).toISOString().replace(/\.\d+Z$/, '.000Z');
  return {
    id: id.toString(),
    name: displayName(username),
    username,
    created_at: created,
    description: `Posts about ${displayName(username)} & more`,
    location: 'Earth',
    url: '',
    profile_image_url: `https://pbs.twimg.com/profile_images/${id}/avatar_normal.jpg`,
    protected: graph.status(t) === 'protected',
    verified: h % 7 === 0,
    verified_type: h % 7 === 0 ? 'blue' : 'none',
    public_metrics: { followers_count: h % 10_000, following_count: graph.followingCount(t), tweet_count: h % 50_000, listed_count: h % 40, like_count: h % 9_000 },
    ...(h % 4 === 0 ? { pinned_tweet_id: (id + POST_ID_OFFSET).toString() } : {}),
  };
}

/**
 * A variant page's `includes` and `errors[]`: the pinned posts found, and problems about resources
 * other than the requested user (a pinned post that is gone; another user) that a client must not
 * take for the user's status.
 */
function beside(graph: SimGraph, users: readonly Record<string, unknown>[], requested: number): Record<string, unknown> {
  const pinned = users.filter((u) => u.pinned_tweet_id !== undefined);
  if (pinned.length === 0) return {};
  const [gone, ...found] = pinned;
  const other = graph.idOf((requested + 1) % graph.size).toString();
  const errors = [
    {
      value: gone!.pinned_tweet_id,
      detail: `Could not find tweet with pinned_tweet_id: [${String(gone!.pinned_tweet_id)}].`,
      title: 'Not Found Error',
      resource_type: 'tweet',
      parameter: 'pinned_tweet_id',
      resource_id: gone!.pinned_tweet_id,
      section: 'includes',
      type: `${PROBLEMS}/resource-not-found`,
    },
    { value: other, detail: `Could not find user with id: [${other}].`, title: 'Not Found Error', resource_type: 'user', parameter: 'id', resource_id: other, type: `${PROBLEMS}/resource-not-found` },
  ];
  const tweets = found.map((u) => ({ id: String(u.pinned_tweet_id), text: `Pinned by @${String(u.username)}`, edit_history_tweet_ids: [String(u.pinned_tweet_id)] }));
  return { ...(tweets.length > 0 ? { includes: { tweets } } : {}), errors };
}

const UNAUTHORIZED = json(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' }, PROBLEM_TYPE);
const CLIENT_FORBIDDEN = json(
  403,
  {
    client_id: '23567890',
    detail:
      'When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.',
    registration_url: 'https://developer.twitter.com/en/docs/projects/overview',
    title: 'Client Forbidden',
    required_enrollment: 'Appropriate Level of API Access',
    reason: 'client-not-enrolled',
    type: `${PROBLEMS}/client-forbidden`,
  },
  PROBLEM_TYPE,
);
const USAGE_CAPPED = json(429, { title: 'UsageCapExceeded', period: 'Monthly', scope: 'Product', detail: 'Usage cap exceeded: Monthly product cap', type: `${PROBLEMS}/usage-capped` }, PROBLEM_TYPE);

/** The page X's edge (not the API) sends for 502, 503 and 504: HTML, whatever the client asked for. */
function edgePage(status: number): SimResponse {
  const title = status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Unavailable' : 'Gateway Timeout';
  return {
    status,
    contentType: 'text/html; charset=utf-8',
    body: `<!DOCTYPE html>\n<html><head><title>${status} ${title}</title></head><body><h1>${title}</h1><p>Something is technically wrong.</p></body></html>\n`,
  };
}

export const twitterApi: SimProtocol = {
  name: 'twitter-api',

  matches(pathname) {
    return PATH.test(pathname);
  },

  handle(request: SimRequest, graph: SimGraph, broken?: BrokenUsers, variants?: VariantUsers): SimResponse {
    const auth = request.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
    if (token === '' || token.startsWith('revoked')) return UNAUTHORIZED;
    if (token.startsWith('forbidden')) return CLIENT_FORBIDDEN;
    if (token.startsWith('capped')) return USAGE_CAPPED;
    const id = decodeURIComponent(PATH.exec(request.pathname)![1]!);
    if (!/^[0-9]{1,19}$/.test(id)) return invalidRequest('id', id);
    const rawMax = request.query.get('max_results');
    const max = rawMax === null ? API_DEFAULT_RESULTS : Number(rawMax);
    if (!Number.isInteger(max) || max < 1 || max > API_MAX_RESULTS) return invalidRequest('max_results', rawMax ?? '');
    const index = graph.indexOfId(id);
    const variant = index !== undefined && (variants?.has(index) ?? false);
    const status = index === undefined ? 'not_found' : graph.status(index);
    if (status !== 'ok') return unreadable(id, status, variant, index === undefined ? 0 : hash3(graph.seed, index, 0x70726f62));
    const paginationToken = request.query.get('pagination_token');
    let cursor: number | undefined;
    if (paginationToken !== null) {
      cursor = tokens.decode(graph.seed, index!, paginationToken);
      if (cursor === undefined) return invalidRequest('pagination_token', paginationToken);
    }
    if (variants?.failsOnce('twitter-api', index!, cursor ?? 0)) return twitterApi.serverError(variants.upstreamStatus(index!, cursor ?? 0));
    const { targets, next, position, fault } = listPage(graph, index!, cursor, max, { broken, variants });
    if (fault === 'markup') return json(200, changedShape(graph, targets, next));
    const meta: Record<string, unknown> = { result_count: targets.length };
    if (next !== undefined) meta.next_token = tokens.encode(graph.seed, index!, next);
    // A way back: X's previous_token, which friendfleet never follows.
    if (variant && cursor !== undefined && position > 0) meta.previous_token = tokens.encode(graph.seed, index, Math.max(0, position - max) * 2);
    if (targets.length === 0) return json(200, { meta });
    if (!variant) {
      const data = targets.map((t) => {
        const username = graph.screenName(t);
        return { id: graph.idOf(t).toString(), name: displayName(username), username };
      });
      return json(200, { data, meta });
    }
    const data = targets.map((t) => fullUser(graph, t));
    return json(200, { data, ...beside(graph, data, index), meta });
  },

  clientKey(request) {
    // X counts this endpoint's limit per app token (or per user token), not per address.
    return `twitter-api:${request.headers.authorization ?? ''}`;
  },

  rateLimitHeaders: xRateLimitHeaders,

  rateLimited(state) {
    // X answers 429 with its about:blank problem, and in the shape its rate-limit page documents.
    if (state.resetSeconds % 2 === 1) return json(429, { errors: [{ code: 88, message: 'Rate limit exceeded' }] });
    return json(429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }, PROBLEM_TYPE);
  },

  serverError(status) {
    if (status !== 500) return edgePage(status);
    return json(status, { title: 'Internal Server Error', detail: 'Internal Server Error', type: 'about:blank', status }, PROBLEM_TYPE);
  },
};
