import { request } from 'undici';
import type { Truth, TruthAccount } from '../../src/sim/truth.ts';
import type { SourceName } from '../../src/sources/source.ts';

export async function fetchTruth(simUrl: string, userId: string): Promise<Truth> {
  const res = await request(`${simUrl}/_sim/truth/${userId}`);
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
};

/**
 * Compares stored latest rows with the sim's ground truth and counts users lost (no row), wrong
 * (status, names, IDs, count or truncation differ) and duplicated (more than one latest row).
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
  for (const id of userIds) {
    const mine = byUser.get(id) ?? [];
    if (mine.length === 0) {
      lost.push(id);
      continue;
    }
    if (mine.length > 1) duplicated.push(id);
    const row = mine[0]!;
    const truth = await fetchTruth(simUrl, id);
    const kept = truth.following.slice(0, maxFriends);
    const expected = kept.map(naming.name);
    // Rows store NULL friend_ids for sources without IDs, and for an empty list.
    const expectedIds = naming.id && kept.length > 0 ? kept.map(naming.id) : null;
    const ok =
      row.status === truth.status &&
      (truth.status !== 'ok' ||
        (row.friend_count === expected.length &&
          JSON.stringify(row.friend_names) === JSON.stringify(expected) &&
          JSON.stringify(row.friend_ids) === JSON.stringify(expectedIds) &&
          row.truncated === truth.following.length > maxFriends)) &&
      (truth.status === 'ok' || (row.friend_count === null && row.friend_names === null && row.friend_ids === null));
    if (!ok) wrong.push(id);
  }
  return { lost, wrong, duplicated };
}
