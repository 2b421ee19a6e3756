/**
 * Throughput against the concurrency bound: a real `collect` process, with a 512 MB dyno's Node flags
 * and environment (DYNO_NODE_ARGS, DYNO_ENV), reads the sim graph's users at 400 ms ± 25% a page, 20 accounts a page, with 50,
 * 250, 1,000 and 2,500 users in flight. A worker can do no better than concurrency ÷ latency pages a
 * second; this reports how close it gets, its CPU per 1,000 pages and its peak RSS, and checks that every
 * request the sim answered belongs to a row saved in the warehouse.
 *
 * Rows go to a warehouse host in its own process (SINK=host:URL, as a fleet's workers and a dyno writing
 * to a remote warehouse do), so the worker's figures are the worker's; one more 2,500 run writes to an
 * embedded DuckDB file in the worker itself, to show what that costs.
 *
 * The rate is measured while every slot is busy: from 2 s after the first user started (ramp-up) to the
 * moment the last user started (after that, slots empty as the bucket runs out).
 *
 * Run: node bench/throughput.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCollectProcess, windowRates } from './collect-process.ts';
import { startSimProcess } from './sim-process.ts';
import { printTable, writeResults } from './table.ts';
import { DYNO_ENV, DYNO_NODE_ARGS, DYNO_SETTINGS, meanRequestsPerUser, REFERENCE_LATENCY_MS, SIM_SEED, SIM_USERS, writeUsersSample } from './workload.ts';

const quick = process.argv.includes('--quick');
const scenarios: { concurrency: number; sink: 'host' | 'embedded' }[] = quick
  ? [
      { concurrency: 250, sink: 'host' },
      { concurrency: 2500, sink: 'host' },
    ]
  : [
      { concurrency: 50, sink: 'host' },
      { concurrency: 250, sink: 'host' },
      { concurrency: 1000, sink: 'host' },
      { concurrency: 2500, sink: 'host' },
      { concurrency: 2500, sink: 'embedded' },
    ];
/** Seconds of full concurrency wanted per scenario. */
const steadySeconds = quick ? 5 : 60;
/** The quick run caps lists at 200 accounts (10 pages), so that its slowest user takes 4 s, not 40. */
const maxFriends = quick ? 200 : 2000;
const RAMP_MS = 2000;

const meanRequests = meanRequestsPerUser(maxFriends);
const dir = mkdtempSync(join(tmpdir(), 'ff-throughput-'));
const rows = [];
try {
  for (const { concurrency, sink } of scenarios) {
    const bound = concurrency / (REFERENCE_LATENCY_MS / 1000);
    const usersFile = join(dir, `users-${concurrency}.csv`);
    const users = writeUsersSample(usersFile, Math.round(concurrency + (bound * (steadySeconds + RAMP_MS / 1000)) / meanRequests));
    const sim = await startSimProcess(['--users', String(SIM_USERS), '--seed', String(SIM_SEED), '--latency-ms', String(REFERENCE_LATENCY_MS)]);
    try {
      const run = await runCollectProcess({
        sim,
        usersFile,
        warehouse: join(dir, `warehouse-${concurrency}-${sink}.duckdb`),
        sink,
        env: { ...DYNO_ENV, MAX_THREADS: String(concurrency), MAX_FRIENDS: String(maxFriends) },
        nodeArgs: DYNO_NODE_ARGS,
      });
      const w = run.warehouse;
      const rates = windowRates(run.samples, w.firstStartMs + RAMP_MS, w.lastStartMs);
      const requestsPerUser = w.requests / w.rows;
      const pct = (cpuS: number) => Math.round((cpuS / rates.seconds) * 100);
      rows.push({
        scenario: `latency ${REFERENCE_LATENCY_MS} ms, ${sink === 'host' ? 'warehouse host' : 'embedded DuckDB'}${quick ? ', lists capped at 200' : ''}`,
        concurrency,
        users,
        achieved_pages_per_s: Math.round(rates.pagesPerS),
        bound_pages_per_s: Math.round(bound),
        ratio: Number((rates.pagesPerS / bound).toFixed(3)),
        users_per_hour: Math.round((rates.pagesPerS * 3600) / requestsPerUser),
        cpu_s_per_1000_pages: Number(((rates.workerCpuS * 1000) / rates.pages).toFixed(3)),
        worker_cpu_pct: pct(rates.workerCpuS),
        sim_cpu_pct: pct(rates.simCpuS),
        warehouse_cpu_pct: sink === 'host' ? pct(rates.hostCpuS) : null,
        peak_rss_mb: Math.round(Math.max(...run.samples.map((x) => x.worker.peakRssMb))),
        window_s: Number(rates.seconds.toFixed(1)),
        users_saved: w.rows,
        unsaved_requests: run.unsavedRequests,
        http_429: run.rateLimited,
      });
      if (w.rows !== users || w.distinctUsers !== users || run.stats.usersSaved !== users || run.unsavedRequests !== 0) {
        throw new Error(
          `concurrency ${concurrency}: ${users} users, ${w.rows} rows (${w.distinctUsers} distinct), ${run.stats.usersSaved} acknowledged, ${run.unsavedRequests} requests without a saved row`,
        );
      }
    } finally {
      sim.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printTable(`Throughput vs the concurrency bound (sim latency ${REFERENCE_LATENCY_MS} ms ± 25%, 20 accounts a page, worker ${DYNO_SETTINGS})`, rows);
writeResults('throughput', rows);
