/**
 * The peer, side by side: the same users' following pages (the sim graph's follow counts, 2,000 cap)
 * through friendfleet's `collect` and through Crawlee's CheerioCrawler (bench/peer/crawlee-run.ts), each
 * in its own process against one sim process, with up to 50 requests in flight. The sim answers at once
 * (latency 0), so each side is bound by its own CPU: the figure compared is pages per CPU second. Both
 * are measured the same way, between the moments 5% and 95% of their pages were served (start-up and
 * shutdown left out). friendfleet writes every user's row into its own DuckDB file; Crawlee keeps its
 * request queue and dataset in memory (CRAWLEE_PERSIST_STORAGE=false, its fastest storage) and, in the
 * full run, also with its default storage, which persists both to disk. Crawlee runs with Node's default
 * heap, friendfleet with the dyno's flags.
 *
 * Run: node bench/peer.ts [--quick]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCollectProcess, watchRun, type Sample } from './collect-process.ts';
import { startSimProcess } from './sim-process.ts';
import { printTable, writeResults } from './table.ts';
import { DYNO_ENV, DYNO_NODE_ARGS, SIM_SEED, SIM_USERS, writeUsersSample } from './workload.ts';

const quick = process.argv.includes('--quick');
const concurrency = 50;
const MAX_FRIENDS = 2000;
const CRAWLEE_RUN = fileURLToPath(new URL('./peer/crawlee-run.ts', import.meta.url));

/** Pages per CPU second between the samples where 5% and 95% of the run's pages had been served. */
function middleRate(samples: readonly Sample[]) {
  const first = samples[0]!.simRequests;
  const pages = samples.at(-1)!.simRequests - first;
  const from = samples.find((s) => s.simRequests - first >= pages * 0.05)!;
  const to = samples.findLast((s) => s.simRequests - first <= pages * 0.95)!;
  const served = to.simRequests - from.simRequests;
  return {
    pages,
    pagesPerS: (served * 1000) / (to.t - from.t),
    pagesPerCpuS: served / (to.worker.cpuS - from.worker.cpuS),
    peakRssMb: Math.max(...samples.map((s) => s.worker.peakRssMb)),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'ff-peer-'));
const sim = await startSimProcess(['--users', String(SIM_USERS), '--seed', String(SIM_SEED), '--latency-ms', '0']);
const rows = [];
try {
  const usersFile = join(dir, 'users.csv');
  const users = writeUsersSample(usersFile, quick ? 100 : 600);
  const ff = await runCollectProcess({
    sim,
    usersFile,
    warehouse: join(dir, 'friendfleet.duckdb'),
    sink: 'embedded',
    env: { ...DYNO_ENV, MAX_THREADS: String(concurrency), MAX_FRIENDS: String(MAX_FRIENDS) },
    nodeArgs: DYNO_NODE_ARGS,
    sampleMs: 50,
  });
  if (ff.warehouse.rows !== users || ff.unsavedRequests !== 0) throw new Error(`friendfleet saved ${ff.warehouse.rows} of ${users} users`);
  const crawlee = async (storage: 'memory' | 'default', userCount: number) => {
    const file = join(dir, `users-${userCount}.csv`);
    writeUsersSample(file, userCount);
    // Node's default heap: in memory, Crawlee's dataset keeps every page's result, and under the dyno's
    // 400 MB it ran out of heap at 600 users.
    const child = spawn(process.execPath, [CRAWLEE_RUN, sim.url, file, String(concurrency), String(MAX_FRIENDS)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        PATH: process.env.PATH,
        CRAWLEE_STORAGE_DIR: join(dir, `crawlee-${storage}`),
        ...(storage === 'memory' ? { CRAWLEE_PERSIST_STORAGE: 'false' } : {}),
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const watched = await watchRun(child, sim, undefined, 100);
    if (watched.exitCode !== 0) throw new Error(`crawlee run exited with ${watched.exitCode}`);
    const { requestsFinished, requestsFailed } = JSON.parse(out) as { requestsFinished: number; requestsFailed: number };
    return { ...middleRate(watched.samples), users: userCount, requestsFinished, requestsFailed };
  };
  const peers = [{ name: 'Crawlee CheerioCrawler, in-memory storage', ...(await crawlee('memory', users)) }];
  if (!quick) peers.push({ name: 'Crawlee CheerioCrawler, default storage (on disk)', ...(await crawlee('default', Math.round(users / 4))) });

  const mine = middleRate(ff.samples);
  rows.push({
    scenario: 'friendfleet collect (rows into DuckDB)',
    concurrency,
    users,
    pages: mine.pages,
    achieved_pages_per_s: Math.round(mine.pagesPerS),
    pages_per_cpu_s: Math.round(mine.pagesPerCpuS),
    cpu_s_per_1000_pages: Number((1000 / mine.pagesPerCpuS).toFixed(3)),
    friendfleet_speedup: 1,
    peak_rss_mb: Math.round(mine.peakRssMb),
    failed_requests: 0,
  });
  for (const p of peers) {
    rows.push({
      scenario: p.name,
      concurrency,
      users: p.users,
      pages: p.pages,
      achieved_pages_per_s: Math.round(p.pagesPerS),
      pages_per_cpu_s: Math.round(p.pagesPerCpuS),
      cpu_s_per_1000_pages: Number((1000 / p.pagesPerCpuS).toFixed(3)),
      friendfleet_speedup: Number((mine.pagesPerCpuS / p.pagesPerCpuS).toFixed(1)),
      peak_rss_mb: Math.round(p.peakRssMb),
      failed_requests: p.requestsFailed,
    });
  }
  // Valid only if both read the same pages. Crawlee also follows a suspended account's redirect, one
  // request more per suspended user (1% of users); anything beyond that is a different workload.
  if (Math.abs(rows[1]!.pages - rows[0]!.pages) > users * 0.03) throw new Error(`friendfleet read ${rows[0]!.pages} pages, Crawlee ${rows[1]!.pages}`);
} finally {
  sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
printTable(`Peer: pages per CPU second on the same workload (sim latency 0, up to ${concurrency} requests in flight, lists capped at ${MAX_FRIENDS})`, rows);
writeResults('peer', rows);
