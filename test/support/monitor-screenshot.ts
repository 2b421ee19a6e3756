/**
 * Regenerates docs/monitor.png, the README's picture of `friendfleet monitor --html`, from a real local
 * run: a sim, a stored plan of 4 buckets, 4 workers (the last one stopped early), the page in Chromium.
 * Run: npm run docs:screenshot
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pino from 'pino';
import { runCollect } from '../../src/cli/worker.ts';
import { DUCKDB_VIEWS, readMonitorReport } from '../../src/monitor/report.ts';
import { renderMonitorHtml } from '../../src/monitor/render-html.ts';
import { openForReading } from '../../src/sinks/registry.ts';
import { startSim } from '../../src/sim/server.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { CLI } from './cli.ts';
import { launchChromium } from './browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'ff-shot-'));
const sim = await startSim({ users: 4000, seed: 3, latencyMs: 2 });
try {
  const users = join(dir, 'users.csv');
  const db = join(dir, 'w.duckdb');
  await writeUsersFile(sim.graph, users, { withCounts: true });
  spawnSync(process.execPath, [CLI, 'partition', '--source', 'twitter-html', '--users', users, '--partitions', '4', '--sink', `duckdb:${db}`], { stdio: 'ignore' });
  for (const [partition, limit] of [['1', undefined], ['2', undefined], ['3', undefined], ['4', '300']] as const) {
    await runCollect(
      { users, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${db}`, partition, worker: `worker-${partition}`, tier: 'standard-1x', progress: 'off', heartbeatInterval: '1s', ...(limit ? { usersLimit: limit } : {}) },
      { env: {}, isTTY: false, handleSignals: false, log: pino({ level: 'silent' }) },
    );
  }
  const warehouse = await openForReading({ kind: 'duckdb', path: db });
  const report = await readMonitorReport(warehouse, DUCKDB_VIEWS, { runs: 20, slots: 12 });
  await warehouse.close();
  const page = join(dir, 'monitor.html');
  writeFileSync(page, renderMonitorHtml(report));
  const browser = await launchChromium();
  const tab = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  await tab.goto(`file://${page}`);
  await tab.screenshot({ path: new URL('../../docs/monitor.png', import.meta.url).pathname, fullPage: true });
  await browser.close();
  process.stdout.write('wrote docs/monitor.png\n');
} finally {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
