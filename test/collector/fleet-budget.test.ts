import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { createBudget } from '../../src/collector/create-budget.ts';
import { FleetBudget, transitionHold } from '../../src/collector/fleet-budget.ts';
import { useRedis } from '../support/redis.ts';

function capturedLogger() {
  const messages: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _e, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) messages.push((JSON.parse(line) as { msg: string }).msg);
        done();
      },
    }),
  );
  return { log, count: (msg: string) => messages.filter((m) => m === msg).length };
}

/**
 * The most requests that started within any span of `windowMs` (a sliding window: stricter than the
 * source's fixed ones). The budget spaces admissions; a start is seen here only after its admission
 * reached the worker, late for one and prompt for the next on a busy machine, so a check allows one
 * spacing of slack: `windowMs` less the spacing.
 */
function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

/** Each budget sends `jobs` requests from 3 concurrent loops; returns every start time and the route it took. */
function load(budgets: readonly FleetBudget[], jobs: number) {
  const starts: { at: number; route: string }[] = [];
  const done = Promise.all(
    budgets.map((b) =>
      Promise.all(
        Array.from({ length: 3 }, async (_, k) => {
          for (let i = k; i < jobs; i += 3) await b.schedule(async () => void starts.push({ at: Date.now(), route: b.currentRoute }));
        }),
      ),
    ),
  );
  return { starts, done };
}

const SHARING = 'fleet rate limit: sharing the budget through Redis';
const LOST = 'fleet rate limit: Redis unreachable; using a local share of the budget';
const BACK = 'fleet rate limit: Redis is back; sharing the budget again';
const AWAY_AT_START = 'fleet rate limit: Redis unreachable at start; using a local share of the budget';

describe('FleetBudget (bottleneck cluster mode on a real redis-server)', async () => {
  const redis = await useRedis();

  it('holds a route change for the skew plus (workers + 1) fleet spacings, never more than a window plus the skew', () => {
    expect(transitionHold(20, 2000, 4, 1000)).toBe(1500);
    expect(transitionHold(60, 10_000, 4, 1000)).toBe(1834);
    expect(transitionHold(15, 900_000, 30, 1000)).toBe(901_000);
  });

  it('keeps 4 workers sharing 20 requests per 2 s within the budget in every 2 s span, through a Redis outage', async () => {
    const { log, count } = capturedLogger();
    const id = `test-${Date.now()}`;
    const budgets = Array.from({ length: 4 }, () => new FleetBudget({ redisUrl: redis.url, id, limit: 20, windowMs: 2000, workers: 4, log }));
    const { starts, done } = load(budgets, 12);
    // Redis dies a second in and comes back two seconds later.
    await sleep(1000);
    await redis.kill();
    await sleep(2000);
    await redis.start();
    await done;
    await Promise.all(budgets.map((b) => b.close()));

    expect(starts).toHaveLength(48);
    expect(
      maxInAnyWindow(
        starts.map((s) => s.at),
        2000 - 100,
      ),
    ).toBeLessThanOrEqual(20);
    const routes = starts.map((s) => s.route);
    expect(routes).toContain('local');
    expect(routes.at(-1)).toBe('shared');
    expect(count(SHARING)).toBe(4);
    expect(count(LOST)).toBe(4);
    expect(count(BACK)).toBe(4);
  });

  it('uses the local share when Redis is away at start, and shares once it answers', async () => {
    await redis.kill();
    const { log, count } = capturedLogger();
    const id = `test-start-${Date.now()}`;
    const budgets = Array.from({ length: 2 }, () => new FleetBudget({ redisUrl: redis.url, id, limit: 20, windowMs: 2000, workers: 2, log, connectTimeoutMs: 300 }));
    const { starts, done } = load(budgets, 15);
    await sleep(1200);
    expect(count(AWAY_AT_START)).toBe(2);
    // Each worker's local share is 10 per 2 s, spaced 200 ms apart.
    const local = starts.filter((s) => s.route === 'local').map((s) => s.at);
    expect(local.length).toBeGreaterThan(2);
    expect(maxInAnyWindow(local, 2000 - 200)).toBeLessThanOrEqual(20);
    await redis.start();
    await done;
    await Promise.all(budgets.map((b) => b.close()));
    expect(count(BACK)).toBe(2);
    expect(starts.at(-1)!.route).toBe('shared');
    expect(
      maxInAnyWindow(
        starts.map((s) => s.at),
        2000 - 100,
      ),
    ).toBeLessThanOrEqual(20);
  });

  it('gives each credential its own fleet-wide budget, lanes in turn, a follow-up on its own lane', async () => {
    const { log } = capturedLogger();
    const id = `test-lanes-${Date.now()}`;
    // Two workers with the same two tokens: token k's limiter is shared by both workers, not by the tokens.
    const workers = await Promise.all([1, 2].map(() => createBudget({ credentials: 2, local: { windowMs: 1000 }, fleet: { redisUrl: redis.url, id, limit: 10, workers: 2, log } })));
    const starts: { lane: number; at: number }[] = [];
    await Promise.all(workers.map((w) => Promise.all(Array.from({ length: 20 }, () => w.schedule(async (lane) => void starts.push({ lane, at: Date.now() }))))));
    const followUp = await workers[0]!.schedule(async (lane) => lane, 1);
    await Promise.all(workers.map((w) => w.close()));

    expect(followUp).toBe(1);
    const lane = (k: number) => starts.filter((s) => s.lane === k).map((s) => s.at);
    expect(lane(0)).toHaveLength(20);
    expect(lane(1)).toHaveLength(20);
    // Each token stays within its 10 per second across both workers; together they move twice that.
    expect(maxInAnyWindow(lane(0), 1000 - 100)).toBeLessThanOrEqual(10);
    expect(maxInAnyWindow(lane(1), 1000 - 100)).toBeLessThanOrEqual(10);
    expect(
      maxInAnyWindow(
        starts.map((s) => s.at),
        1000,
      ),
    ).toBeGreaterThan(10);
  });

  it('hands requests to the credentials not held by a 429, as local lanes do', async () => {
    const { log } = capturedLogger();
    const budget = await createBudget({ credentials: 2, local: { windowMs: 1000 }, fleet: { redisUrl: redis.url, id: `test-held-${Date.now()}`, limit: 50, workers: 1, log } });
    try {
      budget.pauseUntil(Date.now() + 60_000, 0);
      const lanes = await Promise.all(Array.from({ length: 4 }, () => budget.schedule(async (lane) => lane)));
      expect(lanes).toEqual([1, 1, 1, 1]);
    } finally {
      await budget.close();
    }
  });
});
