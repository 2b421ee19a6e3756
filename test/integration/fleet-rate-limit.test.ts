import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runFleet } from '../../src/cli/fleet.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { useRedis } from '../support/redis.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { checkAgainstTruth } from '../support/truth.ts';
import { latestRows } from '../support/warehouse.ts';

const dir = tempDir();
const SHARING = 'fleet rate limit: sharing the budget through Redis';
const UNREACHABLE = 'fleet rate limit: Redis unreachable; using a local share of the budget';

describe('one rate limit for the whole fleet (RATE_LIMIT_REDIS_URL)', async () => {
  const redis = await useRedis();
  // The source allows 60 requests per 10 s from this machine, whichever worker sends them.
  const sim = await useSim({ users: 300, seed: 9, latencyMs: 5, rateLimit: 60, rateWindowMs: 10_000 });
  const usersFile = join(dir, 'users.csv');
  await writeUsersFile(sim.graph, usersFile);

  it('keeps 4 workers within 60 requests per 10 s, through Redis going away and coming back', async () => {
    const lines: { partition: number; msg: string; at: number }[] = [];
    const db = join(dir, 'shared.duckdb');
    const saw = (partition: number, msg: string) => lines.some((l) => l.partition === partition && l.msg === msg);
    const endedAt = (partition: number) => lines.find((l) => l.partition === partition && l.msg === 'run ended')?.at ?? Infinity;
    let killedAt = 0;
    let backAt = 0;
    const outage = (async () => {
      // Every worker has 20 to 30 pages to fetch (2 users, at most 300 friends each) at 6 requests a
      // second for the fleet. Redis dies once all four share it, and comes back once every worker
      // still collecting has moved to its local share, however the machine's load spreads their starts.
      while (lines.filter((l) => l.msg === SHARING).length < 4) await sleep(50);
      killedAt = Date.now();
      await redis.kill();
      while (![1, 2, 3, 4].every((p) => saw(p, UNREACHABLE) || endedAt(p) < Infinity)) await sleep(50);
      backAt = Date.now();
      await redis.start();
    })();
    const outcome = await runFleet(
      {
        users: usersFile,
        source: 'twitter-html',
        sourceUrl: sim.url,
        sink: `duckdb:${db}`,
        usersLimit: '2',
        maxFriends: '300',
        maxThreads: '10',
        rateLimit: '60',
        rateWindow: '10s',
        rateLimitRedisUrl: redis.url,
        logLevel: 'info',
      },
      { PATH: process.env.PATH },
      {
        partitions: 4,
        restarts: 0,
        onWorkerLine: (partition, line) => {
          if (line.startsWith('{')) lines.push({ partition, msg: (JSON.parse(line) as { msg: string }).msg, at: Date.now() });
        },
      },
      pino({ level: 'silent' }),
    );
    await outage;
    expect(outcome.ok).toBe(true);
    // Not one request over the source's budget in any of its windows.
    expect(sim.stats().rateLimited).toBe(0);
    const perPartition = (msg: string) => [...new Set(lines.filter((l) => l.msg === msg).map((l) => l.partition))].sort();
    expect(perPartition(SHARING)).toEqual([1, 2, 3, 4]);
    // Every worker still collecting when Redis died took its local share; every one still collecting
    // well after Redis was back (it retries every second) shared again; most went through both.
    const alive = [1, 2, 3, 4].filter((p) => endedAt(p) > killedAt);
    expect(perPartition(UNREACHABLE)).toEqual(alive);
    const afterBack = alive.filter((p) => endedAt(p) > backAt + 5000);
    expect(afterBack.every((p) => saw(p, 'fleet rate limit: Redis is back; sharing the budget again'))).toBe(true);
    expect(perPartition('fleet rate limit: Redis is back; sharing the budget again').length).toBeGreaterThan(0);
    const rows = await latestRows(db);
    expect(rows).toHaveLength(8);
    expect(
      await checkAgainstTruth(
        sim.url,
        rows.map((r) => r.user_id),
        rows,
        300,
      ),
    ).toEqual({ lost: [], wrong: [], duplicated: [] });
  });
});
