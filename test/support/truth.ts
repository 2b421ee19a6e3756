import { request } from 'undici';
import type { Truth, TruthAccount } from '../../src/sim/truth.ts';
import { SOURCE_PAGE_SIZES } from '../../src/sources/registry.ts';
import type { SourceName } from '../../src/sources/source.ts';

/** The user's truth; Bluesky's lists are the AppView's, without deactivated accounts. */
export async function fetchTruth(simUrl: string, userId: string, source?: SourceName): Promise<Truth> {
  const res = await request(`${simUrl}/_sim/truth/${encodeURIComponent(userId)}${source === 'bluesky' ? '?view=appview' : ''}`);
  if (res.statusCode !== 200) throw new Error(`no truth for ${userId}: ${res.statusCode}`);
  return (await res.body.json()) as Truth;
}

export interface StoredRow {
  user_id: string;
  status: string;
  friend_count: number | null;
  friend_names: string[] | null;
  friend_ids: string[] | null;
  truncated: boolean;
  pages: number;
  error: string | null;
}

/** How each source names an account: its name always, its ID where the source gives one. */
const NAMING: Record<SourceName, { name: (a: TruthAccount) => string; id: ((a: TruthAccount) => string) | undefined }> = {
  'twitter-html': { name: (a) => a.screen_name, id: undefined },
  'twitter-api': { name: (a) => a.screen_name, id: (a) => a.id },
  bluesky: { name: (a) => a.handle, id: (a) => a.did },
  // Follow records name DIDs only: both columns hold them.
  'bluesky-repo': { name: (a) => a.did, id: (a) => a.did },
};

/**
 * What a correct collector records for a user whose pages the sim breaks for good, as far as it reads:
 * `failure` (the user is `failed` with that reason) or, when it reads the list as usual, whether the
 * row says `truncated`. A changed markup shows on the first page. A looping cursor shows only when the
 * collector asks for a third page: a user with one page, or capped (MAX_FRIENDS) by the end of the
 * second page, is collected as usual, and then the loop's next cursor says the list goes on. Endless
 * empty pages show from the second page on, once the collector's bound on empty pages is passed.
 */
export function expectedReading(truth: Truth, maxFriends: number, pageSize: number): { failure: RegExp } | { truncated: boolean } {
  const listed = truth.following.length;
  if (truth.broken === 'markup') return { failure: /FF_SOURCE_INVALID_RESPONSE/ };
  if (truth.broken === 'cursor-loop' && listed > pageSize && maxFriends > pageSize) {
    return Math.min(listed, 2 * pageSize) < maxFriends ? { failure: /repeated cursor/ } : { truncated: true };
  }
  if (truth.broken === 'endless-empty' && listed > pageSize) return maxFriends > pageSize ? { failure: /pages in a row with a cursor but no account/ } : { truncated: true };
  return { truncated: listed > maxFriends };
}

/**
 * Compares stored latest rows with the sim's ground truth and counts users lost (no row), wrong
 * (status, names, IDs, count or truncation differ; a user the sim breaks for good must be `failed`
 * with the reason) and duplicated (more than one latest row).
 */
export async function checkAgainstTruth(
  simUrl: string,
  userIds: readonly string[],
  rows: readonly StoredRow[],
  maxFriends = 2000,
  source: SourceName = 'twitter-html',
): Promise<{ lost: string[]; wrong: string[]; duplicated: string[] }> {
  const naming = NAMING[source];
  const byUser = new Map<string, StoredRow[]>();
  for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r]);
  const lost: string[] = [];
  const wrong: string[] = [];
  const duplicated: string[] = [];
  const check = async (id: string) => {
    const mine = byUser.get(id) ?? [];
    if (mine.length === 0) {
      lost.push(id);
      return;
    }
    if (mine.length > 1) duplicated.push(id);
    const row = mine[0]!;
    const truth = await fetchTruth(simUrl, id, source);
    const reading = expectedReading(truth, maxFriends, SOURCE_PAGE_SIZES[source]);
    const kept = truth.following.slice(0, maxFriends);
    const expected = kept.map(naming.name);
    // Rows store NULL friend_ids for sources without IDs, and for an empty list.
    const expectedIds = naming.id && kept.length > 0 ? kept.map(naming.id) : null;
    const ok =
      'failure' in reading
        ? row.status === 'failed' && row.friend_count === null && row.friend_names === null && reading.failure.test(row.error ?? '')
        : row.status === truth.status &&
          (truth.status !== 'ok' ||
            (row.friend_count === expected.length &&
              JSON.stringify(row.friend_names) === JSON.stringify(expected) &&
              JSON.stringify(row.friend_ids) === JSON.stringify(expectedIds) &&
              row.truncated === reading.truncated)) &&
          (truth.status === 'ok' || (row.friend_count === null && row.friend_names === null && row.friend_ids === null));
    if (!ok) wrong.push(id);
  };
  // A few truth requests at a time: thousands of users are checked in a second over loopback.
  const queue = [...userIds];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await check(id);
    }),
  );
  return { lost: lost.sort(), wrong: wrong.sort(), duplicated: duplicated.sort() };
}
