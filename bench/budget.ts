/**
 * Requests a second admitted by a rate-limit budget with no limit set, 2 ms per request, 50 and
 * 500 at a time: bottleneck's local limiter against friendfleet's LocalBudget.
 * Run: node bench/budget.ts
 */
import Bottleneck from 'bottleneck';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalBudget } from '../src/collector/budget.ts';
import { printTable, writeResults } from './table.ts';

async function rate(schedule: (fn: () => Promise<void>) => Promise<void>, concurrency: number, jobs: number): Promise<number> {
  let k = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (k < jobs) {
        k++;
        await schedule(() => sleep(2));
      }
    }),
  );
  return (jobs / (performance.now() - t0)) * 1000;
}

const quick = process.argv.includes('--quick');
const rows = [];
for (const concurrency of [50, 500]) {
  const jobs = quick ? 1000 : 4000;
  const bottleneck = new Bottleneck({});
  const local = new LocalBudget({ windowMs: 60_000 });
  rows.push({
    concurrency,
    bottleneck_jobs_per_s: Math.round(await rate((fn) => bottleneck.schedule(fn), concurrency, jobs)),
    local_budget_jobs_per_s: Math.round(await rate((fn) => local.schedule(fn), concurrency, jobs)),
  });
  await local.close();
}
printTable('Rate-limit budget throughput (no limit set, 2 ms jobs)', rows);
writeResults('budget', rows);
