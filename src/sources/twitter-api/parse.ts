import type { SourceErrorKind } from '../../core/errors.ts';
import type { FollowedAccount } from '../source.ts';

/** What one answer of X API v2 `GET /2/users/:id/following` says. */
export type FollowingAnswer =
  | { kind: 'page'; accounts: FollowedAccount[]; nextToken: string | undefined }
  | { kind: 'error'; error: SourceErrorKind; message: string };

/** An RFC 7807 problem object, as X API v2 sends them at the top level or in `errors[]`. */
interface Problem {
  type?: unknown;
  title?: unknown;
  detail?: unknown;
  message?: unknown;
  resource_type?: unknown;
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

/**
 * Reads one answer (status and body) of the following endpoint. A body that is not the documented
 * shape is `invalid_response`, never an empty list. IDs must be decimal strings (v2 sends every ID as a
 * string), so no ID passes through a JS number; numbers elsewhere in a body (a usage-capped problem's
 * `account_id`) are never read.
 */
export function parseFollowingAnswer(status: number, body: string): FollowingAnswer {
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
    const meta = o.meta as Record<string, unknown> | undefined;
    return { kind: 'page', accounts, nextToken: text(meta?.next_token) };
  }
  const errors = Array.isArray(o.errors) ? (o.errors as Problem[]) : [];
  const aboutUser = errors.find((e) => e?.resource_type === 'user');
  if (aboutUser) return { kind: 'error', ...userProblem(aboutUser) };
  const name = problemName(top);
  if (status === 403 || (name !== undefined && CLIENT_PROBLEMS.has(name))) {
    return { kind: 'error', error: 'unauthorized', message: `client refused (${status} ${describe(top)})` };
  }
  if (errors.length > 0 || status !== 200) {
    const first = errors[0] ?? top;
    return { kind: 'error', error: 'fatal', message: `HTTP ${status}: ${describe(first) || describe(top) || 'no detail'}` };
  }
  const meta = o.meta as Record<string, unknown> | undefined;
  if (meta?.result_count === 0) return { kind: 'page', accounts: [], nextToken: undefined };
  return { kind: 'error', error: 'invalid_response', message: 'answer has neither data, errors nor an empty meta (format changed?)' };
}
