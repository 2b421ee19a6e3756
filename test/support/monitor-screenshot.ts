/**
 * Regenerates docs/monitor.png, the picture of `friendfleet monitor --html` in docs/monitoring.md, from a
 * real local fleet caught mid-run: a sim with a rate limit its four workers share without Redis (so they
 * meet 429s) and a few broken users, a stored plan of 4 buckets, `friendfleet fleet`, and the page
 * rendered in Chromium once the fleet is about half done; prints the same report as text (for
 * docs/monitoring.md). Run: npm run docs:screenshot
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DUCKDB_VIEWS, readMonitorReport, type MonitorReport } from '../../src/monitor/report.ts';
import { renderMonitorHtml } from '../../src/monitor/render-html.ts';
import { renderMonitorText } from '../../src/monitor/render-text.ts';
import { openForReading } from '../../src/sinks/registry.ts';
import { startSim } from '../../src/sim/server.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { CLI } from './cli.ts';
import { launchChromium } from './browser.ts';

const dir = mkdtempSync(join(tmpdir(), 'ff-shot-'));
const sim = await startSim({ users: 6000, seed: 3, latencyMs: 20, rateLimit: 300, rateWindowMs: 2000, brokenShare: 0.005 });
try {
  const users = join(dir, 'users.csv');
  const db = join(dir, 'w.duckdb');
  await writeUsersFile(sim.graph, users, { withCounts: true });
  spawnSync(process.execPath, [CLI, 'partition', '--source', 'twitter-html', '--users', users, '--partitions', '4', '--sink', `duckdb:${db}`], { stdio: 'ignore' });
  const fleet = spawn(
    process.execPath,
    [CLI, 'fleet', '--source', 'twitter-html', '--users', users, '--partitions', '4', '--sink', `duckdb:${db}`, '--source-url', sim.url, '--max-threads', '25', '--tier', 'standard-1x'],
    {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), HEARTBEAT_INTERVAL: '1s', LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    },
  );
  const exited = new Promise((resolve) => fleet.on('close', resolve));
  let report: MonitorReport | undefined;
  const started = Date.now();
  // About half done, with a minute of activity to draw (or whatever there is after three minutes).
  while (Date.now() - started < 180_000) {
    await sleep(2000);
    const warehouse = await openForReading({ kind: 'duckdb', path: db }).catch(() => undefined);
    if (!warehouse) continue;
    try {
      report = await readMonitorReport(warehouse, DUCKDB_VIEWS, { runs: 20, slots: 12 });
    } catch {
      continue;
    } finally {
      await warehouse.close();
    }
    if (Number(report.overall[0]?.percent ?? 0) >= 45 && Date.now() - started > 60_000) break;
  }
  fleet.kill('SIGTERM');
  await exited;
  if (!report) throw new Error('the fleet wrote nothing to monitor');
  const page = join(dir, 'monitor.html');
  writeFileSync(page, renderMonitorHtml(report, { sink: 'duckdb:./friendfleet.duckdb' }));
  const browser = await launchChromium();
  const tab = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  await tab.goto(`file://${page}`);
  await tab.screenshot({ path: new URL('../../docs/monitor.png', import.meta.url).pathname, fullPage: true });
  await browser.close();
  process.stdout.write(`wrote docs/monitor.png (${report.overall[0]?.processed} of ${report.overall[0]?.assigned} users); the same report as text:\n\n`);
  process.stdout.write(renderMonitorText(report, { tty: true, sink: 'duckdb:./friendfleet.duckdb' }));
} finally {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
