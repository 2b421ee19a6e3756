/**
 * Buckets of equal user count against buckets of equal expected work, on a sim graph with the
 * reference's age skew: the predicted makespan ratio (slowest bucket / mean) from `partition`, and the
 * measured one from a local fleet's wall time per bucket. Workers are latency-bound (few threads, sim
 * latency per page) so wall time follows pages, not the shared CPU.
 * Run: node bench/makespan.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pino from 'pino';
import { runFleet } from '../src/cli/fleet.ts';
import { SimGraph } from '../src/sim/graph.ts';
import { writeUsersFile } from '../src/sim/users-file.ts';
import { makespanRatio } from '../src/partition/work.ts';
import { CLI, startSimProcess } from './sim-process.ts';
import { printTable, writeResults } from './table.ts';

const quick = process.argv.includes('--quick');
const users = quick ? 1000 : 10_000;
const partitions = quick ? 4 : 10;
const latencyMs = quick ? 10 : 50;
const threads = quick ? 5 : 8;

const dir = mkdtempSync(join(tmpdir(), 'ff-makespan-'));
const usersFile = join(dir, 'users.csv');
await writeUsersFile(new SimGraph({ users, seed: 1 }), usersFile, { withCounts: true });
const sim = await startSimProcess(['--users', String(users), '--seed', '1', '--latency-ms', String(latencyMs)]);
const rows = [];
try {
  for (const balance of ['count', 'work'] as const) {
    const db = join(dir, `${balance}.duckdb`);
    const planned = spawnSync(
      process.execPath,
      [CLI, 'partition', '--source', 'twitter-html', '--users', usersFile, '--partitions', String(partitions), '--balance', balance, '--sink', `duckdb:${db}`],
      {
        encoding: 'utf8',
      },
    );
    if (planned.status !== 0) throw new Error(planned.stderr);
    const predicted = /count (\d+\.\d+), work (\d+\.\d+)/.exec(planned.stdout)!;
    const outcome = await runFleet(
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${db}`, maxThreads: String(threads), logLevel: 'warn' },
      { PATH: process.env.PATH },
      { partitions, restarts: 0 },
      pino({ level: 'warn' }),
    );
    if (!outcome.ok) throw new Error(`fleet failed: ${JSON.stringify(outcome.partitions)}`);
    const walls = outcome.partitions.map((p) => p.wall_seconds);
    rows.push({
      balance,
      users,
      partitions,
      predicted_ratio: Number(balance === 'count' ? predicted[1] : predicted[2]),
      measured_ratio: Number(makespanRatio(walls).toFixed(2)),
      slowest_bucket_s: Number(Math.max(...walls).toFixed(1)),
      mean_bucket_s: Number((walls.reduce((a, b) => a + b, 0) / walls.length).toFixed(1)),
      bucket_wall_s: walls.map((w) => w.toFixed(0)).join(' '),
    });
  }
} finally {
  sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
printTable(`Makespan: equal-count vs equal-work buckets (sim latency ${latencyMs} ms, ${threads} threads per worker)`, rows);
writeResults('makespan', rows);
