import type { UserResult } from './result.ts';

/**
 * When an `ok` list is shorter than the users table says the user follows (`friends_count`, stored as
 * `expected_count`): the list did not stop at MAX_FRIENDS (`truncated` is false) and misses more than
 * max(`SHORT_LIST_MIN_MISSING` accounts, `SHORT_LIST_TOLERANCE` of the expected count). The tolerance
 * absorbs the two counts being read at different times, and accounts a service counts but no longer
 * lists (suspended, deleted, deactivated). The warehouses' `short_lists` views state the same rule in SQL.
 */
export const SHORT_LIST_MIN_MISSING = 5;
export const SHORT_LIST_TOLERANCE = 0.1;

/** The share of short lists among `ok` users with an expected count past which the end of a run says so. */
export const SHORT_LIST_ALERT_SHARE = 0.01;

export function isShortList(result: Pick<UserResult, 'status' | 'truncated' | 'accounts' | 'user'>): boolean {
  const expected = result.user.friendsCount;
  if (result.status !== 'ok' || expected === undefined || result.truncated) return false;
  return expected - result.accounts.length > Math.max(SHORT_LIST_MIN_MISSING, SHORT_LIST_TOLERANCE * expected);
}

/**
 * What the end of a run says when more than `SHORT_LIST_ALERT_SHARE` of its `ok` users with an expected
 * count have short lists; undefined otherwise (no extra request is made for it: the counts are the
 * users table's).
 */
export function shortListsWarning(s: { okWithExpected: number; shortLists: number }): { shortLists: number; okWithExpected: number; share: number; threshold: number; see: string } | undefined {
  if (s.okWithExpected === 0) return undefined;
  const share = s.shortLists / s.okWithExpected;
  if (share <= SHORT_LIST_ALERT_SHARE) return undefined;
  return { shortLists: s.shortLists, okWithExpected: s.okWithExpected, share: Number(share.toFixed(4)), threshold: SHORT_LIST_ALERT_SHARE, see: 'the short_lists view, or friendfleet monitor' };
}
