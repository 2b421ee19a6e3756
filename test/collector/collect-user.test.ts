import { afterEach, describe, expect, it } from 'vitest';
import type { RequestBudget } from '../../src/collector/budget.ts';
import { collectUser, EMPTY_PAGES_BOUND, type CollectUserOptions } from '../../src/collector/collect-user.ts';
import { createBudget } from '../../src/collector/create-budget.ts';
import { RunStats } from '../../src/collector/stats.ts';
import { AbandonedError, SourceError } from '../../src/core/errors.ts';
import { FakeSource, page } from '../support/fake-source.ts';

const options: CollectUserOptions = { maxFriends: 100, maxRetries: 2, maxRateLimitWaits: 3, backoff: { baseMs: 1, maxMs: 5 } };
const budgets: RequestBudget[] = [];
async function deps(source: FakeSource) {
  const budget = await createBudget({ credentials: source.credentials, local: { windowMs: 60_000 } });
  budgets.push(budget);
  return { source, budget, stats: new RunStats() };
}
afterEach(async () => {
  await Promise.all(budgets.splice(0).map((b) => b.close()));
});
const user = { id: '42', screenName: 'u42' };
const never = new AbortController().signal;

describe('collectUser', () => {
  it('follows the cursor page by page to the end of the list', async () => {
    const d = await deps(new FakeSource({ '42@': [page(['a', 'b'], 'c1')], '42@c1': [page(['c', 'd'], 'c2')], '42@c2': [page(['e'])] }));
    const result = await collectUser(user, d, options, never);
    expect(result.status).toBe('ok');
    expect(result.accounts.map((a) => a.screenName)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(result.pages).toBe(3);
    expect(result.truncated).toBe(false);
    expect(d.stats.pages).toBe(3);
  });

  it('stops at MAX_FRIENDS and says the list was cut', async () => {
    const d = await deps(new FakeSource({ '42@': [page(['a', 'b'], 'c1')], '42@c1': [page(['c', 'd'], 'c2')] }));
    const result = await collectUser(user, d, { ...options, maxFriends: 3 }, never);
    expect(result.accounts.map((a) => a.screenName)).toEqual(['a', 'b', 'c']);
    expect(result.truncated).toBe(true);
    expect(d.source.requests).toHaveLength(2);
  });

  it('fails a user whose source repeats a cursor, instead of looping', async () => {
    const d = await deps(new FakeSource({ '42@': [page(['a'], 'c1')], '42@c1': [page(['b'], 'c1')] }));
    const result = await collectUser(user, d, options, never);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^FF_SOURCE_REFUSED: source repeated cursor c1/);
    expect(result.accounts).toEqual([]);
  });

  it('waits out a 429 until its stated reset on that lane, then reads the page', async () => {
    const resetAt = Date.now() + 300;
    const limited = new SourceError('rate_limited', 'too many requests', { resetAt, httpStatus: 429 });
    const d = await deps(new FakeSource({ '42@': [limited, page(['a'])] }));
    const result = await collectUser(user, d, options, never);
    expect(result.status).toBe('ok');
    expect(d.stats.rateLimited).toBe(1);
    expect(d.stats.rateLimitWaitMs).toBeGreaterThan(0);
    expect(d.stats.requests).toBe(2);
    // The retry waited for the lane's pause (the reset plus its margin), whatever the machine's speed.
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt);
  });

  it('counts the time a request waits for a spent window as rate-limit wait, and no wait when there is budget', async () => {
    const sent: number[] = [];
    class Timed extends FakeSource {
      override fetchPage(...args: Parameters<FakeSource['fetchPage']>) {
        sent.push(performance.now());
        return super.fetchPage(...args);
      }
    }
    const resetAt = Date.now() + 1500;
    const d = await deps(new Timed({ '42@': [page(['a'], 'c1', { limit: 1, remaining: 0, resetAt })], '42@c1': [page(['b'])] }));
    await collectUser(user, d, options, never);
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt);
    // The second page was asked for as the first was answered and sent once the window reset.
    const gap = sent[1]! - sent[0]!;
    expect(d.stats.rateLimitWaitMs).toBeLessThanOrEqual(gap);
    expect(d.stats.rateLimitWaitMs).toBeGreaterThan(gap / 2);

    const free = await deps(new FakeSource({ '42@': [page(['a'], 'c1')], '42@c1': [page(['b'])] }));
    await collectUser(user, free, options, never);
    expect(free.stats.rateLimitWaitMs).toBeLessThan(100);
  });

  it('fails a user still refused after MAX_RATE_LIMIT_WAITS 429s without a reset', async () => {
    const d = await deps(new FakeSource({ '42@': [new SourceError('rate_limited', 'too many requests', { httpStatus: 429 })] }));
    const result = await collectUser(user, d, options, never);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/still rate limited after 3 waits/);
    expect(d.stats.rateLimited).toBe(4);
  });

  it('retries transient failures and unreadable pages, up to MAX_RETRIES', async () => {
    const flaky = new FakeSource({ '42@': [new SourceError('transient', 'reset'), new SourceError('invalid_response', 'truncated'), page(['a'])] });
    const d = await deps(flaky);
    expect((await collectUser(user, d, options, never)).status).toBe('ok');
    expect(d.stats.retries).toBe(2);

    const broken = await deps(new FakeSource({ '42@': [new SourceError('transient', 'HTTP 503')] }));
    const result = await collectUser(user, broken, options, never);
    expect(result.status).toBe('failed');
    expect(result.error).toBe('FF_SOURCE_TRANSIENT: HTTP 503 (gave up after 2 retries)');
    expect(broken.source.requests).toHaveLength(3);
  });

  it('ends in the status the source states for protected, missing and suspended users', async () => {
    for (const kind of ['protected', 'not_found', 'suspended'] as const) {
      const d = await deps(new FakeSource({ '42@': [new SourceError(kind, `user is ${kind}`)] }));
      const result = await collectUser(user, d, options, never);
      expect(result.status).toBe(kind);
      expect(result.error).toBe(`user is ${kind}`);
      expect(d.source.requests).toHaveLength(1);
    }
  });

  it('throws when the source refuses the credentials (the run stops), and abandons a user on shutdown', async () => {
    const refused = await deps(new FakeSource({ '42@': [new SourceError('unauthorized', 'bad token')] }));
    await expect(collectUser(user, refused, options, never)).rejects.toMatchObject({ kind: 'unauthorized' });

    const stopping = new AbortController();
    stopping.abort(new AbandonedError());
    const d = await deps(new FakeSource({ '42@': [page(['a'])] }));
    await expect(collectUser(user, d, options, stopping.signal)).rejects.toBeInstanceOf(AbandonedError);
  });

  it('sends a page on the credential its lane was admitted on, and feeds its answer to that lane', async () => {
    const d = await deps(new FakeSource({ '1@': [page(['a'], undefined, { limit: 5, remaining: 0, resetAt: Date.now() + 60_000 })], '2@': [page(['b'])], '3@': [page(['c'])] }, 2));
    await collectUser({ id: '1' }, d, options, never);
    // Lane 0 said it has nothing left: the next users go to lane 1 without waiting.
    await collectUser({ id: '2' }, d, options, never);
    await collectUser({ id: '3' }, d, options, never);
    expect(d.source.requests.map((r) => r.credential)).toEqual([0, 1, 1]);
  });
});

describe('collectUser over pages that show no account but say more follow', () => {
  /** Pages given as lists of names, each but the last with a cursor. */
  function pages(lists: readonly (readonly string[])[]): FakeSource {
    const script: Record<string, ReturnType<typeof page>[]> = {};
    lists.forEach((names, k) => (script[`42@${k === 0 ? '' : `c${k}`}`] = [page([...names], k + 1 < lists.length ? `c${k + 1}` : undefined)]));
    return new FakeSource(script);
  }
  const loose = { ...options, maxFriends: 2000 };

  it('follows empty pages mid-list up to the bound, and reads the accounts after them', async () => {
    const empty = Array.from({ length: EMPTY_PAGES_BOUND }, () => [] as string[]);
    const result = await collectUser(user, await deps(pages([['a', 'b'], ...empty, ['c'], ...empty, []])), loose, never);
    expect(result.status).toBe('ok');
    expect(result.accounts.map((a) => a.screenName)).toEqual(['a', 'b', 'c']);
    expect(result.pages).toBe(2 * EMPTY_PAGES_BOUND + 3);
  });

  it('fails the user, never ok with the accounts so far, past the bound', async () => {
    const empty = Array.from({ length: EMPTY_PAGES_BOUND + 1 }, () => [] as string[]);
    const result = await collectUser(user, await deps(pages([['a', 'b'], ...empty, ['c']])), loose, never);
    expect(result).toMatchObject({ status: 'failed', accounts: [], pages: EMPTY_PAGES_BOUND + 2 });
    expect(result.error).toMatch(new RegExp(`^FF_SOURCE_REFUSED: source sent ${EMPTY_PAGES_BOUND + 1} pages in a row with a cursor but no account`));
  });
});
