import type { FollowedAccount } from '../sources/source.ts';

/** Joins a page's names (and IDs): no screen name, handle or DID contains it. */
const SEP = '\u0001';

/** One page's accounts with IDs: names and IDs joined into one string each. */
interface PackedPage {
  readonly names: string;
  readonly ids: string;
}

/**
 * One user's followed accounts while they are collected, packed as one string per page and made
 * objects again only when the user is finished: 2,500 users in flight hold long lists for tens of
 * seconds, and as objects they were most of the live heap (docs/decisions.md, 2026-11-23).
 */
export class FollowList {
  /** A page of names only (the HTML pages) is its joined string alone, without a wrapper object. */
  private readonly pages: (string | PackedPage | readonly FollowedAccount[])[] = [];
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Appends up to `limit` of the page's accounts (all by default). */
  add(accounts: readonly FollowedAccount[], limit = accounts.length): void {
    const taken = limit < accounts.length ? accounts.slice(0, limit) : accounts;
    if (taken.length === 0) return;
    this.count += taken.length;
    const names = taken.map((a) => a.screenName);
    const withIds = taken.filter((a) => a.id !== undefined).length;
    const ids = withIds === taken.length ? taken.map((a) => a.id!) : undefined;
    // A page where only some accounts have IDs, or a name or ID holds the separator, is kept as it came.
    if ((withIds > 0 && ids === undefined) || names.some((n) => n.includes(SEP)) || ids?.some((id) => id.includes(SEP))) {
      this.pages.push(taken);
      return;
    }
    // join() copies into one new string. The names a parser returns are often slices of the page's
    // HTML (V8 shares the parent of a slice of 13 or more characters), which would otherwise keep
    // every ~8 KB page of the user alive until the user is finished.
    this.pages.push(ids === undefined ? names.join(SEP) : { names: names.join(SEP), ids: ids.join(SEP) });
  }

  /** The accounts in the order they were added. */
  toArray(): FollowedAccount[] {
    const out: FollowedAccount[] = [];
    for (const page of this.pages) {
      if (typeof page === 'string') {
        for (const screenName of page.split(SEP)) out.push({ screenName });
        continue;
      }
      if (Array.isArray(page)) {
        out.push(...(page as readonly FollowedAccount[]));
        continue;
      }
      const { names, ids } = page as PackedPage;
      const nameList = names.split(SEP);
      const idList = ids.split(SEP);
      for (let i = 0; i < nameList.length; i++) out.push({ id: idList[i]!, screenName: nameList[i]! });
    }
    return out;
  }
}
