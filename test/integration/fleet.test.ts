import { Writable } from 'node:stream';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runFleet } from '../../src/cli/fleet.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { openForReading } from '../../src/sinks/registry.ts';
import { runCli } from '../support/cli.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { checkAgainstTruth } from '../support/truth.ts';
import { latestRows, withWarehouse } from '../support/warehouse.ts';
import type { BucketProgress } from '../../src/monitor/run-summary.ts';

const dir = tempDir();

/** A pino logger whose lines the test can watch. */
function watchedLogger() {
  const lines: Record<string, unknown>[] = [];
  const listeners: ((line: Record<string, unknown>) => void)[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const l of listeners) l(line);
      }
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines, onLine: (l: (line: Record<string, unknown>) => void) => listeners.push(l) };
}

describe('friendfleet fleet', async () => {
  const sim = await useSim({ users: 2_000, seed: 8, latencyMs: 5 });
  const usersFile = join(dir, 'users.csv');
  await writeUsersFile(sim.graph, usersFile, { withCounts: true });
  const ids = Array.from({ length: sim.graph.size }, (_, i) => sim.graph.idOf(i).toString());

  it('4 workers collect every user exactly once, one of them killed (SIGKILL) and restarted', async () => {
    const db = join(dir, 'fleet.duckdb');
    // Store a work-balanced plan first: the workers must take their buckets from it.
    const planned = await runCli(['partition', '--source', 'twitter-html', '--users', usersFile, '--partitions', '4', '--sink', `duckdb:${db}`, '--format', 'json']);
    expect(planned.code).toBe(0);
    const buckets = JSON.parse(planned.stdout) as { partition_id: number; user_count: number; min_id: string; max_id: string }[];
    expect(buckets.map((b) => typeof b.min_id)).toEqual(['string', 'string', 'string', 'string']);
    expect(buckets.reduce((a, b) => a + b.user_count, 0)).toBe(2000);

    const { log, lines, onLine } = watchedLogger();
    let firstPid: number | undefined;
    onLine((line) => {
      if (line.msg === 'fleet worker started' && line.partition === 2 && line.start === 1) firstPid = line.workerPid as number;
    });
    let killed: number | undefined;
    let readWhileRunning: unknown;
    // Worker 2 is killed once it recorded its run and the warehouse holds some of its rows, however
    // long staging and its first users take on a busy machine: its successor must resume, not restart.
    const killMidRun = async () => {
      const reader = await openForReading({ kind: 'duckdb', path: db });
      try {
        for (;;) {
          // The warehouse is readable while the fleet runs (through its host).
          const [row] = await reader.query('SELECT count(*) AS n FROM user_friends WHERE partition_id = 2');
          readWhileRunning = row!.n;
          if (Number(row!.n) > 0) break;
          await sleep(50);
        }
      } finally {
        await reader.close();
      }
      killed = firstPid;
      process.kill(killed!, 'SIGKILL');
    };
    let killing: Promise<void> | undefined;
    const progress: BucketProgress[] = [];
    const onWorkerLine = (partition: number, text: string) => {
      if (partition !== 2 || killing || !text.includes('"msg":"run started"')) return;
      killing = killMidRun();
    };
    const outcome = await runFleet(
      // Lists capped at 200 (10 pages): the test is about buckets, kills and resumes, not long lists.
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${db}`, maxThreads: '25', maxFriends: '200', logLevel: 'info', progressInterval: '1s' },
      { PATH: process.env.PATH },
      { partitions: 4, restarts: 3, onWorkerLine, onProgress: (buckets) => progress.push(...buckets) },
      log,
    );
    await killing;
    expect(killed).toBeDefined();
    expect(typeof readWhileRunning).toBe('bigint');
    expect(outcome.ok).toBe(true);
    expect(outcome.partitions.map((p) => p.starts)).toEqual([1, 2, 1, 1]);
    // The per-bucket lines a terminal shows came from the heartbeats: buckets of the plan, never past their users.
    expect(progress.length).toBeGreaterThan(0);
    for (const b of progress) expect(b.partition >= 1 && b.partition <= 4 && !(b.done > b.planned)).toBe(true);
    expect(lines.some((l) => l.msg === 'fleet worker crashed; starting it again (it resumes its bucket)' && l.partition === 2)).toBe(true);

    const rows = await latestRows(db);
    // The summary line's totals: every user once, the killed worker's stored rows included.
    const byStatus = Object.values(outcome.totals.byStatus).reduce((a, b) => a + b, 0);
    expect(byStatus).toBe(ids.length);
    expect(outcome.totals.byStatus.ok).toBe(rows.filter((r) => r.status === 'ok').length);
    expect(outcome.totals.friends).toBe(rows.reduce((n, r) => n + Number(r.friend_count ?? 0), 0));
    expect(await checkAgainstTruth(sim.url, ids, rows, 200)).toEqual({ lost: [], wrong: [], duplicated: [] });
    await withWarehouse(db, async (w) => {
      // No user has two rows: the killed worker's committed rows were skipped by its successor.
      const [dups] = await w.query(`SELECT count(*) AS n FROM (SELECT user_id FROM user_friends GROUP BY user_id HAVING count(*) > 1)`);
      expect(dups!.n).toBe(0n);
      // Each bucket was collected by the worker of that bucket, within the stored plan's range.
      const perBucket = await w.query(`SELECT partition_id, count(*) AS n FROM user_friends GROUP BY partition_id ORDER BY partition_id`);
      expect(perBucket.map((r) => Number(r.n))).toEqual(buckets.map((b) => b.user_count));
      const runs = await w.query(`SELECT partition_id, state FROM runs_latest WHERE partition_id = 2 ORDER BY started_at`);
      expect(runs.map((r) => r.state)).toEqual(['running', 'finished']);
    });
    // Four workers, a restart and a check of every row: a hang detector for a machine shared with other work.
  }, 300_000);

  it('refuses bad worker settings before starting any process', async () => {
    await expect(
      runFleet({ users: usersFile, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${join(dir, 'x.duckdb')}`, maxThreads: 'many' }, {}, { partitions: 2, restarts: 0 }),
    ).rejects.toThrow(/--max-threads \(env MAX_THREADS\) must be an integer/);
    await expect(
      runFleet({ users: usersFile, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${join(dir, 'x.duckdb')}`, partition: '1/2' }, {}, { partitions: 2, restarts: 0 }),
    ).rejects.toThrow(/a fleet assigns each worker its bucket/);
  });
});

describe('friendfleet partition', async () => {
  const sim = await useSim({ users: 3_000, seed: 4 });
  const usersFile = join(dir, 'p-users.csv');
  await writeUsersFile(sim.graph, usersFile, { withCounts: true });

  it('prints the table with both predicted makespan ratios, and env lines per worker', async () => {
    const db = join(dir, 'p.duckdb');
    const table = await runCli(['partition', '--source', 'twitter-html', '--users', usersFile, '--partitions', '5', '--sink', `duckdb:${db}`, '--balance', 'count']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^partition_id\s+user_count\s+min_id\s+max_id\s+expected_pages$/);
    expect(table.stdout).toMatch(/predicted makespan ratio \(slowest bucket \/ mean\): count \d\.\d\d, work \d\.\d\d/);
    expect(table.stdout).toContain('balance count');
    const env = await runCli(['partition', '--source', 'twitter-html', '--users', usersFile, '--partitions', '5', '--sink', `duckdb:${db}`, '--format', 'env', '--dry-run']);
    const lines = env.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^PARTITION=1 PARTITIONS=5 MIN_USER_ID=\d+ MAX_USER_ID=\d+$/);
    expect(env.stderr).toContain('not stored (--dry-run)');
    // The stored plan is the count plan (the env run was a dry run), and a worker uses it.
    const plan = await withWarehouse(db, (w) => w.query(`SELECT DISTINCT balance FROM partitions_latest`));
    expect(plan).toEqual([{ balance: 'count' }]);
    const worker = await runCli([
      'collect',
      '--users',
      usersFile,
      '--source',
      'twitter-html',
      '--source-url',
      sim.url,
      '--sink',
      `duckdb:${db}`,
      '--partition',
      '5',
      '--users-limit',
      '3',
      '--progress',
      'off',
    ]);
    expect(worker.code).toBe(0);
    const assigned = worker.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'bucket assigned');
    expect(assigned).toMatchObject({ rule: 'partition', bounds: 'stored plan', partition: 5, partitions: 5, users: 600 });
    // Issue 15 §7: the run started line names each key once, and says nothing of tokens never set.
    const started = worker.stderr.split('\n').find((l) => l.includes('"msg":"run started"'))!;
    expect(started.match(/"worker":/g)).toHaveLength(1);
    expect(started).not.toContain('[redacted]');
    // Issue 15 §7: a run ends with a human summary on stderr, whatever the log level.
    const quiet = await runCli([
      'collect',
      '--users',
      usersFile,
      '--source',
      'twitter-html',
      '--source-url',
      sim.url,
      '--sink',
      `duckdb:${db}`,
      '--partition',
      '5',
      '--users-limit',
      '3',
      '--progress',
      'off',
      '--log-level',
      'silent',
    ]);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr.trim()).toMatch(
      /^friendfleet: run finished: 3 users \(\d+ ok, \d+ protected, \d+ not_found, \d+ suspended, 0 failed\), [\d,]+ friends, [\d,]+ pages in [\d.]+ s, [\d,]+ users\/hour$/,
    );
  });

  it('reads a users table from a DuckDB database', async () => {
    const src = join(dir, 'users-src.duckdb');
    await withWarehouse(src, (w) => w.query(`COPY (SELECT 1) TO '/dev/null'`));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(src);
    const conn = await instance.connect();
    await conn.run(`CREATE TABLE people AS SELECT CAST(user_id AS BIGINT) AS user_id, screen_name FROM read_csv('${usersFile}')`);
    conn.closeSync();
    instance.closeSync();
    const r = await runCli([
      'partition',
      '--source',
      'twitter-html',
      '--users',
      `duckdb:${src}#people`,
      '--partitions',
      '3',
      '--sink',
      `duckdb:${join(dir, 'q.duckdb')}`,
      '--format',
      'json',
      '--dry-run',
    ]);
    expect(r.code).toBe(0);
    const buckets = JSON.parse(r.stdout) as { user_count: number }[];
    expect(buckets.reduce((a, b) => a + b.user_count, 0)).toBe(3000);
    expect(r.stderr).toContain('every user counted equal');
  });
});

describe('friendfleet sim users', () => {
  it('writes the number of users asked for (--users belongs to the subcommand)', async () => {
    const out = join(dir, 'n.csv');
    const r = await runCli(['sim', 'users', '--users', '1234', '--out', out, '--with-counts']);
    expect(r.stdout.trim()).toBe(`wrote 1234 users to ${out}`);
  });
});
