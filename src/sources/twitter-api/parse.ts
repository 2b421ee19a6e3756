import type { SourceErrorKind } from '../../core/errors.ts';
import type { FollowedAccount } from '../source.ts';

/** What one answer of X API v2 `GET /2/users/:id/following` says. */
export type FollowingAnswer = { kind: 'page'; accounts: FollowedAccount[]; nextToken: string | undefined } | { kind: 'error'; error: SourceErrorKind; message: string };

/** An RFC 7807 problem object, as X API v2 sends them at the top level or in `errors[]`. */
interface Problem {
  type?: unknown;
  title?: unknown;
  detail?: unknown;
  message?: unknown;
  resource_type?: unknown;
  resource_id?: unknown;
  parameter?: unknown;
  section?: unknown;
  errors?: unknown;
}

const ID = /^[0-9]{1,19}$/;

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The last path segment of a problem type: `https://api.x.com/2/problems/usage-capped` → `usage-capped`. */
function problemName(p: Problem): string | undefined {
  const type = text(p.type);
  return type?.includes('/problems/') ? type.slice(type.lastIndexOf('/') + 1) : type;
}

function describe(p: Problem): string {
  return [problemName(p), text(p.detail) ?? text(p.message) ?? text(p.title)].filter(Boolean).join(': ');
}

/**
 * Classifies a problem about the requested user (docs.x.com "Error responses"; the example bodies are
 * in test/fixtures/twitter-api/). Protected users are `not-authorized-for-resource`; missing and
 * suspended users are both `resource-not-found`, told apart only by the title ("Not Found Error"
 * against "Forbidden") and the detail ("Could not find user" against "User has been suspended").
 */
function userProblem(p: Problem): { error: SourceErrorKind; message: string } {
  const name = problemName(p);
  const detail = text(p.detail) ?? text(p.title) ?? 'no detail';
  if (name === 'not-authorized-for-resource') return { error: 'protected', message: `account is protected (${detail})` };
  if (name === 'resource-not-found') {
    const suspended = text(p.title) === 'Forbidden' || /suspended/i.test(detail);
    return suspended ? { error: 'suspended', message: `account suspended (${detail})` } : { error: 'not_found', message: `account does not exist (${detail})` };
  }
  // resource-unavailable and problems X adds later: the user fails with the API's own words.
  return { error: 'fatal', message: `X API problem ${describe(p)}` };
}

/** Problems that refuse the client, not the user: no request can succeed until someone acts. */
const CLIENT_PROBLEMS = new Set(['client-forbidden', 'unsupported-authentication', 'usage-capped', 'client-disconnected']);
/** Problems that say why one resource cannot be read. */
const RESOURCE_PROBLEMS = new Set(['resource-not-found', 'not-authorized-for-resource']);

/**
 * Whether a problem is about the requested user rather than another resource of the answer (a pinned
 * post in `includes`, another user): its `resource_id` is the user's ID, or it has none and names the
 * `id` parameter. X's document lets `errors[]` sit beside `data` with problems about anything.
 */
function aboutUser(p: Problem, userId: string): boolean {
  if (p.section === 'includes') return false;
  if (p.resource_type !== undefined && p.resource_type !== 'user') return false;
  return typeof p.resource_id === 'string' ? p.resource_id === userId : p.parameter === 'id';
}

/**
 * A problem sent as the whole answer (HTTP 4xx), classified by its type: a refused client stops the
 * run, a problem about the user (a 404 `resource-not-found`, a 403 `not-authorized-for-resource`) is
 * the user's status; a 403 whose type says nothing more (about:blank) refuses the client.
 */
function topLevelProblem(status: number, p: Problem, userId: string): FollowingAnswer {
  const name = problemName(p);
  if (name !== undefined && CLIENT_PROBLEMS.has(name)) return { kind: 'error', error: 'unauthorized', message: `client refused (${status} ${describe(p)})` };
  if (name !== undefined && RESOURCE_PROBLEMS.has(name) && (p.resource_id === undefined || aboutUser(p, userId))) return { kind: 'error', ...userProblem(p) };
  if (status === 403 && (name === undefined || name === 'about:blank')) return { kind: 'error', error: 'unauthorized', message: `client refused (403 ${describe(p) || 'Forbidden'})` };
  // An invalid-request problem says which parameter in its errors[].
  const first = Array.isArray(p.errors) && typeof p.errors[0] === 'object' && p.errors[0] !== null ? (p.errors[0] as Problem) : undefined;
  return { kind: 'error', error: 'fatal', message: `HTTP ${status}: ${(first && describe(first)) || describe(p) || 'no detail'}` };
}

/**
 * Reads one answer (status and body) of the following endpoint for user `userId`. A body that is not
 * the documented shape is `invalid_response`, never an empty list; a page is followed by its
 * `meta.next_token` whenever there is one, whatever `result_count` says (X's document gives the two
 * no tie: an empty page may say more follow). IDs must be decimal strings (v2 sends every ID as a
 * string), so no ID passes through a JS number; numbers elsewhere in a body (a usage-capped problem's
 * `account_id`) are never read.
 */
export function parseFollowingAnswer(status: number, body: string, userId: string): FollowingAnswer {
  if (status >= 500) return { kind: 'error', error: 'transient', message: `server error ${status}` };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const o = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  const top = (o ?? {}) as Problem;
  if (status === 429) {
    if (problemName(top) === 'usage-capped') return { kind: 'error', error: 'unauthorized', message: `usage cap reached (${describe(top)})` };
    return { kind: 'error', error: 'rate_limited', message: 'rate limited (429)' };
  }
  if (status === 401) return { kind: 'error', error: 'unauthorized', message: `bearer token refused (401 ${text(top.title) ?? 'Unauthorized'})` };
  if (!o) return { kind: 'error', error: status === 200 ? 'invalid_response' : 'fatal', message: `HTTP ${status} with a body that is not a JSON object` };
  if (status !== 200 && text(top.type) !== undefined) return topLevelProblem(status, top, userId);

  const meta = typeof o.meta === 'object' && o.meta !== null ? (o.meta as Record<string, unknown>) : undefined;
  if (Array.isArray(o.data)) {
    const accounts: FollowedAccount[] = [];
    for (const u of o.data as Record<string, unknown>[]) {
      const id = u?.id;
      const username = text(u?.username);
      if (typeof id !== 'string' || !ID.test(id) || username === undefined) {
        return { kind: 'error', error: 'invalid_response', message: `unexpected user object ${JSON.stringify(u).slice(0, 200)}` };
      }
      accounts.push({ id, screenName: username });
    }
    return { kind: 'page', accounts, nextToken: text(meta?.next_token) };
  }
  const errors = Array.isArray(o.errors) ? (o.errors as Problem[]) : [];
  const problem = errors.find((e) => typeof e === 'object' && e !== null && aboutUser(e, userId));
  if (problem) return { kind: 'error', ...userProblem(problem) };
  const name = problemName(top);
  if (status === 403 || (name !== undefined && CLIENT_PROBLEMS.has(name))) {
    return { kind: 'error', error: 'unauthorized', message: `client refused (${status} ${describe(top)})` };
  }
  if (status === 200 && meta?.result_count === 0) return { kind: 'page', accounts: [], nextToken: text(meta.next_token) };
  if (errors.length > 0 || status !== 200) {
    const first = errors[0] ?? top;
    const others = errors.length > 0 && status === 200 ? ' (problems about other resources only, no data)' : '';
    return { kind: 'error', error: 'fatal', message: `HTTP ${status}: ${describe(first) || describe(top) || 'no detail'}${others}` };
  }
  return { kind: 'error', error: 'invalid_response', message: 'answer has neither data, errors nor an empty meta (format changed?)' };
}
