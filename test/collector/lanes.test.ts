import { afterEach, describe, expect, it } from 'vitest';
import { LocalBudget, type BudgetOptions, type RequestBudget } from '../../src/collector/budget.ts';
import { Lanes } from '../../src/collector/lanes.ts';
import { BudgetClosedError, UsageError } from '../../src/core/errors.ts';

const budgets: { close(): Promise<void> }[] = [];
function track<T extends { close(): Promise<void> }>(b: T): T {
  budgets.push(b);
  return b;
}

/** A lane of `options` per credential, as the worker's budget has without Redis. */
function credentialLanes(credentials: number, options: BudgetOptions): Lanes<number> {
  const keys = Array.from({ length: credentials }, (_, k) => k);
  return track(new Lanes({ keys, open: (_, onAvailable) => new LocalBudget({ ...options, onAvailable }) }));
}
afterEach(async () => {
  await Promise.all(budgets.splice(0).map((b) => b.close()));
});

/** Starts `n` requests at once; returns each one's lane and admission time, in admission order. */
async function admit(b: RequestBudget | LocalBudget, n: number): Promise<{ lane: number; at: number }[]> {
  const t0 = Date.now();
  const out: { lane: number; at: number }[] = [];
  const record = async (lane = 0) => void out.push({ lane, at: Date.now() - t0 });
  await Promise.all(Array.from({ length: n }, () => (b instanceof LocalBudget ? b.schedule(record) : b.schedule(record))));
  return out;
}

describe('Lanes of local budgets, one a credential', () => {
  it('hands requests out round-robin over the credentials', async () => {
    const b = credentialLanes(3, { windowMs: 60_000 });
    const lanes = (await admit(b, 7)).map((r) => r.lane);
    expect(lanes).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('gives each credential its own window: three tokens of 2 move 6 requests a window', async () => {
    const b = credentialLanes(3, { limit: 2, windowMs: 400, resetMarginMs: 0 });
    const admitted = await admit(b, 9);
    const first = admitted.filter((r) => r.at < 300);
    expect(first.length).toBe(6);
    expect(first.map((r) => r.lane).sort()).toEqual([0, 0, 1, 1, 2, 2]);
    expect(admitted.filter((r) => r.at >= 300).length).toBe(3);
  });

  it('skips a spent or paused credential instead of waiting for it', async () => {
    const b = credentialLanes(2, { limit: 10, windowMs: 60_000, resetMarginMs: 0 });
    const now = Date.now();
    b.pauseUntil(now + 60_000, 0); // token 0 got a 429
    b.observe({ limit: 10, remaining: 3, resetAt: now + 60_000 }, 1, now);
    const admitted = await Promise.race([admit(b, 3), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('waited')), 1000))]);
    expect(admitted.map((r) => r.lane)).toEqual([1, 1, 1]);
    expect(b.waiting()).toBe(0);
  });

  it('feeds an answer to the credential that got it only', async () => {
    const b = credentialLanes(2, { limit: 5, windowMs: 60_000, resetMarginMs: 0 });
    const now = Date.now();
    b.observe({ limit: 5, remaining: 0, resetAt: now + 60_000 }, 1, now);
    const lanes = (await admit(b, 5)).map((r) => r.lane);
    expect(lanes).toEqual([0, 0, 0, 0, 0]);
  });

  it('hands waiting requests to whichever credential refills first, in arrival order', async () => {
    const b = credentialLanes(2, { limit: 1, windowMs: 60_000, resetMarginMs: 0 });
    const now = Date.now();
    b.pauseUntil(now + 5_000, 0);
    b.pauseUntil(now + 200, 1);
    const order: number[] = [];
    const runs = [1, 2].map((k) => b.schedule(async (lane) => void order.push(k * 10 + lane)));
    const first = await Promise.race([runs[0]!.then(() => 'first'), new Promise((r) => setTimeout(() => r('timeout'), 2000))]);
    expect(first).toBe('first');
    expect(order).toEqual([11]);
    expect(b.waiting()).toBe(1);
    await b.close();
    await expect(runs[1]).rejects.toBeInstanceOf(BudgetClosedError);
  });

  it('runs a follow-up request on the lane it names', async () => {
    const b = credentialLanes(3, { windowMs: 60_000 });
    const lanes = await Promise.all([2, 2, 0].map((lane) => b.schedule(async (l) => l, lane)));
    expect(lanes).toEqual([2, 2, 0]);
  });

  it('refuses a lane it was not given, unless it opens lanes on demand (one a host)', async () => {
    const b = credentialLanes(2, { windowMs: 60_000 });
    await expect(b.schedule(async (l) => l, 5)).rejects.toBeInstanceOf(UsageError);
    const opened: string[] = [];
    const hosts = track(
      new Lanes<string>({
        keys: [],
        openOnDemand: true,
        open: (host, onAvailable) => {
          opened.push(host);
          return new LocalBudget({ limit: 1, windowMs: 60_000, resetMarginMs: 0, onAvailable });
        },
      }),
    );
    expect(await hosts.schedule(async (h) => h, 'pds-a.example')).toBe('pds-a.example');
    expect(await hosts.schedule(async (h) => h, 'pds-b.example')).toBe('pds-b.example');
    // Host a spent its one request of the window; host b's next answer opens nothing new.
    const waiting = hosts.schedule(async (h) => h, 'pds-a.example');
    expect(hosts.waiting()).toBe(1);
    expect(opened).toEqual(['pds-a.example', 'pds-b.example']);
    await hosts.close();
    await expect(waiting).rejects.toBeInstanceOf(BudgetClosedError);
  });
});

describe("LocalBudget with the source's documented budget", () => {
  it('spends only the assumed limit before any answer, then adopts the limit the source states', async () => {
    const b = track(new LocalBudget({ assumedLimit: 3, windowMs: 400, resetMarginMs: 0 }));
    const first = await admit(b, 5);
    expect(first.filter((r) => r.at < 300).length).toBe(3);
    const now = Date.now();
    b.observe({ limit: 50, remaining: 50, resetAt: now + 60_000 }, now);
    const second = await admit(b, 20);
    expect(second.every((r) => r.at < 100)).toBe(true);
  });

  it('moves on to the next window when an opening burst straddles a boundary (resets a second apart)', async () => {
    const b = track(new LocalBudget({ limit: 15, windowMs: 1000, resetMarginMs: 0 }));
    const now = Date.now();
    b.observe({ limit: 15, remaining: 5, resetAt: now + 300 }, now); // window k: 5 left
    b.observe({ limit: 15, remaining: 3, resetAt: now + 1300 }, now); // window k+1: 3 left
    b.observe({ limit: 15, remaining: 0, resetAt: now + 300 }, now); // a late answer from window k
    const admitted = await admit(b, 5);
    expect(admitted.filter((r) => r.at < 250).length).toBe(3);
    // Refilling at window k's reset would send 15 more into window k+1, which has 3 left.
    expect(admitted.filter((r) => r.at >= 250).every((r) => r.at >= 1200)).toBe(true);
  });

  it('refills to RATE_LIMIT when set, whatever limit the source states', async () => {
    const b = track(new LocalBudget({ limit: 3, assumedLimit: 15, windowMs: 60_000, resetMarginMs: 0 }));
    const now = Date.now();
    b.observe({ limit: 50, remaining: 0, resetAt: now + 200 }, now);
    let admitted = 0;
    const runs = Array.from({ length: 5 }, () => b.schedule(async () => void admitted++).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 600));
    expect(admitted).toBe(3);
    expect(b.waiting()).toBe(2);
    await b.close();
    await Promise.all(runs);
  });
});
