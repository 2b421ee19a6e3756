/**
 * Rate-limited throughput: the sim allows a budget per window per client well below what 250 users in
 * flight at 400 ms a page could use (625 pages/s), answering 429 past it, as the real site did. The
 * worker runs once told the budget (RATE_LIMIT, RATE_WINDOW) and once left to learn it from the
 * responses' x-rate-limit-* headers. Reports pages/s over whole windows against the limit, and the 429s
 * the sim sent (target: none once the worker knows the budget).
 *
 * Run: node bench/rate-limited.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCollectProcess, windowRates } from './collect-process.ts';
import { startSimProcess } from './sim-process.ts';
import { printTable, writeResults } from './table.ts';
import { DYNO_ENV, DYNO_NODE_ARGS, meanRequestsPerUser, REFERENCE_LATENCY_MS, SIM_SEED, SIM_USERS, writeUsersSample } from './workload.ts';

const quick = process.argv.includes('--quick');
const concurrency = 250;
const windowS = quick ? 2 : 10;
/** Requests per window: 200 a second, a third of the concurrency bound (300 in the quick run, to end sooner). */
const limit = (quick ? 300 : 200) * windowS;
/** Whole windows measured. */
const windows = quick ? 2 : 6;
const maxFriends = quick ? 200 : 2000;

const limitPerS = limit / windowS;
const bound = concurrency / (REFERENCE_LATENCY_MS / 1000);
const dir = mkdtempSync(join(tmpdir(), 'ff-rate-limited-'));
const rows = [];
try {
  // The quick run (a smoke test) only learns the budget from headers, the harder case.
  for (const told of quick ? [false] : [true, false]) {
    const usersFile = join(dir, 'users.csv');
    // Enough users to keep every slot busy for the measured windows and the three around them.
    const users = writeUsersSample(usersFile, Math.round(concurrency + (limitPerS * windowS * (windows + 3)) / meanRequestsPerUser(maxFriends)));
    const sim = await startSimProcess([
      '--users',
      String(SIM_USERS),
      '--seed',
      String(SIM_SEED),
      '--latency-ms',
      String(REFERENCE_LATENCY_MS),
      '--rate-limit',
      String(limit),
      '--rate-window',
      `${windowS}s`,
    ]);
    try {
      const run = await runCollectProcess({
        sim,
        usersFile,
        warehouse: join(dir, `warehouse-${told}.duckdb`),
        sink: 'host',
        env: {
          ...DYNO_ENV,
          MAX_THREADS: String(concurrency),
          MAX_FRIENDS: String(maxFriends),
          ...(told ? { RATE_LIMIT: String(limit), RATE_WINDOW: `${windowS}s` } : {}),
        },
        nodeArgs: DYNO_NODE_ARGS,
      });
      const w = run.warehouse;
      // Whole windows of the sim's clock (aligned to the epoch) while every slot was busy, leaving out
      // the first: a worker that starts mid-window spends its first budget across two of the source's.
      const windowMs = windowS * 1000;
      const from = (Math.ceil(w.firstStartMs / windowMs) + 1) * windowMs;
      const to = Math.max(from + windowMs, Math.floor(w.lastStartMs / windowMs) * windowMs);
      const rates = windowRates(run.samples, from, to);
      rows.push({
        scenario: `${limit} requests / ${windowS} s, ${told ? 'RATE_LIMIT set' : 'learnt from headers'}${quick ? ', lists capped at 200' : ''}`,
        concurrency,
        achieved_pages_per_s: Number(rates.pagesPerS.toFixed(1)),
        limit_pages_per_s: limitPerS,
        bound_pages_per_s: bound,
        ratio: Number((rates.pagesPerS / limitPerS).toFixed(3)),
        http_429: run.rateLimited,
        worker_429: run.stats.rateLimited,
        cpu_s_per_1000_pages: Number(((rates.workerCpuS * 1000) / rates.pages).toFixed(3)),
        peak_rss_mb: Math.round(Math.max(...run.samples.map((x) => x.worker.peakRssMb))),
        window_s: Number(rates.seconds.toFixed(1)),
        users_saved: w.rows,
        unsaved_requests: run.unsavedRequests,
      });
      if (w.rows !== users || run.unsavedRequests !== 0 || w.failedUsers !== 0) {
        throw new Error(`${users} users, ${w.rows} rows, ${w.failedUsers} failed, ${run.unsavedRequests} requests without a saved row`);
      }
    } finally {
      sim.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printTable(`Rate-limited: ${limit} requests per ${windowS} s window (${limitPerS}/s), ${concurrency} users in flight (bound ${bound}/s), sim latency ${REFERENCE_LATENCY_MS} ms`, rows);
writeResults('rate-limited', rows);
