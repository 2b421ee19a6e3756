/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runCollect } from '../../src/cli/worker.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import type { MonitorReport } from '../../src/monitor/report.ts';
import { runCli } from '../support/cli.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { withWarehouse } from '../support/warehouse.ts';
import { launchChromium } from '../support/browser.ts';

const dir = tempDir();
const quiet = pino({ level: 'silent' });
describe('monitor and plan after a local fleet run', async () => {
  const sim = await useSim({ users: 3_000, seed: 31, latencyMs: 1 });
  const usersFile = join(dir, 'users.csv');
  await writeUsersFile(sim.graph, usersFile, { withCounts: true });
  const db = join(dir, 'fleet.duckdb');
  const planned = await runCli(['partition', '--source', 'twitter-html', '--users', usersFile, '--partitions', '3', '--sink', `duckdb:${db}`]);
  expect(planned.code).toBe(0);
  // Three workers, as a fleet would run them, into one warehouse; the third stops early.
  for (const [partition, limit] of [['1', undefined], ['2', undefined], ['3', '100']] as const) {
    await runCollect(
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${db}`, partition, partitions: '3', tier: 'standard-1x', progress: 'off', heartbeatInterval: '1s', ...(limit ? { usersLimit: limit } : {}) },
      { env: {}, isTTY: false, handleSignals: false, log: quiet },
    );
  }

  it('monitor --format json gives the figures the rows give', async () => {
    const r = await runCli(['monitor', '--sink', `duckdb:${db}`, '--format', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as MonitorReport;
    await withWarehouse(db, async (w) => {
      const perBucket = await w.query(`SELECT partition_id, count(*) AS n FROM user_friends GROUP BY partition_id ORDER BY partition_id`);
      const plan = await w.query(`SELECT partition_id, user_count FROM partitions_latest ORDER BY partition_id`);
      expect(report.partition_progress.map((p) => [p.partition_id, p.assigned, p.processed])).toEqual(
        plan.map((p, i) => [p.partition_id, Number(p.user_count), Number(perBucket[i]!.n)]),
      );
      expect(report.partition_progress.map((p) => p.percent)).toEqual([100, 100, (100 * 100) / Number(plan[2]!.user_count)]);
      expect(report.partition_progress[2]!.remaining).toBe(Number(plan[2]!.user_count) - 100);
      const [total] = await w.query(`SELECT count(*) AS n FROM user_friends_latest`);
      expect(report.status_breakdown.reduce((a, s) => a + Number(s.users), 0)).toBe(Number(total!.n));
      expect(report.trial_summary).toHaveLength(3);
      for (const t of report.trial_summary) {
        const [rows] = await w.query(`SELECT count(DISTINCT user_id) AS n, avg(friend_count) FILTER (WHERE status = 'ok') AS f FROM user_friends WHERE run_id = $1`, [String(t.run_id)]);
        expect(t.distinct_users).toBe(Number(rows!.n));
        expect(t.avg_friends).toBeCloseTo(Number(rows!.f), 9);
        expect(t).toMatchObject({ tier: 'standard-1x', batch_size: 20, threads: 50, outcome: 'finished' });
      }
      expect(report.trial_summary.find((t) => t.partition_id === 3)!.users_limit).toBe(100);
      // Requests in the timeline add up to the runs' request counters (from heartbeats).
      const [requests] = await w.query(`SELECT sum(requests) AS n FROM runs_latest`);
      expect(report.throughput_timeline.reduce((a, s) => a + Number(s.requests), 0)).toBe(Number(requests!.n));
    });
    // Text mode shows the reference's trial columns and one line per partition.
    const text = await runCli(['monitor', '--sink', `duckdb:${db}`]);
    expect(text.stdout).toMatch(/run_id\s+worker\s+partition_id\s+tier\s+users_limit\s+batch_size\s+threads\s+outcome\s+distinct_users\s+runtime_minutes\s+avg_friends\s+users_per_hour/);
    expect(text.stdout).toContain(`partition 3: 100/${report.partition_progress[2]!.assigned} users`);
  });

  it('plan takes its rate from the newest finished trial, as monitor reports it', async () => {
    const monitor = JSON.parse((await runCli(['monitor', '--sink', `duckdb:${db}`, '--format', 'json'])).stdout) as MonitorReport;
    const newest = [...monitor.trial_summary].sort((a, b) => String(b.last_end).localeCompare(String(a.last_end)))[0]!;
    const r = await runCli(['plan', '--sink', `duckdb:${db}`, '--users', '3600000', '--workers', '10', '--format', 'json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { inputs: { rate: number; rate_source: string; rate_warning: string; rate_threads: number }; clock: { days: number }[] };
    expect(plan.inputs.rate).toBeCloseTo(Number(newest.users_per_hour), 6);
    // Issue 15 §6: it says the rate is the sim's, and does not project it onto a real source.
    expect(plan.inputs.rate_source).toBe(`measured in run ${newest.run_id} on standard-1x, twitter-html on the sim at ${sim.url}`);
    expect(plan.inputs.rate_warning).toMatch(/^this rate is the sim's \(no real delay or rate limit\)/);
    const real = await runCli(['plan', '--sink', `duckdb:${db}`, '--users', '3600000', '--workers', '10', '--source', 'bluesky', '--format', 'json']);
    const bluesky = (JSON.parse(real.stdout) as { inputs: { rate: number; rate_source: string; rate_warning: string } }).inputs;
    expect(bluesky.rate).toBe(1800);
    expect(bluesky.rate_source).toBe("bound by bluesky's budget: 3000 requests per 5 min ÷ 20 pages per user (every user at the 2,000 cap; pass --pages-per-user for your users)");
    expect(bluesky.rate_warning).toBe(`run ${newest.run_id} ran on the sim (${Math.round(Number(newest.users_per_hour))} users/hour, no real delay or limit): not used for bluesky`);
    expect(plan.inputs.rate_threads).toBe(50);
    expect(plan.clock[0]!.days).toBeCloseTo(3_600_000 / (plan.inputs.rate * 24 * 10), 9);
  });

  it('monitor --html renders in Chromium with the same numbers as the views', async () => {
    const page = join(dir, 'monitor.html');
    const r = await runCli(['monitor', '--sink', `duckdb:${db}`, '--format', 'json', '--html', page]);
    const report = JSON.parse(r.stdout) as MonitorReport;
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await tab.goto(`file://${page}`);
      expect(await tab.title()).toBe('friendfleet monitor');
      const cells = await tab.$$eval('table[data-view="partition_progress"] tbody tr', (rows) =>
        rows.map((row) => Object.fromEntries([...row.querySelectorAll('td')].map((td) => [td.dataset.col, td.dataset.value]))),
      );
      expect(cells.map((c) => [Number(c.partition_id), Number(c.assigned), Number(c.processed), Number(c.percent)])).toEqual(
        report.partition_progress.map((p) => [p.partition_id, p.assigned, p.processed, p.percent]),
      );
      const bars = await tab.$$eval('.bar', (els) => els.map((e) => [Number((e as HTMLElement).dataset.partition), Number((e as HTMLElement).dataset.percent), parseFloat((e.querySelector('.fill') as HTMLElement).style.width)]));
      expect(bars).toEqual(report.partition_progress.map((p) => [p.partition_id, p.percent, Number(Math.min(100, Number(p.percent)).toFixed(2))]));
      const trialUsers = await tab.$$eval('table[data-view="trial_summary"] td[data-col="distinct_users"]', (tds) => tds.map((td) => Number((td as HTMLElement).dataset.value)));
      expect(trialUsers).toEqual(report.trial_summary.map((t) => t.distinct_users));
      const workers = await tab.$$eval('svg polyline', (lines) => lines.map((l) => l.getAttribute('data-worker')));
      expect(workers.sort()).toEqual([...new Set(report.throughput_timeline.map((t) => String(t.worker)))].sort());
      mkdirSync(join(dir, 'shots'), { recursive: true });
      const shot = await tab.screenshot({ path: join(dir, 'shots', 'monitor.png'), fullPage: true });
      expect(shot.length).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
