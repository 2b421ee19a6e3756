import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createHostBudget } from '../../src/collector/create-budget.ts';
import { useRedis } from '../support/redis.ts';

describe('createHostBudget: a budget lane per host', async () => {
  const redis = await useRedis();

  it('opens a lane per host on first use, each with its own limit; a host that states none starts unlimited', async () => {
    const budget = await createHostBudget({ credentials: 1, local: { assumedLimit: 3, windowMs: 60_000 } }, ['https://plc.example']);
    const run = (host: string, n: number) => Promise.all(Array.from({ length: n }, () => budget.schedule(async () => host, host)));
    expect(await run('https://a.example', 3)).toHaveLength(3);
    expect(await run('https://b.example', 3)).toHaveLength(3);
    // Host a's 4th request waits for its window; host b and the directory are not held by it.
    const fourth = budget.schedule(async () => 'a', 'https://a.example');
    expect(budget.waiting('https://a.example')).toBe(1);
    expect(budget.waiting('https://b.example')).toBe(0);
    expect(await run('https://plc.example', 50)).toHaveLength(50);
    await budget.close();
    await expect(fourth).rejects.toThrow(/closed/);
  });

  it('with Redis, each host is a limiter of its own shared by the workers (ID:host)', { timeout: 60_000 }, async () => {
    const log = pino({ level: 'silent' });
    const id = `test-hosts-${Date.now()}`;
    const spec = { credentials: 1, local: { windowMs: 2000 }, fleet: { redisUrl: redis.url, id, limit: 4, workers: 2, log } };
    const workers = await Promise.all([createHostBudget(spec), createHostBudget(spec)]);
    const starts: Record<string, number[]> = { 'https://a.example': [], 'https://b.example': [] };
    const t0 = Date.now();
    await Promise.all(workers.flatMap((w) => Object.keys(starts).map((host) => Promise.all(Array.from({ length: 4 }, () => w.schedule(async () => void starts[host]!.push(Date.now() - t0), host))))));
    await Promise.all(workers.map((w) => w.close()));
    // Each host's 8 requests (4 from each worker) keep within its fleet-wide 4 per 2 s (spaced 0.5 s
    // apart by the limiter; a start may run late, so a 2 s span may hold one more), and host a's do not
    // wait behind host b's: the two hosts' requests go on at once.
    const a = starts['https://a.example']!.sort((x, y) => x - y);
    const b = starts['https://b.example']!.sort((x, y) => x - y);
    for (const times of [a, b]) {
      expect(times).toHaveLength(8);
      for (let i = 5; i < times.length; i++) expect(times[i]! - times[i - 5]!).toBeGreaterThanOrEqual(2000);
    }
    expect(b[0]!).toBeLessThan(a.at(-1)!);
    expect(a[0]!).toBeLessThan(b.at(-1)!);
    const client = new Redis(redis.url);
    const keys = await client.keys(`*${id}*`);
    client.disconnect();
    expect(keys.some((k) => k.includes(`${id}:a.example`))).toBe(true);
    expect(keys.some((k) => k.includes(`${id}:b.example`))).toBe(true);
  });
});
