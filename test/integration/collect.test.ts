import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runCollect } from '../../src/cli/worker.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { StagedUserTable } from '../../src/users/staged-table.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { checkAgainstTruth, fetchTruth } from '../support/truth.ts';
import { runCli } from '../support/cli.ts';
import { latestRows, withWarehouse } from '../support/warehouse.ts';

const dir = tempDir();
const quiet = pino({ level: 'silent' });

async function bucketIds(usersFile: string, k: number, n: number): Promise<string[]> {
  const table = await StagedUserTable.fromFile(usersFile, 'numeric');
  try {
    const b = (await table.ntile(n))[k - 1]!;
    const ids: string[] = [];
    for await (const batch of table.batches({ kind: 'numeric', min: b.min_id, max: b.max_id }, { batchSize: 500 })) ids.push(...batch.map((u) => u.id));
    return ids;
  } finally {
    await table.close();
  }
}

describe('collect from the sim over loopback', async () => {
  const sim = await useSim({ users: 10_000, seed: 11, latencyMs: 2 });
  const usersFile = join(dir, 'users.csv');
  await writeUsersFile(sim.graph, usersFile);

  it('stores every user of the oldest bucket exactly as /_sim/truth says: lists, cap at 2,000, truncation, statuses', async () => {
    const sink = join(dir, 'oldest.duckdb');
    const outcome = await runCollect(
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, partition: '1/30', sink: `duckdb:${sink}`, maxThreads: '50', progress: 'off' },
      { env: {}, isTTY: false, handleSignals: false, log: quiet },
    );
    expect(outcome.state).toBe('finished');
    const ids = await bucketIds(usersFile, 1, 30);
    expect(ids.length).toBe(334);
    expect(outcome.stats.usersSaved).toBe(334);
    const rows = await latestRows(sink);
    expect(rows.length).toBe(334);
    const check = await checkAgainstTruth(sim.url, ids, rows);
    expect(check).toEqual({ lost: [], wrong: [], duplicated: [] });
    // The oldest bucket must exercise the cap and every status.
    const statuses = new Set(rows.map((r) => r.status));
    expect([...statuses].sort()).toEqual(expect.arrayContaining(['ok', 'protected']));
    expect(rows.filter((r) => r.truncated).length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.truncated).every((r) => r.friend_count === 2000)).toBe(true);
    expect(rows.every((r) => r.status === 'ok' || (r.friend_count === null && r.error !== null))).toBe(true);
    // The last heartbeat and the run's final record carry the same totals as the stats.
    await withWarehouse(sink, async (db) => {
      const [beat] = await db.query(`SELECT users_done, users_saved, pages FROM heartbeats WHERE run_id = $1 ORDER BY beat_at DESC LIMIT 1`, [outcome.runId!]);
      const [run] = await db.query(`SELECT users_done, users_saved, pages, users_ok FROM runs_latest WHERE run_id = $1`, [outcome.runId!]);
      expect(beat).toEqual({ users_done: 334n, users_saved: 334n, pages: BigInt(outcome.stats.pages) });
      expect(run).toEqual({ users_done: 334n, users_saved: 334n, pages: BigInt(outcome.stats.pages), users_ok: BigInt(rows.filter((r) => r.status === 'ok').length) });
    });
  });

  it('gets every row right through 10% injected faults (5xx, resets, truncated bodies)', async () => {
    const faulty = await useSim({ users: 10_000, seed: 11, latencyMs: 1, faultRate: 0.1 });
    const sink = join(dir, 'faults.duckdb');
    const outcome = await runCollect(
      { users: usersFile, source: 'twitter-html', sourceUrl: faulty.url, partition: '30/30', sink: `duckdb:${sink}`, maxThreads: '50', progress: 'off', maxRetries: '10' },
      { env: {}, isTTY: false, handleSignals: false, log: quiet },
    );
    const ids = await bucketIds(usersFile, 30, 30);
    const rows = await latestRows(sink);
    expect(await checkAgainstTruth(faulty.url, ids, rows)).toEqual({ lost: [], wrong: [], duplicated: [] });
    expect(outcome.stats.retries).toBeGreaterThan(0);
    const faults = faulty.stats().faults;
    expect(Object.keys(faults).sort()).toEqual(['error', 'reset', 'truncate']);
  });

  it('stops at MAX_FRIENDS and marks the row truncated only when more existed', async () => {
    const sink = join(dir, 'cap.duckdb');
    await runCollect(
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, partition: '15/30', sink: `duckdb:${sink}`, maxFriends: '40', progress: 'off' },
      { env: {}, isTTY: false, handleSignals: false, log: quiet },
    );
    const ids = await bucketIds(usersFile, 15, 30);
    const rows = await latestRows(sink);
    expect(await checkAgainstTruth(sim.url, ids, rows, 40)).toEqual({ lost: [], wrong: [], duplicated: [] });
    // 40 is two full pages: a user with exactly 40 friends is complete, not truncated.
    expect(rows.some((r) => r.truncated)).toBe(true);
    expect(rows.filter((r) => r.status === 'ok').every((r) => r.pages <= 2)).toBe(true);
  });

  it('resumes: a rerun collects only the users that were missing', async () => {
    const sink = join(dir, 'resume.duckdb');
    const common = { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, partition: '20/30', sink: `duckdb:${sink}`, progress: 'off' };
    const first = await runCollect({ ...common, usersLimit: '120' }, { env: {}, isTTY: false, handleSignals: false, log: quiet });
    expect(first.stats.usersSaved).toBe(120);
    // A limit on a rerun counts users not yet collected: the worker reads past the 120 done ones.
    const more = await runCollect({ ...common, usersLimit: '50' }, { env: {}, isTTY: false, handleSignals: false, log: quiet });
    expect(more.stats.usersSaved).toBe(50);
    const second = await runCollect(common, { env: {}, isTTY: false, handleSignals: false, log: quiet });
    const ids = await bucketIds(usersFile, 20, 30);
    expect(second.stats.usersDone).toBe(ids.length - 170);
    const third = await runCollect(common, { env: {}, isTTY: false, handleSignals: false, log: quiet });
    expect(third.state).toBe('nothing_to_do');
    await withWarehouse(sink, async (db) => {
      const [r] = await db.query(`SELECT count(*) AS rows, count(DISTINCT user_id) AS users FROM user_friends`);
      expect(r).toEqual({ rows: BigInt(ids.length), users: BigInt(ids.length) });
      const runs = await db.query(`SELECT state, users_done FROM runs_latest ORDER BY started_at`);
      expect(runs).toEqual([
        { state: 'finished', users_done: 120n },
        { state: 'finished', users_done: 50n },
        { state: 'finished', users_done: BigInt(ids.length - 170) },
      ]);
    });
  });
});

describe('collect under a source rate limit', async () => {
  const sim = await useSim({ users: 10_000, seed: 11, rateLimit: 40, rateWindowMs: 1000 });
  const usersFile = join(dir, 'users-rl.csv');
  await writeUsersFile(sim.graph, usersFile);

  it('with RATE_LIMIT set, never gets a 429 and loses nobody', async () => {
    const sink = join(dir, 'rl.duckdb');
    const outcome = await runCollect(
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, partition: '30/30', usersLimit: '25', sink: `duckdb:${sink}`, rateLimit: '40', rateWindow: '1s', progress: 'off' },
      { env: {}, isTTY: false, handleSignals: false, log: quiet },
    );
    expect(outcome.stats.byStatus.failed).toBe(0);
    expect(outcome.stats.usersSaved).toBe(25);
    expect(sim.stats().rateLimited).toBe(0);
    expect(outcome.stats.rateLimited).toBe(0);
  });

  it('without RATE_LIMIT, learns the budget from the headers after the first window', async () => {
    const before = sim.stats().rateLimited;
    const sink = join(dir, 'rl-learn.duckdb');
    const outcome = await runCollect(
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, partition: '29/30', usersLimit: '25', sink: `duckdb:${sink}`, progress: 'off' },
      { env: {}, isTTY: false, handleSignals: false, log: quiet },
    );
    expect(outcome.stats.byStatus.failed).toBe(0);
    expect(outcome.stats.usersSaved).toBe(25);
    // Only the opening burst (50 threads against 40 a window) can run into 429s.
    expect(sim.stats().rateLimited - before).toBeLessThanOrEqual(50);
    expect(outcome.stats.pages).toBeGreaterThan(100);
  });
});

describe('friendfleet export', async () => {
  const sim = await useSim({ users: 2_000, seed: 21 });
  const usersFile = join(dir, 'users-export.csv');
  await writeUsersFile(sim.graph, usersFile);
  const sink = join(dir, 'export.duckdb');
  await runCollect(
    { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, partition: '1/20', sink: `duckdb:${sink}`, progress: 'off' },
    { env: {}, isTTY: false, handleSignals: false, log: quiet },
  );

  it.each(['csv', 'ndjson', 'parquet'] as const)('writes the edge list of the latest ok rows as %s', async (format) => {
    const out = join(dir, `edges.${format}`);
    const r = await runCli(['export', '--sink', `duckdb:${sink}`, '--format', format, '--out', out]);
    expect(r.code).toBe(0);
    await withWarehouse(sink, async (db) => {
      const [expected] = await db.query(`SELECT sum(friend_count) AS n FROM user_friends_latest WHERE status = 'ok'`);
      const reader = format === 'csv' ? `read_csv('${out}', all_varchar = true)` : format === 'ndjson' ? `read_json('${out}')` : `read_parquet('${out}')`;
      const [written] = await db.query(`SELECT count(*) AS n, count(DISTINCT user_id) AS users FROM ${reader}`);
      expect(written!.n).toBe(BigInt(expected!.n as bigint));
      expect(r.stdout).toContain(`wrote ${String(expected!.n)} edges`);
      // Spot-check one user's edges against the truth, in list order.
      const [first] = await db.query(`SELECT user_id FROM user_friends_latest WHERE status = 'ok' AND friend_count > 0 LIMIT 1`);
      const edges = await db.query(`SELECT friend_screen_name FROM ${reader} WHERE CAST(user_id AS VARCHAR) = $1`, [String(first!.user_id)]);
      const truth = await fetchTruth(sim.url, String(first!.user_id));
      expect(edges.map((e) => e.friend_screen_name)).toEqual(truth.following.slice(0, 2000).map((a) => a.screen_name));
    });
  });
});
