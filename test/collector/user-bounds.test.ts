import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from '../../src/core/backoff.ts';
import type { RequestBudget } from '../../src/collector/budget.ts';
import { collectUser, MAX_CURSOR_CHARS, maxPagesPerUser } from '../../src/collector/collect-user.ts';
import { RunStats } from '../../src/collector/stats.ts';
import type { FollowPage, Source } from '../../src/sources/source.ts';

const unlimited: RequestBudget = { schedule: (fn) => fn(0), observe: () => undefined, pauseUntil: () => undefined, waiting: () => 0, close: async () => undefined };

/** A source answering every request with `page(n)`, n counting from 1. */
function source(page: (n: number) => FollowPage): Source & { calls: number } {
  const s = {
    name: 'bluesky' as const,
    pageSize: 100,
    credentials: 1,
    calls: 0,
    fetchPage: async () => page(++s.calls),
    close: async () => undefined,
  };
  return s;
}

const collect = (src: Source, maxFriends = 2000) =>
  collectUser(
    { id: 'did:plc:hostile' },
    { source: src, budget: unlimited, stats: new RunStats() },
    { maxFriends, maxRetries: 2, maxRateLimitWaits: 5, backoff: DEFAULT_BACKOFF },
    new AbortController().signal,
  );

describe('the bounds on one user', () => {
  it('an endless list of fresh cursors fails the user at the pages bound, with the reason', async () => {
    // Ends after 1,000 pages, as good as endless to the bound (and finite should the bound fail); one
    // account a page, since pages with none meet the empty-pages bound first (collect-user.test.ts).
    const endless = source((n) => ({ accounts: [{ screenName: `u${n}` }], nextCursor: n < 1000 ? `c${n}` : undefined }));
    const result = await collect(endless);
    const bound = maxPagesPerUser(2000, 100);
    expect(bound).toBe(90);
    expect(endless.calls).toBe(bound);
    expect(result).toMatchObject({ status: 'failed', pages: bound, accounts: [] });
    expect(result.error).toBe(`FF_SOURCE_REFUSED: source still had more after ${bound} pages and ${bound} accounts (at most ${bound} pages a user at MAX_FRIENDS 2000)`);
  });

  it('a cursor longer than MAX_CURSOR_CHARS fails the user without another request', async () => {
    const long = source(() => ({ accounts: [{ id: 'did:plc:a', screenName: 'a.test' }], nextCursor: 'c'.repeat(MAX_CURSOR_CHARS + 1) }));
    const result = await collect(long);
    expect(long.calls).toBe(1);
    expect(result).toMatchObject({ status: 'failed', pages: 1 });
    expect(result.error).toBe(`FF_SOURCE_REFUSED: source gave a cursor of ${MAX_CURSOR_CHARS + 1} characters after 1 pages (at most ${MAX_CURSOR_CHARS} taken)`);
  });

  it('a list that ends within the bounds is read whole, sparse pages and the longest cursor included', async () => {
    const sparse = source((n) => ({ accounts: n % 3 === 0 ? [{ screenName: `u${n}` }] : [], nextCursor: n < 60 ? `${n}`.padEnd(MAX_CURSOR_CHARS, '.') : undefined }));
    const result = await collect(sparse);
    expect(result).toMatchObject({ status: 'ok', pages: 60 });
    expect(result.accounts).toHaveLength(20);
  });
});
