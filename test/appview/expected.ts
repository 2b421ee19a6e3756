import type { SeededAccount, SeededNetwork } from './seed-plan.ts';

/** A user's row as the checks compare it: what friendfleet stores, with NULL lists read as empty. */
export interface ExpectedRow {
  status: string;
  ids: string[];
  names: string[];
  count: number | null;
  truncated: boolean;
  /** Whether the row carries an error text (every status but `ok` says why). */
  error: boolean;
}

/**
 * The status the AppView gives each fate (getFollows says "Actor not found" for all of them; getProfile
 * tells them apart: `AccountDeactivated`, `AccountTakedown`, "Profile not found").
 */
const APPVIEW_STATUS = {
  active: 'ok',
  deactivated: 'protected',
  takendown: 'suspended',
  'takendown-pds': 'suspended',
  deleted: 'not_found',
  unknown: 'not_found',
} as const;

/** Rows of a user that is not `ok`: no list, a reason. */
function notOk(status: string): ExpectedRow {
  return { status, ids: [], names: [], count: null, truncated: false, error: true };
}

/** The first `max` of `list`, and whether more existed. */
function capped(list: string[], max: number): { kept: string[]; truncated: boolean } {
  return { kept: list.slice(0, max), truncated: list.length > max };
}

/**
 * What a correct collector stores for `user` through the AppView: its follow records newest first (the
 * AppView orders by the record's date), without the accounts the AppView hides (any fate but `active`:
 * deactivated, taken down by the AppView or by the PDS, deleted, unknown), the first `maxFriends` of them.
 */
export function appviewExpectation(network: SeededNetwork, user: SeededAccount, maxFriends: number): ExpectedRow {
  const status = APPVIEW_STATUS[user.fate];
  if (status !== 'ok') return notOk(status);
  const shown = new Map([...network.pool, ...network.users].filter((a) => a.fate === 'active').map((a) => [a.did, a.handle]));
  const { kept, truncated } = capped(user.follows.filter((did) => shown.has(did)).reverse(), maxFriends);
  return { status, ids: kept, names: kept.map((did) => shown.get(did)!), count: kept.length, truncated, error: false };
}

/**
 * The status a repository's PDS gives each fate. The AppView's own takedown does not reach the PDS,
 * which serves that repository as before.
 */
const PDS_STATUS = {
  active: 'ok',
  takendown: 'ok',
  deactivated: 'protected',
  'takendown-pds': 'suspended',
  deleted: 'not_found',
  unknown: 'not_found',
} as const;

/**
 * What a correct collector stores for `user` from its repository: every follow record, whoever it
 * follows, newest first (by record key, which the PDS assigns in time order), the first `maxFriends`;
 * follow records name DIDs only, so the names are the DIDs too.
 */
export function repoExpectation(user: SeededAccount, maxFriends: number): ExpectedRow {
  const status = PDS_STATUS[user.fate];
  if (status !== 'ok') return notOk(status);
  const { kept, truncated } = capped([...user.follows].reverse(), maxFriends);
  return { status, ids: kept, names: kept, count: kept.length, truncated, error: false };
}
