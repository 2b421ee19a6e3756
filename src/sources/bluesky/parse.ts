import type { SourceErrorKind } from '../../core/errors.ts';
import type { FollowedAccount } from '../source.ts';

/**
 * What one XRPC answer says. `actor_not_found` is getFollows' one answer for an actor that is unknown,
 * taken down or deactivated alike (the AppView's "Actor not found: ..."): the profile tells them apart.
 */
export type XrpcAnswer =
  | { kind: 'follows'; accounts: FollowedAccount[]; cursor: string | undefined }
  | { kind: 'profile' }
  | { kind: 'actor_not_found'; message: string }
  | { kind: 'error'; error: SourceErrorKind; message: string };

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function object(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An XRPC error (`{"error": name, "message": text}`, atproto's xrpc-server) as a source error. The
 * names are stable; only `InvalidRequest` covers both "not found" and bad parameters, so its message
 * is read for "not found".
 */
function xrpcError(status: number, o: Record<string, unknown> | undefined): XrpcAnswer {
  const name = text(o?.error);
  const message = text(o?.message) ?? '';
  const said = `${name ?? `HTTP ${status}`}${message ? `: ${message}` : ''}`;
  if (status >= 500) return { kind: 'error', error: 'transient', message: `server error ${status} (${said})` };
  if (status === 429 || name === 'RateLimitExceeded') return { kind: 'error', error: 'rate_limited', message: `rate limited (${said})` };
  if (name === 'AccountTakedown') return { kind: 'error', error: 'suspended', message: `account taken down (${said})` };
  if (name === 'AccountDeactivated') return { kind: 'error', error: 'protected', message: `account deactivated by its owner (${said})` };
  if (name === 'InvalidRequest' && /^Actor not found/i.test(message)) return { kind: 'actor_not_found', message: said };
  if (name === 'InvalidRequest' && /not found/i.test(message)) return { kind: 'error', error: 'not_found', message: `account does not exist (${said})` };
  if (status === 401 || status === 403) return { kind: 'error', error: 'unauthorized', message: `the AppView refuses unauthenticated requests (${said})` };
  if (!o) return { kind: 'error', error: 'invalid_response', message: `HTTP ${status} with a body that is not an XRPC error` };
  return { kind: 'error', error: 'fatal', message: said };
}

/** Reads an `app.bsky.graph.getFollows` answer. A page that is not the lexicon's shape is never an empty list. */
export function parseGetFollows(status: number, body: string): XrpcAnswer {
  const o = object(body);
  if (status !== 200) return xrpcError(status, o);
  if (!o || !Array.isArray(o.follows)) return { kind: 'error', error: 'invalid_response', message: 'getFollows answer without a follows array (format changed?)' };
  const accounts: FollowedAccount[] = [];
  for (const p of o.follows as Record<string, unknown>[]) {
    const did = text(p?.did);
    const handle = text(p?.handle);
    if (did === undefined || !did.startsWith('did:') || handle === undefined) {
      return { kind: 'error', error: 'invalid_response', message: `unexpected profile view ${JSON.stringify(p).slice(0, 200)}` };
    }
    accounts.push({ id: did, screenName: handle });
  }
  return { kind: 'follows', accounts, cursor: text(o.cursor) };
}

/** Reads an `app.bsky.actor.getProfile` answer, asked to learn why getFollows found no actor. */
export function parseGetProfile(status: number, body: string): XrpcAnswer {
  const o = object(body);
  if (status !== 200) {
    const answer = xrpcError(status, o);
    // getProfile's own "not found" is final ("Profile not found"), whatever its wording.
    return answer.kind === 'actor_not_found' ? { kind: 'error', error: 'not_found', message: `account does not exist (${answer.message})` } : answer;
  }
  return o && text(o.did) ? { kind: 'profile' } : { kind: 'error', error: 'invalid_response', message: 'getProfile answer without a did' };
}
