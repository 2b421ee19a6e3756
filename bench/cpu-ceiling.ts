/**
 * The worker's CPU ceiling: the sim answers at once (latency 0, no rate limit), so a `collect` process
 * with 50 users in flight and its own embedded DuckDB warehouse is bound by its own CPU. Reports pages
 * fetched and parsed, and rows written, per CPU second of the worker, and where that CPU goes: a second
 * run under --cpu-prof splits the main thread's time into stages by the module each sample runs in
 * (fetch: undici and sockets; parse: the page scanner; sink: row encoding and DuckDB calls; collector:
 * pagination, budget, concurrency), and /proc splits off the threads beside it (V8's GC helpers; the
 * libuv pool, where DuckDB's inserts run).
 *
 * Run: node bench/cpu-ceiling.ts [--quick]
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCollectProcess, windowRates } from './collect-process.ts';
import { stageShares, STAGES } from './cpu-profile.ts';
import { startSimProcess } from './sim-process.ts';
import { printTable, writeResults } from './table.ts';
import { DYNO_ENV, DYNO_NODE_ARGS, SIM_SEED, SIM_USERS, writeUsersSample } from './workload.ts';

const quick = process.argv.includes('--quick');
const concurrency = 50;
const userCount = quick ? 600 : 4000;

const dir = mkdtempSync(join(tmpdir(), 'ff-cpu-ceiling-'));
const usersFile = join(dir, 'users.csv');
const users = writeUsersSample(usersFile, userCount);
const profileDir = join(dir, 'profile');
const sim = await startSimProcess(['--users', String(SIM_USERS), '--seed', String(SIM_SEED), '--latency-ms', '0']);
const run = (name: string, nodeArgs: string[]) =>
  runCollectProcess({
    sim,
    usersFile,
    warehouse: join(dir, `${name}.duckdb`),
    sink: 'embedded',
    env: { ...DYNO_ENV, MAX_THREADS: String(concurrency) },
    nodeArgs: [...DYNO_NODE_ARGS, ...nodeArgs],
  });
let summary;
let stages;
try {
  const plain = await run('plain', []);
  const w = plain.warehouse;
  const rates = windowRates(plain.samples, w.firstStartMs, w.lastStartMs);
  const requestsPerUser = w.requests / w.rows;
  const pagesPerCpuS = rates.pages / rates.workerCpuS;
  summary = [
    {
      scenario: 'latency 0, embedded DuckDB',
      concurrency,
      users,
      achieved_pages_per_s: Math.round(rates.pagesPerS),
      bound_pages_per_s: null,
      ratio: null,
      pages_per_cpu_s: Math.round(pagesPerCpuS),
      rows_per_cpu_s: Math.round(pagesPerCpuS / requestsPerUser),
      friends_per_row: Math.round(w.friends / w.okUsers),
      cpu_s_per_1000_pages: Number(((rates.workerCpuS * 1000) / rates.pages).toFixed(3)),
      worker_cpu_pct: Math.round((rates.workerCpuS / rates.seconds) * 100),
      sim_cpu_pct: Math.round((rates.simCpuS / rates.seconds) * 100),
      peak_rss_mb: Math.round(Math.max(...plain.samples.map((s) => s.worker.peakRssMb))),
      users_saved: w.rows,
      unsaved_requests: plain.unsavedRequests,
    },
  ];
  if (w.rows !== users || plain.unsavedRequests !== 0) throw new Error(`${users} users, ${w.rows} rows, ${plain.unsavedRequests} requests without a saved row`);

  // The same run under the profiler, for the split only (the profiler costs CPU of its own).
  const profiled = await run('profiled', ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  const profile = stageShares(
    join(
      profileDir,
      readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'))!,
    ),
  );
  const threads = profiled.threadsCpuS;
  const main = threads.MainThread ?? 0;
  const total = Object.values(threads).reduce((a, b) => a + b, 0);
  const pages = profiled.warehouse.requests;
  const cpu: Record<string, number> = {};
  // The profile's stage shares of the main thread's busy time, scaled to the main thread's CPU.
  for (const s of STAGES) cpu[s === 'gc' ? 'gc (main thread)' : s] = (main * profile.byStage[s]) / profile.busyMs;
  cpu['gc (helper threads)'] = threads.V8Worker ?? 0;
  cpu['sink (DuckDB, libuv pool)'] = threads['libuv-worker'] ?? 0;
  cpu['other threads'] = total - main - (threads.V8Worker ?? 0) - (threads['libuv-worker'] ?? 0);
  stages = Object.entries(cpu)
    .map(([stage, s]) => ({ stage, share_pct: Number(((s / total) * 100).toFixed(1)), us_per_page: Number(((s * 1e6) / pages).toFixed(1)) }))
    .sort((a, b) => b.share_pct - a.share_pct);
  stages[0] = { ...stages[0]!, stage: `${stages[0]!.stage} (dominant)` };
} finally {
  sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
printTable(`Worker CPU ceiling (sim latency 0, ${concurrency} users in flight, worker writes its own DuckDB file)`, summary);
printTable('Where the worker CPU goes (--cpu-prof of the main thread, /proc for the other threads)', stages);
writeResults('cpu-ceiling', summary);
writeResults('cpu-stages', stages);
