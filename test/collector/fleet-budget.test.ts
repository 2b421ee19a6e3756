import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { FleetBudget } from '../../src/collector/fleet-budget.ts';
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
  return { log, messages };
}

/** The most requests that started in any window [t, t + windowMs) aligned to the epoch, as a source counts. */
function maxPerWindow(times: readonly number[], windowMs: number): number {
  const counts = new Map<number, number>();
  for (const t of times) counts.set(Math.floor(t / windowMs), (counts.get(Math.floor(t / windowMs)) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

describe('FleetBudget (bottleneck cluster mode on a real redis-server)', async () => {
  const redis = await useRedis();

  it('keeps 4 workers sharing 20 requests per 2 s within the budget, through a Redis outage', async () => {
    const { log, messages } = capturedLogger();
    const id = `test-${Date.now()}`;
    const budgets = Array.from({ length: 4 }, () => new FleetBudget({ redisUrl: redis.url, id, limit: 20, windowMs: 2000, workers: 4, log }));
    await sleep(300);
    const starts: number[] = [];
    const run = async (b: FleetBudget, jobs: number) => {
      for (let i = 0; i < jobs; i++) await b.schedule(async () => void starts.push(Date.now()));
    };
    const t0 = Date.now();
    const work = Promise.all(budgets.map((b) => Promise.all(Array.from({ length: 3 }, () => run(b, 5)))));
    // Redis dies a second in and comes back three seconds later.
    await sleep(1000);
    await redis.kill();
    await sleep(3000);
    await redis.start();
    await work;
    const elapsed = Date.now() - t0;
    await Promise.all(budgets.map((b) => b.close()));

    expect(starts).toHaveLength(60);
    expect(maxPerWindow(starts, 2000)).toBeLessThanOrEqual(20);
    // 60 requests at 20 per 2 s cannot take less than about 5 s; a lost budget would take far longer.
    expect(elapsed).toBeGreaterThan(4500);
    expect(elapsed).toBeLessThan(30_000);
    expect(messages.filter((m) => m === 'fleet rate limit: Redis unreachable; using a local share of the budget')).toHaveLength(4);
    expect(messages.filter((m) => m === 'fleet rate limit: sharing the budget through Redis')).toHaveLength(4);
    expect(messages.filter((m) => m === 'fleet rate limit: Redis is back; sharing the budget again')).toHaveLength(4);
  });
});
