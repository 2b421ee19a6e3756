import { describe, expect, it } from 'vitest';
import { createBudget } from '../../src/collector/credential-budgets.ts';
import { collectUser, EMPTY_PAGES_BOUND } from '../../src/collector/collect-user.ts';
import { RunStats } from '../../src/collector/stats.ts';
import type { FollowPage, Source } from '../../src/sources/source.ts';

/** A source whose pages are given as lists of names, each page but the last with a cursor. */
function pagedSource(pages: readonly (readonly string[])[]): Source {
  return {
    name: 'twitter-api',
    pageSize: 5,
    credentials: 1,
    async fetchPage(_user, cursor): Promise<FollowPage> {
      const k = cursor === undefined ? 0 : Number(cursor);
      return { accounts: pages[k]!.map((screenName) => ({ screenName })), nextCursor: k + 1 < pages.length ? String(k + 1) : undefined };
    },
    close: async () => {},
  };
}

async function collect(pages: readonly (readonly string[])[]) {
  const budget = createBudget(1, { windowMs: 1000 });
  try {
    return await collectUser(
      { id: '1' },
      { source: pagedSource(pages), budget, stats: new RunStats() },
      { maxFriends: 2000, maxRetries: 0, maxRateLimitWaits: 0, backoff: { baseMs: 1, maxMs: 1 } },
      new AbortController().signal,
    );
  } finally {
    await budget.close();
  }
}

describe('collectUser over pages that show no account but say more follow', () => {
  it('follows empty pages mid-list up to the bound, and reads the accounts after them', async () => {
    const empty = Array.from({ length: EMPTY_PAGES_BOUND }, () => [] as string[]);
    const result = await collect([['a', 'b'], ...empty, ['c'], ...empty, []]);
    expect(result.status).toBe('ok');
    expect(result.accounts.map((a) => a.screenName)).toEqual(['a', 'b', 'c']);
    expect(result.pages).toBe(2 * EMPTY_PAGES_BOUND + 3);
  });

  it('fails the user, never ok with the accounts so far, past the bound', async () => {
    const result = await collect([['a', 'b'], ...Array.from({ length: EMPTY_PAGES_BOUND + 1 }, () => [] as string[]), ['c']]);
    expect(result).toMatchObject({ status: 'failed', accounts: [], pages: EMPTY_PAGES_BOUND + 2 });
    expect(result.error).toContain(`${EMPTY_PAGES_BOUND + 1} pages in a row with a cursor but no account`);
  });
});
