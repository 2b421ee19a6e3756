import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalBudget } from '../../src/collector/budget.ts';
import { BudgetClosedError } from '../../src/core/errors.ts';

const budgets: LocalBudget[] = [];
function budget(...args: ConstructorParameters<typeof LocalBudget>): LocalBudget {
  const b = new LocalBudget(...args);
  budgets.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(budgets.splice(0).map((b) => b.close()));
});

/** Starts `n` requests at once and records when each one was admitted. */
async function admitTimes(b: LocalBudget, n: number): Promise<number[]> {
  const t0 = Date.now();
  const times: number[] = [];
  await Promise.all(Array.from({ length: n }, () => b.schedule(async () => void times.push(Date.now() - t0))));
  return times.sort((a, b) => a - b);
}

describe('LocalBudget', () => {
  it('admits everything at once when unlimited', async () => {
    const times = await admitTimes(budget({ windowMs: 1000 }), 500);
    expect(times.at(-1)!).toBeLessThan(200);
  });

  it('admits at most `limit` requests per window', async () => {
    const times = await admitTimes(budget({ limit: 5, windowMs: 400 }), 12);
    expect(times.filter((t) => t < 350).length).toBe(5);
    expect(times.filter((t) => t >= 350 && t < 750).length).toBe(5);
    expect(times.filter((t) => t >= 750).length).toBe(2);
  });

  it('pauses every waiting request until a stated reset, not only the one that saw the 429', async () => {
    const b = budget({ windowMs: 60_000, resetMarginMs: 0 });
    const t0 = Date.now();
    b.pauseUntil(t0 + 300);
    const times = await admitTimes(b, 10);
    expect(times[0]!).toBeGreaterThanOrEqual(280);
  });

  it('adopts the limit and window the source states, and trusts its remaining count', async () => {
    const b = budget({ windowMs: 60_000, resetMarginMs: 0 });
    const now = Date.now();
    // The source says: limit 10, 2 left, window ends in 300 ms.
    b.observe({ limit: 10, remaining: 2, resetAt: now + 300 }, now);
    const times = await admitTimes(b, 8);
    expect(times.filter((t) => t < 250).length).toBe(2);
    expect(times.filter((t) => t >= 250).length).toBe(6);
  });

  it('counts requests still in flight against what the source says is left', async () => {
    const b = budget({ limit: 10, windowMs: 60_000, resetMarginMs: 0 });
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const inflight = Array.from({ length: 3 }, () => b.schedule(() => blocked));
    await sleep(10);
    const now = Date.now();
    b.observe({ limit: 10, remaining: 4, resetAt: now + 300 }, now);
    // 4 remaining at the source, 3 of ours still in flight: one more may start now.
    const times = await admitTimes(b, 3);
    expect(times.filter((t) => t < 250).length).toBe(1);
    release();
    await Promise.all(inflight);
  });

  /**
   * A budget of 10 in a window the source stated; one request still in flight and one answered, then
   * the source's answer to the second says `remaining`. Returns how many requests may start at once.
   */
  async function startableAfterAnswer(remaining: number): Promise<number> {
    const b = budget({ limit: 10, windowMs: 60_000, resetMarginMs: 0 });
    const now = Date.now();
    b.observe({ limit: 10, remaining: 10, resetAt: now + 300 }, now);
    let releaseFirst!: () => void;
    const first = b.schedule(() => new Promise<void>((r) => (releaseFirst = r)));
    await b.schedule(async () => undefined);
    b.observe({ limit: 10, remaining, resetAt: now + 300 }, now);
    const times = await admitTimes(b, 9);
    releaseFirst();
    await first;
    return times.filter((t) => t < 250).length;
  }

  it('trusts its own count of a window when answers come back out of order', async () => {
    // The source counted both requests, 8 are left. The first one is still in flight, but the source
    // counted it before the second: it is not taken off again.
    expect(await startableAfterAnswer(8)).toBe(8);
  });

  it('lowers its count when the source counted more than it sent (someone else spends too)', async () => {
    // We sent 2; the source counted 5. Of the 5 left, the one still in flight may not be counted yet.
    expect(await startableAfterAnswer(5)).toBe(4);
  });

  it('ignores a late answer from a window already refilled', async () => {
    const b = budget({ limit: 4, windowMs: 60_000, resetMarginMs: 0 });
    const now = Date.now();
    b.observe({ limit: 4, remaining: 4, resetAt: now + 5000 }, now);
    b.observe({ limit: 4, remaining: 0, resetAt: now - 2000 }, now);
    const times = await admitTimes(b, 4);
    expect(times.at(-1)!).toBeLessThan(100);
  });

  it('rejects waiting requests when closed', async () => {
    const b = budget({ limit: 1, windowMs: 60_000 });
    await b.schedule(async () => undefined);
    const waiting = b.schedule(async () => 'never');
    await b.close();
    await expect(waiting).rejects.toBeInstanceOf(BudgetClosedError);
  });
});
