import type { BrokenUsers } from '../faults.ts';
import type { SimGraph } from '../graph.ts';
import { displayName } from '../profile.ts';
import type { SimProtocol, SimRequest, SimResponse } from '../protocol.ts';
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
 * A bearer token starting with `revoked` is refused (401), so tests can exercise bad credentials.
 * A broken user's pages (`--broken-users`) loop (`next_token` names the page itself from the second
 * page on) or come in another API's shape (v1.1's `{"users", "next_cursor_str"}`), as if the endpoint
 * changed under the client.
 */

export const API_MAX_RESULTS = 1000;
const API_DEFAULT_RESULTS = 100;
const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEMS = 'https://api.twitter.com/2/problems';
const PATH = /^\/2\/users\/([^/]+)\/following$/;

/** X pagination tokens are opaque upper-case base32 strings such as "DFEDBNRFT3MHCZZZ". */
const tokens = cursorCodec('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 0x7a11c0de);

function json(status: number, body: unknown): SimResponse {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body) };
}

function invalidRequest(parameter: string, value: string): SimResponse {
  return json(400, {
    errors: [{ parameters: { [parameter]: [value] }, message: `The \`${parameter}\` query parameter value [${value}] is not valid` }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: `${PROBLEMS}/invalid-request`,
  });
}

function userProblem(id: string, title: string, detail: string, type: string, section?: string): SimResponse {
  return json(200, {
    errors: [{ value: id, detail, title, resource_type: 'user', parameter: 'id', resource_id: id, ...(section ? { section } : {}), type: `${PROBLEMS}/${type}` }],
  });
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

const UNAUTHORIZED = json(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });

export const twitterApi: SimProtocol = {
  name: 'twitter-api',

  matches(pathname) {
    return PATH.test(pathname);
  },

  handle(request: SimRequest, graph: SimGraph, broken?: BrokenUsers): SimResponse {
    const auth = request.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
    if (token === '' || token.startsWith('revoked')) return UNAUTHORIZED;
    const id = decodeURIComponent(PATH.exec(request.pathname)![1]!);
    if (!/^[0-9]{1,19}$/.test(id)) return invalidRequest('id', id);
    const rawMax = request.query.get('max_results');
    const max = rawMax === null ? API_DEFAULT_RESULTS : Number(rawMax);
    if (!Number.isInteger(max) || max < 1 || max > API_MAX_RESULTS) return invalidRequest('max_results', rawMax ?? '');
    const index = graph.indexOfId(id);
    const status = index === undefined ? 'not_found' : graph.status(index);
    if (status === 'not_found') return userProblem(id, 'Not Found Error', `Could not find user with id: [${id}].`, 'resource-not-found');
    if (status === 'suspended') return userProblem(id, 'Forbidden', `User has been suspended: [${id}].`, 'resource-not-found');
    if (status === 'protected') {
      return userProblem(id, 'Authorization Error', `Sorry, you are not authorized to see the user with id: [${id}].`, 'not-authorized-for-resource', 'data');
    }
    const paginationToken = request.query.get('pagination_token');
    let from = 0;
    if (paginationToken !== null) {
      const decoded = tokens.decode(graph.seed, index!, paginationToken);
      if (decoded === undefined) return invalidRequest('pagination_token', paginationToken);
      from = decoded;
    }
    const fault = broken?.pageFault(index!);
    const { targets, next: listNext } = graph.followsPage(index!, from, max);
    // A looping list: every page after the first names itself as the next page.
    const next = fault === 'cursor-loop' && from > 0 ? from : listNext;
    if (fault === 'markup') return json(200, changedShape(graph, targets, next));
    if (targets.length === 0) return json(200, { meta: { result_count: 0 } });
    const data = targets.map((t) => {
      const username = graph.screenName(t);
      return { id: graph.idOf(t).toString(), name: displayName(username), username };
    });
    const meta = next === undefined ? { result_count: data.length } : { result_count: data.length, next_token: tokens.encode(graph.seed, index!, next) };
    return json(200, { data, meta });
  },

  clientKey(request) {
    // X counts this endpoint's limit per app token (or per user token), not per address.
    return `twitter-api:${request.headers.authorization ?? ''}`;
  },

  rateLimitHeaders: xRateLimitHeaders,

  rateLimited() {
    return json(429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 });
  },

  serverError(status) {
    const title = status === 503 ? 'Service Unavailable' : 'Internal Server Error';
    return json(status, { title, detail: title, type: 'about:blank', status });
  },
};
