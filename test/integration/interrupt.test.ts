import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { CLI, runCli } from '../support/cli.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { withWarehouse } from '../support/warehouse.ts';

const dir = tempDir();

/**
 * Starts `friendfleet collect`, waits until a line of its log satisfies `ready` (then `thenMs` more),
 * and signals it. Waiting on the log, not the clock, keeps the test right on a loaded machine.
 */
async function collectAndInterrupt(env: Record<string, string>, signal: NodeJS.Signals, ready: (line: { msg: string; progress?: { done: number } }) => boolean, thenMs: number) {
  const child = spawn(process.execPath, [CLI, 'collect'], {
    env: { PATH: process.env.PATH ?? '', PROGRESS: 'log', PROGRESS_INTERVAL: '1s', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let isReady: () => void;
  const readySeen = new Promise<void>((resolve) => (isReady = resolve));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.split('\n').some((l) => l.startsWith('{') && ready(JSON.parse(l) as { msg: string }))) isReady();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
  await Promise.race([readySeen, exited]);
  await sleep(thenMs);
  const killedAt = Date.now();
  child.kill(signal);
  const result = await exited;
  return { ...result, stderr, stopMs: Date.now() - killedAt };
}

/** States of the warehouse's runs as the monitor sees them, newest first. */
async function workerStates(sink: string): Promise<string[]> {
  return withWarehouse(sink, async (db) => (await db.query(`SELECT state FROM worker_status ORDER BY started_at DESC`)).map((r) => String(r.state)));
}

/** Some users are done (their rows are committed within a second). */
const someDone = (l: { msg: string; progress?: { done: number } }) => l.msg === 'progress' && (l.progress?.done ?? 0) > 0;

describe('an interrupted run resumes where it stopped', async () => {
  const sim = await useSim({ users: 4_000, seed: 5, latencyMs: 30 });
  const usersFile = join(dir, 'users.csv');
  await writeUsersFile(sim.graph, usersFile);

  it.each([['SIGTERM'], ['SIGKILL']] as const)('after %s, the rerun collects only the missing users', async (signal) => {
    const sink = join(dir, `${signal}.duckdb`);
    const env = { USERS: usersFile, SOURCE: 'twitter-html', SOURCE_URL: sim.url, PARTITION: '10/10', SINK: `duckdb:${sink}`, MAX_THREADS: '20', SHUTDOWN_TIMEOUT: '5s', HEARTBEAT_INTERVAL: '1s' };
    const first = await collectAndInterrupt(env, signal, someDone, 1500);
    if (signal === 'SIGTERM') {
      expect(first.code).toBe(0);
      expect(first.stopMs).toBeLessThan(6000);
      expect(first.stderr).toContain('stopping: no new users');
    } else {
      expect(first.signal).toBe('SIGKILL');
      // The killed run could not record its end: the monitor calls it stalled once three heartbeats (at
      // least 10 s) are missing, and its bucket with it.
      const killedAt = Date.now();
      while ((await workerStates(sink))[0] !== 'stalled') {
        expect(Date.now() - killedAt, 'stalled within a minute of the kill').toBeLessThan(60_000);
        await sleep(500);
      }
      const monitor = await runCli(['monitor', '--sink', `duckdb:${sink}`]);
      expect(monitor.stdout).toMatch(/\np10 .* stalled: no heartbeat\n/);
      expect(monitor.stdout).toContain('Workers: 0 running, 1 stalled');
    }
    const saved = await withWarehouse(sink, (db) => db.query(`SELECT user_id FROM user_friends`));
    const firstIds = new Set(saved.map((r) => String(r.user_id)));
    expect(firstIds.size).toBeGreaterThan(0);
    expect(firstIds.size).toBeLessThan(400);

    const second = await runCli(['collect'], { ...env, MAX_THREADS: '100' });
    expect(second.code).toBe(0);
    await withWarehouse(sink, async (db) => {
      const [counts] = await db.query(`SELECT count(*) AS rows, count(DISTINCT user_id) AS users FROM user_friends`);
      expect(counts).toEqual({ rows: 400n, users: 400n });
      const secondRun = await db.query(`SELECT user_id FROM user_friends WHERE run_id = (SELECT run_id FROM runs_latest ORDER BY started_at DESC LIMIT 1)`);
      expect(secondRun.length).toBe(400 - firstIds.size);
      expect(secondRun.some((r) => firstIds.has(String(r.user_id)))).toBe(false);
      const states = await db.query(`SELECT state FROM runs_latest ORDER BY started_at`);
      expect(states.map((r) => r.state)).toEqual([signal === 'SIGTERM' ? 'interrupted' : 'running', 'finished']);
    });
    // Once the rerun took the bucket, the killed run is history.
    expect(await workerStates(sink)).toEqual(['finished', signal === 'SIGTERM' ? 'interrupted' : 'lost']);
  });
});

describe('SIGTERM while requests wait for a spent rate-limit window', async () => {
  const sim = await useSim({ users: 2_000, seed: 6, latencyMs: 5 });
  const usersFile = join(dir, 'users-budget.csv');
  await writeUsersFile(sim.graph, usersFile);

  it('abandons the waiting users after SHUTDOWN_TIMEOUT instead of waiting for the window to refill', async () => {
    const sink = join(dir, 'budget.duckdb');
    // 30 requests an hour: after the first 30 every request waits for a refill an hour away.
    const env = {
      USERS: usersFile,
      SOURCE: 'twitter-html',
      SOURCE_URL: sim.url,
      PARTITION: '1/10',
      SINK: `duckdb:${sink}`,
      MAX_THREADS: '20',
      RATE_LIMIT: '30',
      RATE_WINDOW: '1h',
      SHUTDOWN_TIMEOUT: '1s',
    };
    const first = await collectAndInterrupt(env, 'SIGTERM', (l) => l.msg === 'run started', 1000);
    expect(first.code).toBe(0);
    // Well within Heroku's 30 s, and nowhere near the hour the window would take to refill.
    expect(first.stopMs).toBeLessThan(25_000);
    expect(first.stderr).toContain('shutdown timeout: abandoning in-flight users');
    const [run] = await withWarehouse(sink, (db) => db.query(`SELECT state, users_done, users_saved FROM runs_latest`));
    expect(run!.state).toBe('interrupted');
    expect(run!.users_saved).toBe(run!.users_done);

    const { RATE_LIMIT: _limit, RATE_WINDOW: _window, ...unlimited } = env;
    expect((await runCli(['collect'], unlimited)).code).toBe(0);
    await withWarehouse(sink, async (db) => {
      const [counts] = await db.query(`SELECT count(*) AS rows, count(DISTINCT user_id) AS users FROM user_friends`);
      expect(counts).toEqual({ rows: 200n, users: 200n });
    });
  });
});
