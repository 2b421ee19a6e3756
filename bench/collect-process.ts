import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { DuckDBInstance } from '@duckdb/node-api';
import type { StatsSnapshot } from '../src/collector/stats.ts';
import { readProc, readThreadsCpu, type ProcReading } from './proc-usage.ts';
import type { SimProcess } from './sim-process.ts';
import { startHostProcess, type HostProcess } from './warehouse-host.ts';

export interface CollectProcessOptions {
  sim: SimProcess;
  usersFile: string;
  /** DuckDB file the rows go to. */
  warehouse: string;
  /**
   * `embedded`: the worker opens the DuckDB file itself (SINK=duckdb:FILE). `host`: a warehouse host
   * process owns the file and the worker writes through it (SINK=host:URL), as a fleet's workers do.
   */
  sink: 'embedded' | 'host';
  /** Settings as env vars (MAX_THREADS, RATE_LIMIT, ...), on top of SOURCE_URL, USERS, SINK. */
  env: Record<string, string>;
  /** Node flags of the worker, e.g. `--max-old-space-size=400` (a 512 MB dyno). */
  nodeArgs?: string[];
  /** Time between readings. Default 250 ms. */
  sampleMs?: number;
}

/** One moment of a run: the worker's and the sim's CPU and memory, and the sim's request counters. */
export interface Sample {
  t: number;
  worker: ProcReading;
  sim: ProcReading | undefined;
  /** The warehouse host, when the rows go through one. */
  host: ProcReading | undefined;
  /** Protocol requests the sim has received (answered or in flight). */
  simRequests: number;
  simRateLimited: number;
  /** Requests the sim holds at this moment (waiting out their latency, or being answered). */
  simInFlight: number;
}

/** What the warehouse holds after the run. */
export interface WarehouseCheck {
  rows: number;
  distinctUsers: number;
  okUsers: number;
  failedUsers: number;
  /** Requests the saved rows account for: a page per page read, one per user without a list. */
  requests: number;
  friends: number;
  firstStartMs: number;
  lastStartMs: number;
  lastEndMs: number;
}

export interface CollectProcessResult {
  samples: Sample[];
  exitCode: number | null;
  /** The worker's own counters, from its `run ended` log line. */
  stats: StatsSnapshot;
  warehouse: WarehouseCheck;
  /** Requests the sim received during the run that no saved row accounts for (and were not 429s): must be 0. */
  unsavedRequests: number;
  /** 429 answers the sim sent during the run. */
  rateLimited: number;
  /** The worker's CPU seconds by thread name, at the last reading before it exited. */
  threadsCpuS: Record<string, number>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let built: string | undefined;

/**
 * The worker as a dyno runs it: `node dist/cli/main.js` (Procfile, deploy/Dockerfile), built from the
 * sources now so that it is never stale (tsc takes a second). Run from `src/` instead, Node strips the
 * TypeScript types with a WebAssembly compiler it loads into the process, which added about 30 MB to
 * the worker's resident set (`collect --help`: 150 MB from src/, 118 MB from dist/), none of it a
 * dyno's.
 */
export function workerCli(): string {
  if (!built) {
    const r = spawnSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}tsconfig.build.json`], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`building dist/ failed (${r.status ?? r.signal})`);
    built = `${ROOT}dist/cli/main.js`;
  }
  return built;
}

/**
 * Runs `friendfleet collect` built and in its own process, as a dyno runs it, against a sim process, reading both
 * processes' CPU and memory from /proc and the sim's request counters every `sampleMs`. After the
 * worker exits, reads its warehouse back to check that every request the sim answered belongs to a
 * saved row.
 */
export async function runCollectProcess(options: CollectProcessOptions): Promise<CollectProcessResult> {
  const { sim } = options;
  const before = await sim.stats();
  const host: HostProcess | undefined = options.sink === 'host' ? await startHostProcess(options.warehouse) : undefined;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), workerCli(), 'collect'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      SOURCE: 'twitter-html',
      SOURCE_URL: sim.url,
      USERS: options.usersFile,
      SINK: host ? `host:${host.url}` : `duckdb:${options.warehouse}`,
      ...(host ? { HOST_SECRET: host.secret } : {}),
      PROGRESS: 'off',
      LOG_LEVEL: 'info',
      ...options.env,
    },
  });
  let stats: StatsSnapshot | undefined;
  const errors: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      const entry = JSON.parse(line) as { msg?: string; level?: number; stats?: StatsSnapshot };
      if (entry.msg === 'run ended') stats = entry.stats;
      if ((entry.level ?? 0) >= 40) errors.push(line);
    } catch {
      errors.push(line);
    }
  });
  const watched = await watchRun(child, sim, host, options.sampleMs ?? 250);
  const { samples, threadsCpuS, exitCode } = watched;
  await host?.stop();
  if (exitCode !== 0 || !stats) throw new Error(`collect exited with ${exitCode}:\n${errors.slice(-10).join('\n')}`);
  for (const e of errors) process.stderr.write(`worker: ${e}\n`);
  if (process.env.BENCH_TRACE) {
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1]!;
      const b = samples[i]!;
      const dt = (b.t - a.t) / 1000;
      process.stderr.write(
        `${((b.t - samples[0]!.t) / 1000).toFixed(2)}s pages/s ${Math.round((b.simRequests - a.simRequests) / dt)} in_flight ${b.simInFlight} worker_cpu ${Math.round(((b.worker.cpuS - a.worker.cpuS) / dt) * 100)}% sim_cpu ${Math.round((((b.sim?.cpuS ?? 0) - (a.sim?.cpuS ?? 0)) / dt) * 100)}% rss ${Math.round(b.worker.rssMb)}\n`,
      );
    }
  }

  const warehouse = await readWarehouse(options.warehouse);
  const simStats = await sim.stats();
  return {
    samples,
    exitCode,
    stats,
    warehouse,
    unsavedRequests: simStats.requests - before.requests - (simStats.rateLimited - before.rateLimited) - warehouse.requests,
    rateLimited: simStats.rateLimited - before.rateLimited,
    threadsCpuS,
  };
}

async function readWarehouse(path: string): Promise<WarehouseCheck> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(`
      SELECT count(*)::DOUBLE AS rows, count(DISTINCT user_id)::DOUBLE AS distinct_users,
             count(*) FILTER (WHERE status = 'ok')::DOUBLE AS ok_users,
             count(*) FILTER (WHERE status = 'failed')::DOUBLE AS failed_users,
             (sum(pages) + count(*) FILTER (WHERE status <> 'ok'))::DOUBLE AS requests,
             coalesce(sum(friend_count), 0)::DOUBLE AS friends,
             epoch_ms(min(start_at))::DOUBLE AS first_start, epoch_ms(max(start_at))::DOUBLE AS last_start,
             epoch_ms(max(end_at))::DOUBLE AS last_end
      FROM user_friends`);
    const r = reader.getRowObjectsJS()[0] as Record<string, number>;
    return {
      rows: r.rows!,
      distinctUsers: r.distinct_users!,
      okUsers: r.ok_users!,
      failedUsers: r.failed_users!,
      requests: r.requests!,
      friends: r.friends!,
      firstStartMs: r.first_start!,
      lastStartMs: r.last_start!,
      lastEndMs: r.last_end!,
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function sum(byThread: Record<string, number>): number {
  return Object.values(byThread).reduce((a, b) => a + b, 0);
}

/**
 * Reads the child's, the sim's and the host's CPU and memory from /proc and the sim's counters every
 * `sampleMs` until the child exits.
 */
export async function watchRun(
  child: ChildProcess,
  sim: SimProcess,
  host: HostProcess | undefined,
  sampleMs: number,
): Promise<{ samples: Sample[]; threadsCpuS: Record<string, number>; exitCode: number | null }> {
  const samples: Sample[] = [];
  let threadsCpuS: Record<string, number> = {};
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(async () => {
      const worker = readProc(child.pid!);
      const threads = readThreadsCpu(child.pid!);
      // An exited process still awaiting its parent lists only its main thread: keep the fuller reading.
      if (sum(threads) >= sum(threadsCpuS)) threadsCpuS = threads;
      const simReading = readProc(sim.child.pid!);
      const hostReading = host ? readProc(host.child.pid!) : undefined;
      const s = await sim.stats().catch(() => undefined);
      if (worker && s) {
        samples.push({ t: Date.now(), worker, sim: simReading, host: hostReading, simRequests: s.requests, simRateLimited: s.rateLimited, simInFlight: s.inFlight });
      }
    });
  }, sampleMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearInterval(timer);
  await sampling;
  return { samples, threadsCpuS, exitCode };
}

/** A counter's value at time `t`, linearly interpolated between the samples around it. */
export function valueAt(samples: readonly Sample[], t: number, get: (s: Sample) => number): number {
  if (samples.length === 0) return 0;
  if (t <= samples[0]!.t) return get(samples[0]!);
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i]!;
    if (b.t >= t) {
      const a = samples[i - 1]!;
      return get(a) + ((get(b) - get(a)) * (t - a.t)) / (b.t - a.t || 1);
    }
  }
  return get(samples.at(-1)!);
}

/** Rates of a run over the window [from, to] (epoch ms). */
export function windowRates(samples: readonly Sample[], from: number, to: number) {
  const seconds = (to - from) / 1000;
  const delta = (get: (s: Sample) => number) => valueAt(samples, to, get) - valueAt(samples, from, get);
  const requests = delta((s) => s.simRequests);
  const rateLimited = delta((s) => s.simRateLimited);
  return {
    seconds,
    /** Requests the sim answered with a page (429s left out), per second. */
    pagesPerS: (requests - rateLimited) / seconds,
    workerCpuS: delta((s) => s.worker.cpuS),
    simCpuS: delta((s) => s.sim?.cpuS ?? 0),
    hostCpuS: delta((s) => s.host?.cpuS ?? 0),
    pages: requests - rateLimited,
  };
}
