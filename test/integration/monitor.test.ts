/// <reference lib="dom" />
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runCollect } from '../../src/cli/worker.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import type { MonitorReport } from '../../src/monitor/report.ts';
import { CLI, runCli } from '../support/cli.ts';
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
  for (const [partition, limit] of [
    ['1', undefined],
    ['2', undefined],
    ['3', '100'],
  ] as const) {
    await runCollect(
      {
        users: usersFile,
        source: 'twitter-html',
        sourceUrl: sim.url,
        sink: `duckdb:${db}`,
        partition,
        partitions: '3',
        worker: `worker-${partition}`,
        tier: 'standard-1x',
        progress: 'off',
        heartbeatInterval: '1s',
        ...(limit ? { usersLimit: limit } : {}),
      },
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
      expect(report.partition_progress.map((p) => [p.partition_id, p.assigned, p.processed])).toEqual(plan.map((p, i) => [p.partition_id, Number(p.user_count), Number(perBucket[i]!.n)]));
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
    // Text mode: progress first, one line per bucket, every line within 100 columns.
    const text = await runCli(['monitor', '--sink', `duckdb:${db}`]);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[2]).toBe('Progress of twitter-html: 2/3 buckets done');
    expect(lines[3]).toMatch(new RegExp(`^total\\s+\\d+\\.\\d%\\s+${(report.overall[0]!.processed as number).toLocaleString('en-US')}/3,000\\s.*stopped$`));
    expect(lines[6]).toMatch(new RegExp(`^p3\\s+\\d+\\.\\d%\\s+100/${Number(report.partition_progress[2]!.assigned).toLocaleString('en-US')}\\s.*stopped$`));
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(text.stdout).toMatch(/\nRuns, newest first .*\nrun\s+bucket\s+tier\s+threads\s+outcome\s+users\s+minutes\s+users\/h\n/);
  });

  it("after a re-partition from 3 to 2 buckets, monitor counts the users by the new plan's ID ranges", async () => {
    // The rows say partition 1, 2 or 3 of the old plan; a bucket number would count them in the wrong bucket.
    const copy = join(dir, 'repartitioned.duckdb');
    copyFileSync(db, copy);
    expect((await runCli(['partition', '--source', 'twitter-html', '--users', usersFile, '--partitions', '2', '--sink', `duckdb:${copy}`])).code).toBe(0);
    const report = JSON.parse((await runCli(['monitor', '--sink', `duckdb:${copy}`, '--format', 'json'])).stdout) as MonitorReport;
    await withWarehouse(copy, async (w) => {
      const inRange = await w.query(
        `SELECT p.partition_id, p.user_count, count(l.user_id) AS n FROM partitions_latest AS p
         LEFT JOIN user_friends_latest AS l ON CAST(l.user_id AS HUGEINT) BETWEEN CAST(p.min_id AS HUGEINT) AND CAST(p.max_id AS HUGEINT)
         GROUP BY ALL ORDER BY p.partition_id`,
      );
      expect(inRange).toHaveLength(2);
      expect(report.partition_progress.map((p) => [p.partition_id, p.assigned, p.processed])).toEqual(inRange.map((r) => [r.partition_id, Number(r.user_count), Number(r.n)]));
      const [total] = await w.query(`SELECT count(*) AS n FROM user_friends_latest`);
      expect(report.overall.map((o) => [o.buckets, o.processed, o.assigned])).toEqual([[2, Number(total!.n), 3000]]);
    });
    // The old plan's buckets 1 and 2 (every user up to the old p2's last ID) cover the new p1: done, no ETA.
    const [p1, p2] = report.partition_progress;
    expect(p1).toMatchObject({ state: 'done', percent: 100, remaining: 0, eta_hours: null });
    expect(p2).toMatchObject({ state: 'stopped', eta_hours: null });
    expect(Number(p2!.processed)).toBeLessThan(Number(p2!.assigned));
  });

  it('a run without buckets (no PARTITION) shows its progress over the whole table', async () => {
    const whole = join(dir, 'whole.duckdb');
    await runCollect(
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${whole}`, usersLimit: '40', tier: 'standard-1x', progress: 'off', heartbeatInterval: '1s' },
      { env: {}, isTTY: false, handleSignals: false, log: quiet },
    );
    const text = await runCli(['monitor', '--sink', `duckdb:${whole}`]);
    const lines = text.stdout.split('\n');
    expect(lines[2]).toBe('Progress of twitter-html: 0/1 buckets done');
    expect(lines[3]).toMatch(/^total\s+1\.3%\s+40\/3,000\s+stopped$/);
    expect(lines[4]).toMatch(/^all\s+1\.3%\s+40\/3,000\s+stopped$/);
  });

  it('monitor --watch --html rewrites a page that reloads itself, until interrupted', async () => {
    const page = join(dir, 'watched.html');
    const child = spawn(process.execPath, [CLI, 'monitor', '--sink', `duckdb:${db}`, '--watch', '--interval', '1s', '--html', page], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Two rounds written: the page twice (its generation time changes), the text twice.
    const generated = new Set<string>();
    while (generated.size < 2) {
      if (existsSync(page)) generated.add(/data-generated="([^"]+)"/.exec(readFileSync(page, 'utf8'))?.[1] ?? '');
      await sleep(200);
    }
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain('<meta http-equiv="refresh" content="1">');
    expect(stdout.split('friendfleet monitor ·').length - 1).toBeGreaterThanOrEqual(2);
    // Without --watch, the page does not reload itself.
    await runCli(['monitor', '--sink', `duckdb:${db}`, '--html', page]);
    expect(readFileSync(page, 'utf8')).not.toContain('http-equiv="refresh"');
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
      const fetched: string[] = [];
      tab.on('request', (request) => fetched.push(request.url()));
      await tab.goto(`file://${page}`, { waitUntil: 'load' });
      expect(await tab.title()).toBe('friendfleet monitor');
      // Self-contained: the page itself is all the browser loads (no script, stylesheet or image elsewhere).
      expect(fetched).toEqual([`file://${page}`]);
      const cells = await tab.$$eval('table[data-view="partition_progress"] tbody tr', (rows) =>
        rows.map((row) => Object.fromEntries([...row.querySelectorAll('td')].map((td) => [td.dataset.col, td.dataset.value]))),
      );
      expect(cells.map((c) => [Number(c.partition_id), Number(c.assigned), Number(c.processed), Number(c.percent)])).toEqual(
        report.partition_progress.map((p) => [p.partition_id, p.assigned, p.processed, p.percent]),
      );
      const bars = await tab.$$eval('.bar[data-partition]', (els) =>
        els.map((e) => [Number((e as HTMLElement).dataset.partition), Number((e as HTMLElement).dataset.percent), parseFloat((e.querySelector('.fill') as HTMLElement).style.width)]),
      );
      expect(bars).toEqual(report.partition_progress.map((p) => [p.partition_id, p.percent, Number(Math.min(100, Number(p.percent)).toFixed(2))]));
      const total = await tab.$eval('.bar[data-total]', (e) => Number((e as HTMLElement).dataset.percent));
      expect(total).toBe(report.overall[0]!.percent);
      expect(await tab.$eval('h3', (e) => e.textContent)).toBe('twitter-html: 2/3 buckets done');
      expect(await tab.$eval('.bar[data-total] .figures', (e) => e.textContent)).toMatch(/ · stopped$/);
      const trialUsers = await tab.$$eval('table[data-view="trial_summary"] td[data-col="distinct_users"]', (tds) => tds.map((td) => Number((td as HTMLElement).dataset.value)));
      expect(trialUsers).toEqual(report.trial_summary.map((t) => t.distinct_users));
      // Each chart: a line per worker and one for them all, over every slot: lines, not dots.
      const workers = [...new Set(report.workers.map((w) => String(w.worker)))].sort();
      const slots = new Set(report.activity.map((a) => a.slot_start)).size;
      expect(slots).toBeGreaterThan(3);
      for (const chart of ['users', 'rate_limited', 'waiting']) {
        const lines = await tab.$$eval(`[data-chart="${chart}"] polyline`, (ls) => ls.map((l) => [l.getAttribute('data-series'), Number(l.getAttribute('data-points'))]));
        expect(lines.map(([name]) => name).sort(), chart).toEqual([...workers, 'all workers'].sort());
        expect(
          lines.every(([, points]) => points === slots),
          chart,
        ).toBe(true);
      }
      // The users chart's total line adds up to the users the heartbeats counted (the runs' totals).
      const drawn = report.activity.reduce((a, s) => a + s.users, 0);
      expect(drawn).toBeCloseTo(
        report.workers.reduce((a, w) => a + Number(w.users_done), 0),
        6,
      );
      mkdirSync(join(dir, 'shots'), { recursive: true });
      const shot = await tab.screenshot({ path: join(dir, 'shots', 'monitor.png'), fullPage: true });
      expect(shot.length).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
