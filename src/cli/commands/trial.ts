import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadSettings, parseValue } from '../../config/load.ts';
import * as p from '../../config/parsers.ts';
import { renderKeyValues } from '../../monitor/format.ts';
import { trialSummary, type TrialSummary } from '../../monitor/trial-summary.ts';
import { ConfigError, InternalError } from '../../core/errors.ts';
import { openForReading, type SinkUri } from '../../sinks/registry.ts';
import { rangeCondition } from '../../sinks/duckdb/sql.ts';
import { SimGraph } from '../../sim/graph.ts';
import { writeUsersFile } from '../../sim/users-file.ts';
import { runCollect } from '../worker.ts';

/** The trial collects the legacy HTML pages, which only the sim serves now. */
const TRIAL_SOURCE = 'twitter-html';

/** The CLI entry next to this file (main.ts in src/, main.js in dist/). */
const MAIN = fileURLToPath(new URL(`../main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/** Starts `friendfleet sim` as a child process and resolves with its URL once it listens. */
async function spawnSim(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [MAIN, 'sim', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new InternalError(`sim exited with code ${code} before listening`)));
    lines.on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return { url, child };
}

function describeUri(uri: SinkUri): string {
  return uri.kind === 'duckdb' ? uri.path : uri.kind === 'host' ? uri.url : `bigquery:${uri.project}.${uri.dataset}`;
}

export interface TrialOptions {
  simUsers: number;
  seed: number;
  latencyMs: number;
  partition: { partition: number; partitions: number | undefined };
  partitions: number;
}

export interface TrialResult {
  summary: TrialSummary | undefined;
  /** Users of the bucket without any row: must be 0. */
  missing: number;
  bucketUsers: number;
  alreadyCollected: boolean;
}

/**
 * The demo: a sim in the background, its users table, one bucket collected into the warehouse with
 * progress shown, then the reference's trial summary.
 */
export async function runTrial(options: TrialOptions, flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<TrialResult> {
  const { sink: uri } = loadSettings(['sink'], flags, env);
  // The trial's own checks are DuckDB SQL; a BigQuery warehouse is tried with collect and monitor.
  if (uri!.kind === 'bigquery') throw new ConfigError('SINK', 'trial runs on the embedded warehouse (SINK=duckdb:PATH); for BigQuery, run collect against a sim and then monitor');
  const dir = mkdtempSync(join(tmpdir(), 'friendfleet-trial-'));
  const usersFile = join(dir, 'users.csv');
  const sim = await spawnSim(['--users', String(options.simUsers), '--seed', String(options.seed), '--latency-ms', String(options.latencyMs)]);
  try {
    await writeUsersFile(new SimGraph({ users: options.simUsers, seed: options.seed }), usersFile);
    process.stderr.write(
      `friendfleet trial: sim at ${sim.url} (${options.simUsers} users, ${options.latencyMs} ms per page); ` +
        `collecting bucket ${options.partition.partition}/${options.partition.partitions ?? options.partitions} into ${describeUri(uri!)}\n`,
    );
    const outcome = await runCollect(
      {
        ...flags,
        users: usersFile,
        source: TRIAL_SOURCE,
        sourceUrl: sim.url,
        partition: `${options.partition.partition}/${options.partition.partitions ?? options.partitions}`,
      },
      { env, isTTY: process.stderr.isTTY === true, handleSignals: true },
    );
    const bucket = outcome.bucket;
    // Stopped by a signal before its bucket was known: nothing was collected.
    if (!bucket) return { summary: undefined, missing: 0, bucketUsers: 0, alreadyCollected: false };
    const db = await openForReading(uri!);
    try {
      let runId = outcome.runId;
      if (runId === undefined) {
        const [latest] = await db.query(`SELECT run_id FROM runs_latest WHERE source = $2 AND partition_id IS NOT DISTINCT FROM $1 ORDER BY started_at DESC LIMIT 1`, [
          bucket.partitionId,
          TRIAL_SOURCE,
        ]);
        runId = latest ? String(latest.run_id) : undefined;
      }
      const where = rangeCondition(bucket.range, 'user_id', 2);
      const [covered] = await db.query(`SELECT count(DISTINCT user_id) AS n FROM user_friends WHERE source = $1 AND ${where.sql}`, [TRIAL_SOURCE, ...where.params]);
      return {
        summary: runId === undefined ? undefined : await trialSummary(db, runId),
        missing: bucket.userCount - Number(covered?.n ?? 0),
        bucketUsers: bucket.userCount,
        alreadyCollected: outcome.state === 'nothing_to_do',
      };
    } finally {
      await db.close();
    }
  } finally {
    sim.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

export function registerTrial(program: Command): void {
  program
    .command('trial')
    .description('demo: start a sim, collect one bucket of its users into the warehouse, print the trial summary')
    .option('--sim-users <n>', 'users in the simulated network (default 10000)')
    .option('--seed <n>', 'sim graph seed (default 1)')
    .option('--latency-ms <ms>', 'sim latency per page (default 20)')
    .option('--partition <k[/n]>', 'bucket to collect (default 1/30: about 333 of the oldest users)')
    .option('--max-threads <n>', 'users collected concurrently; env MAX_THREADS (default 50)')
    .option('--sink <uri>', 'warehouse; env SINK (default duckdb:./friendfleet.duckdb)')
    .action(async (opts: Record<string, unknown>) => {
      const options: TrialOptions = {
        simUsers: parseValue('--sim-users', '--sim-users', p.integer(1, 2_000_000_000), String(opts.simUsers ?? '10000')),
        seed: parseValue('--seed', '--seed', p.integer(0, 2 ** 31 - 1), String(opts.seed ?? '1')),
        latencyMs: parseValue('--latency-ms', '--latency-ms', p.integer(0, 600_000), String(opts.latencyMs ?? '20')),
        partition: parseValue('--partition', '--partition', p.partitionSpec(), String(opts.partition ?? '1/30')),
        partitions: 30,
      };
      const { simUsers: _s, seed: _d, latencyMs: _l, partition: _p, ...flags } = opts;
      const result = await runTrial(options, flags, process.env);
      if (result.alreadyCollected) {
        process.stdout.write('This bucket was already collected in the warehouse; showing its latest trial. Delete the .duckdb file to run it again.\n');
      }
      process.stdout.write(result.summary ? `\nTrial summary\n${renderKeyValues({ ...result.summary })}\n` : '\nNo trial recorded.\n');
      process.stdout.write(`\nbucket users: ${result.bucketUsers}, users without a status: ${result.missing}\n`);
      if (result.missing !== 0 || !result.summary) process.exitCode = 1;
    });
}
