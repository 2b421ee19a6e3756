/**
 * `npm run bench`: every benchmark in turn, each printing its table and writing bench/results/*.json.
 * `npm run bench -- --quick` is the short form CI runs to check that they run.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['parse.ts', 'budget.ts', 'duckdb-append.ts', 'makespan.ts', 'throughput.ts', 'memory.ts', 'rate-limited.ts', 'cpu-ceiling.ts', 'peer.ts', 'projection.ts', 'bluesky-network.ts'];
const extra = process.argv.slice(2);
let failed = 0;
const t0 = Date.now();
for (const bench of BENCHES) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(bench, import.meta.url)), ...extra], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`bench ${bench} failed with ${r.status ?? r.signal}\n`);
  }
  process.stdout.write(`(${bench}: ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}
process.stdout.write(`\n${BENCHES.length - failed} of ${BENCHES.length} benchmarks ran in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
process.exit(failed === 0 ? 0 : 1);
