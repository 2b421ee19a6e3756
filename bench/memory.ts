/**
 * Where a worker's memory goes at 2,500 users in flight: the throughput benchmark's 2,500 run (rows
 * through a warehouse host, the dyno's Node flags), with bench/memory-probe.mjs loaded into the worker
 * to read V8's figures and /proc/self/smaps every 500 ms. The row is the reading at the worker's
 * largest resident set, split by kind of memory:
 *
 * - `files_mb`: pages of the node binary and other files, shared with the page cache but counted in
 *   the resident set; `duckdb_library_mb` is DuckDB's library, which a worker writing to a warehouse
 *   host or BigQuery never maps (its users are staged in a child process that has ended).
 * - `v8_heap_mb`: V8's committed heap at that moment (`heapTotal`); `v8_heap_used_mb` of it held
 *   objects (live, or garbage not yet collected).
 * - `v8_kept_mb`: V8 heap pages resident beyond `heapTotal`: pages the heap once needed and gave back,
 *   which V8 keeps in its page pool for reuse rather than return to the system (only a memory-reducing
 *   GC releases them, and V8 starts none while the worker allocates fast).
 * - `malloc_main_mb`: malloc's main arena (ArrayBuffer contents such as socket reads, Node's and
 *   libuv's per-socket state); `other_anon_mb`: other threads' malloc arenas (V8's GC helpers, the
 *   libuv pool), WebAssembly memory (undici's HTTP parser), code, thread stacks.
 *
 * Further runs undo the dyno's settings (bench/workload.ts) one at a time, to show what each is worth:
 * 16 MB semi-spaces instead of 8, and glibc's default arenas (one per thread that allocates, up to 8 a
 * core) instead of MALLOC_ARENA_MAX=2.
 *
 * Run: node bench/memory.ts [--quick]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCollectProcess, windowRates } from './collect-process.ts';
import { startSimProcess } from './sim-process.ts';
import { printTable, writeResults } from './table.ts';
import { DYNO_ENV, DYNO_NODE_ARGS, DYNO_SETTINGS, meanRequestsPerUser, REFERENCE_LATENCY_MS, SIM_SEED, SIM_USERS, writeUsersSample } from './workload.ts';

interface Reading {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  nodeBinary: number;
  duckdbLibrary: number;
  otherFiles: number;
  v8Pages: number;
  mallocMain: number;
  otherAnon: number;
}

const quick = process.argv.includes('--quick');
const concurrency = quick ? 250 : 2500;
const steadySeconds = quick ? 5 : 60;
const maxFriends = quick ? 200 : 2000;
const RAMP_MS = 2000;
/** The dyno's settings, then each undone: V8's young generation, glibc's arenas. `env` replaces DYNO_ENV. */
const scenarios: { name: string; env: Record<string, string>; nodeArgs: string[] }[] = quick
  ? [{ name: 'dyno settings', env: DYNO_ENV, nodeArgs: [] }]
  : [
      { name: 'dyno settings', env: DYNO_ENV, nodeArgs: [] },
      { name: 'dyno settings but 16 MB semi-spaces', env: DYNO_ENV, nodeArgs: ['--max-semi-space-size=16'] },
      { name: 'dyno settings but default malloc arenas', env: {}, nodeArgs: [] },
      { name: 'neither (16 MB semi-spaces, default arenas)', env: {}, nodeArgs: ['--max-semi-space-size=16'] },
    ];

const probe = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ff-memory-'));
const rows = [];
try {
  const bound = concurrency / (REFERENCE_LATENCY_MS / 1000);
  const usersFile = join(dir, 'users.csv');
  const users = writeUsersSample(usersFile, Math.round(concurrency + (bound * (steadySeconds + RAMP_MS / 1000)) / meanRequestsPerUser(maxFriends)));
  for (const [i, scenario] of scenarios.entries()) {
    const probeFile = join(dir, `probe-${i}.json`);
    const sim = await startSimProcess(['--users', String(SIM_USERS), '--seed', String(SIM_SEED), '--latency-ms', String(REFERENCE_LATENCY_MS)]);
    try {
      const run = await runCollectProcess({
        sim,
        usersFile,
        warehouse: join(dir, `warehouse-${i}.duckdb`),
        sink: 'host',
        env: { MAX_THREADS: String(concurrency), MAX_FRIENDS: String(maxFriends), MEMORY_PROBE_FILE: probeFile, ...scenario.env },
        // A flag given twice takes its last value.
        nodeArgs: [...DYNO_NODE_ARGS, ...scenario.nodeArgs, `--import=${probe}`],
      });
      if (run.warehouse.rows !== users || run.unsavedRequests !== 0) {
        throw new Error(`${scenario.name}: ${users} users, ${run.warehouse.rows} rows, ${run.unsavedRequests} requests without a saved row`);
      }
      const readings = JSON.parse(readFileSync(probeFile, 'utf8')) as Reading[];
      const peak = readings.reduce((a, b) => (b.rss > a.rss ? b : a));
      const rates = windowRates(run.samples, run.warehouse.firstStartMs + RAMP_MS, run.warehouse.lastStartMs);
      const mb = (x: number) => Math.round(x);
      rows.push({
        scenario: `${scenario.name}${quick ? ', lists capped at 200' : ''}`,
        concurrency,
        ratio: Number((rates.pagesPerS / bound).toFixed(3)),
        peak_rss_mb: mb(Math.max(...run.samples.map((x) => x.worker.peakRssMb))),
        rss_at_reading_mb: mb(peak.rss),
        files_mb: mb(peak.nodeBinary + peak.duckdbLibrary + peak.otherFiles),
        duckdb_library_mb: mb(peak.duckdbLibrary),
        v8_heap_mb: mb(peak.heapTotal),
        v8_heap_used_mb: mb(peak.heapUsed),
        v8_kept_mb: mb(Math.max(0, peak.v8Pages - peak.heapTotal)),
        malloc_main_mb: mb(peak.mallocMain),
        other_anon_mb: mb(peak.otherAnon),
        array_buffers_mb: mb(peak.arrayBuffers),
        users_saved: run.warehouse.rows,
      });
    } finally {
      sim.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printTable(`Worker memory at its largest resident set, ${concurrency} users in flight (dyno settings: ${DYNO_SETTINGS})`, rows);
writeResults('memory', rows);
