import type { SourceErrorKind } from '../../core/errors.ts';

/** The collection of follow records (lexicon app.bsky.graph.follow): `{subject: did, createdAt}`. */
export const FOLLOW_COLLECTION = 'app.bsky.graph.follow';

/**
 * What one PDS answer says. `repo_not_here` is listRecords' one answer ("Could not find repo: ...") for
 * a repository that is deactivated, taken down, deleted or held elsewhere: getRepoStatus tells them apart.
 */
export type PdsAnswer =
  | { kind: 'follows'; dids: string[]; cursor: string | undefined }
  | { kind: 'status'; active: boolean; status: string | undefined }
  | { kind: 'repo_not_here'; message: string }
  | { kind: 'error'; error: SourceErrorKind; message: string };

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An XRPC error of a PDS (`{"error": name, "message": text}`, atproto's xrpc-server) as what it says of
 * the user. The names come from the lexicons (com.atproto.sync.getRepo: RepoNotFound, RepoTakendown,
 * RepoSuspended, RepoDeactivated); listRecords has only `InvalidRequest`, whose message is read.
 */
export function pdsError(status: number, body: string): PdsAnswer {
  const o = jsonObject(body);
  const name = text(o?.error);
  const message = text(o?.message) ?? '';
  const said = `${name ?? `HTTP ${status}`}${message ? `: ${message}` : ''}`;
  if (status >= 500) return { kind: 'error', error: 'transient', message: `PDS error ${status} (${said})` };
  if (status === 429 || name === 'RateLimitExceeded') return { kind: 'error', error: 'rate_limited', message: `rate limited by the PDS (${said})` };
  if (name === 'RepoNotFound') return { kind: 'error', error: 'not_found', message: `repository not found on its PDS (${said})` };
  if (name === 'RepoTakendown' || name === 'RepoSuspended') return { kind: 'error', error: 'suspended', message: `repository taken down (${said})` };
  if (name === 'RepoDeactivated') return { kind: 'error', error: 'protected', message: `repository deactivated by its owner (${said})` };
  if (name === 'InvalidRequest' && /^Could not find repo/i.test(message)) return { kind: 'repo_not_here', message: said };
  if (!o || name === undefined) return { kind: 'error', error: 'invalid_response', message: `HTTP ${status} from the PDS with a body that is not an XRPC error` };
  // A PDS that wants authentication refuses this user's repository, not every host: the user fails.
  return { kind: 'error', error: 'fatal', message: `the PDS refused the request (${said})` };
}

/**
 * Reads a `com.atproto.repo.listRecords` page of follow records. Every record must be a follow with a
 * DID subject: a record of another shape fails the page (the format changed, or the host is not a
 * PDS), never reads as fewer follows.
 */
export function parseListRecords(status: number, body: string): PdsAnswer {
  if (status !== 200) return pdsError(status, body);
  const o = jsonObject(body);
  if (!o || !Array.isArray(o.records)) return { kind: 'error', error: 'invalid_response', message: 'listRecords answer without a records array (format changed?)' };
  const dids: string[] = [];
  for (const r of o.records as unknown[]) {
    const subject = followSubject((r as { value?: unknown } | null)?.value);
    if (subject === undefined) return { kind: 'error', error: 'invalid_response', message: `not a follow record: ${JSON.stringify(r).slice(0, 200)}` };
    dids.push(subject);
  }
  return { kind: 'follows', dids, cursor: text(o.cursor) };
}

/** The followed DID of a follow record's value, or undefined when the value is not a follow record. */
export function followSubject(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { $type?: unknown; subject?: unknown };
  if (v.$type !== undefined && v.$type !== FOLLOW_COLLECTION) return undefined;
  return typeof v.subject === 'string' && v.subject.startsWith('did:') ? v.subject : undefined;
}

/** Reads a `com.atproto.sync.getRepoStatus` answer (`{did, active, status?}`). */
export function parseRepoStatus(status: number, body: string): PdsAnswer {
  if (status !== 200) return pdsError(status, body);
  const o = jsonObject(body);
  if (!o || typeof o.active !== 'boolean') return { kind: 'error', error: 'invalid_response', message: 'getRepoStatus answer without active (format changed?)' };
  return { kind: 'status', active: o.active, status: text(o.status) };
}
