import { describe, expect, it } from 'vitest';
import type { ActivitySlot } from '../../src/monitor/activity.ts';
import type { MonitorReport, ReportRow } from '../../src/monitor/report.ts';
import { fitScreen, renderMonitorText, TEXT_WIDTH } from '../../src/monitor/render-text.ts';

const GENERATED = '2026-01-01T12:00:00.000Z';
const long = (s: string, n: number) => s.repeat(Math.ceil(n / s.length)).slice(0, n);

function bucket(source: string, k: number, over: ReportRow = {}): ReportRow {
  return {
    source,
    partition_id: k,
    partitions: 40,
    min_id: String(k * 1e15),
    max_id: String((k + 1) * 1e15 - 1),
    assigned: 90_000,
    processed: 90_000,
    failed: 12,
    remaining: 0,
    percent: 100,
    users_per_hour: null,
    eta_hours: null,
    state: 'done',
    last_activity_at: GENERATED,
    ...over,
  };
}

/** A fleet far larger than the screen: 40 buckets of two sources, long names and errors, a stalled worker. */
function bigReport(): MonitorReport {
  const sources = ['twitter-api', 'bluesky'];
  const partition_progress = sources.flatMap((source) =>
    Array.from({ length: 40 }, (_, i) =>
      bucket(
        source,
        i + 1,
        i === 3
          ? { processed: 45_123, remaining: 44_877, percent: 50.137, users_per_hour: 12_345.6, eta_hours: 3.6, state: 'running' }
          : i === 7
            ? { processed: 10, remaining: 89_990, percent: 0.011, state: 'stalled' }
            : i > 30
              ? { processed: 0, remaining: 90_000, percent: 0, state: 'waiting' }
              : {},
      ),
    ),
  );
  const overall = sources.map((source) => ({
    source,
    buckets: 40,
    done_buckets: 29,
    assigned: 3_600_000,
    processed: 2_835_133,
    failed: 480,
    remaining: 764_867,
    percent: 78.75,
    users_per_hour: 12_345.6,
    eta_hours: null,
    state: 'running',
    running: 1,
    stalled: 1,
    idle: 9,
  }));
  const workers = Array.from({ length: 12 }, (_, i) => ({
    worker: `${long('a-very-long-kubernetes-pod-name-', 60)}-${i}`,
    run_id: `run-20260101T100000Z-${String(i).padStart(6, '0')}`,
    source: sources[i % 2]!,
    partition_id: i + 1,
    min_id: null,
    max_id: null,
    state: i === 0 ? 'stalled' : i < 6 ? 'running' : 'finished',
    started_at: '2026-01-01T10:00:00.000Z',
    last_beat_at: '2026-01-01T11:59:31.000Z',
    users_done: 123_456,
    rate_limited: 98_765,
  }));
  const failures = ['FF_SOURCE_TRANSIENT', 'FF_SOURCE_INVALID_RESPONSE', 'other'].flatMap((error_class, k) =>
    [1, 2, 3].map((example) => ({
      source: 'twitter-api',
      error_class,
      users: 1000 - k,
      example,
      user_id: `12000000000000000${example}`,
      error: `${error_class}: ${long('server error 503 with a very long explanation ', 300)}`,
    })),
  );
  const activity: ActivitySlot[] = Array.from({ length: 60 }, (_, i) => ({
    slot_start: new Date(Date.parse(GENERATED) - (60 - i) * 60_000).toISOString(),
    slot_seconds: 60,
    worker: 'w1',
    users: i * 3,
    requests: i * 9,
    rate_limited: i % 7,
    rate_limit_wait_seconds: i * 2,
  }));
  const trial_summary = Array.from({ length: 20 }, (_, i) => ({
    run_id: `run-20260101T100000Z-${String(i).padStart(6, '0')}`,
    source: 'twitter-api',
    worker: long('w', 50),
    partition_id: i + 1,
    tier: 'performance-l',
    users_limit: null,
    batch_size: 20,
    threads: 2500,
    outcome: 'interrupted',
    distinct_users: 1_234_567,
    runtime_minutes: 12_345.67,
    avg_friends: 321.5,
    users_per_hour: 123_456.7,
    avg_seconds_per_user: 4.2,
    ok: 1,
    protected: 1,
    not_found: 1,
    suspended: 1,
    failed: 123_456,
  }));
  return {
    generated_at: GENERATED,
    overall,
    partition_progress,
    workers,
    failures,
    activity,
    trial_summary,
    status_breakdown: ['ok', 'protected', 'not_found', 'suspended', 'failed'].flatMap((status) =>
      sources.map((source) => ({ source, status, error_class: status === 'failed' ? 'FF_SOURCE_TRANSIENT' : status, users: 1_000_000, percent: 20 })),
    ),
    throughput_timeline: [],
    completeness: sources.map((source) => ({ source, ok_users: 3_000_000, with_expected: 2_999_999, short_lists: 12_345, missing_accounts: 1_234_567, short_share: 0.0041 })),
    short_lists: Array.from({ length: 20 }, (_, i) => ({
      user_id: `1${'2'.repeat(18)}${i}`,
      screen_name: long('someone_with_a_long_handle.bsky.social', 80),
      source: 'bluesky',
      partition_id: 3,
      friend_count: 1,
      expected_count: 1_999_999,
      missing: 1_999_998,
      missing_share: 0.99,
    })),
  };
}

describe('the terminal view', () => {
  it('fits 100 columns on a terminal and in a pipe, whatever the names, counts and errors', () => {
    for (const tty of [true, false]) {
      const text = renderMonitorText(bigReport(), { tty, sink: `duckdb:${long('/very/long/path', 200)}.duckdb` });
      const lines = text.trimEnd().split('\n');
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(TEXT_WIDTH);
      expect(lines.length).toBeGreaterThan(40);
    }
  });

  it('puts progress first: the total per source, then stalled and running buckets, the rest counted', () => {
    const lines = renderMonitorText(bigReport(), { tty: true }).split('\n');
    expect(lines[2]).toBe('Progress');
    expect(lines[3]).toBe('twitter-api: 29/40 buckets done, 1 running, 1 stalled');
    expect(lines[4]).toMatch(/^total\s+\[#{13}-{3}\]\s+78\.8%  2,835,133\/3,600,000  12,346 users\/h  ETA \? \(10 not running\)$/);
    expect(lines[5]).toMatch(/^p8\s+\[-{16}\]\s+0\.0%\s+10\/90,000\s+stalled: no heartbeat$/);
    expect(lines[6]).toMatch(/^p4\s+\[#{8}-{8}\]\s+50\.1%\s+45,123\/90,000  12,346 users\/h  ETA 3h36m$/);
    expect(lines[7]).toMatch(/^p32\s+\[-{16}\]\s+0\.0%\s+0\/90,000\s+not started$/);
    expect(lines[16]).toBe('… 29 more buckets: 29 done');
    expect(lines[17]).toBe('bluesky: 29/40 buckets done, 1 running, 1 stalled');
  });

  it('says "done" for a finished bucket, "measuring" for a running one without a rate yet, and names a run over the whole table', () => {
    const report = bigReport();
    report.overall = [
      { source: 'bluesky', buckets: 1, done_buckets: 0, assigned: 500, processed: 20, remaining: 480, percent: 4, users_per_hour: null, eta_hours: null, state: 'running', running: 1, stalled: 0 },
    ];
    report.partition_progress = [bucket('bluesky', 1, { partition_id: null, min_id: null, max_id: null, assigned: 500, processed: 20, remaining: 480, percent: 4, state: 'running' })];
    const text = renderMonitorText(report, { tty: false });
    expect(text).toContain('\nProgress of bluesky: 0/1 buckets done, 1 running\n');
    expect(text).toMatch(/\nall\s+4\.0%\s+20\/500\s+ETA \? \(measuring\)\n/);
    report.partition_progress = [bucket('bluesky', 2)];
    expect(renderMonitorText(report, { tty: false })).toMatch(/\np2\s+100\.0%\s+90,000\/90,000\s+done\n/);
    // A stopped bucket's last pace is not shown as if it still ran.
    report.partition_progress = [bucket('bluesky', 3, { processed: 40, remaining: 89_960, percent: 0.044, users_per_hour: 250_000, state: 'stopped' })];
    expect(renderMonitorText(report, { tty: false })).toMatch(/\np3\s+0\.0%\s+40\/90,000\s+stopped\n/);
  });

  it('lists the workers, the stalled one first, with the time since its last heartbeat', () => {
    const text = renderMonitorText(bigReport(), { tty: true });
    expect(text).toContain('Workers: 5 running, 1 stalled (no heartbeat for 3 intervals)');
    const rows = text.split('\n').filter((l) => / (stalled|running|finished) +29s ago/.test(l));
    expect(rows).toHaveLength(9);
    expect(rows[0]).toMatch(/^a-very-long.*…\s+twitter-api\s+p1\s+stalled\s+29s ago\s+123,456\s+98,765\s+run-20260101T100000Z-000000$/);
    // A heartbeat stamped after the report (a worker's clock ahead of the monitor's) is no "? ago".
    const report = bigReport();
    report.workers[1]!.last_beat_at = '2026-01-01T12:00:02.000Z';
    expect(renderMonitorText(report, { tty: false })).toMatch(/\na-very-long…\s+bluesky\s+p2\s+running\s+0s ago\s/);
  });

  it('shows activity as sparklines, failures by reason with examples, statuses and completeness', () => {
    const text = renderMonitorText(bigReport(), { tty: true });
    expect(text).toMatch(
      /\nActivity 11:00:00–12:00:00 UTC, one mark per 1m00s\nusers\/h  [ ▁-█]{60} +last 10,620, peak 10,620\n429s {5}[ ▁-█]{60} +\d+ in all\nwaiting  [ ▁-█]{60} +\d+(\.\d)? requests held now\n/,
    );
    expect(text).toContain('Failed users: 2,997, by reason, with the newest examples');
    expect(text).toMatch(/\nFF_SOURCE_TRANSIENT\s+1,000  server error 503 with a very long .*…\n  e\.g\. 120000000000000001, 120000000000000002, 120000000000000003\n/);
    expect(text).toContain('Statuses: twitter-api ok 1,000,000 (20.0%) · bluesky ok 1,000,000 (20.0%)');
    expect(text).toContain('Shortest lists (5 of the 20 missing the most; all in --format json)');
  });

  it('cuts a screen to the terminal height for --watch, saying how much it left out', () => {
    const text = renderMonitorText(bigReport(), { tty: true });
    const screen = fitScreen(text, 30).trimEnd().split('\n');
    expect(screen).toHaveLength(30);
    expect(screen[2]).toBe('Progress');
    expect(screen[29]).toMatch(/^… \d+ more lines: a taller terminal, or monitor without --watch$/);
    expect(fitScreen('a\nb\n', 30)).toBe('a\nb\n');
  });

  it('says what is missing in an empty warehouse', () => {
    const empty: MonitorReport = {
      generated_at: GENERATED,
      overall: [],
      partition_progress: [],
      workers: [],
      failures: [],
      activity: [],
      trial_summary: [],
      status_breakdown: [],
      throughput_timeline: [],
      completeness: [],
      short_lists: [],
    };
    const text = renderMonitorText(empty, { tty: true });
    expect(text).toContain('Progress\n(no buckets and no runs yet)');
    expect(text).toContain('Activity\n(no heartbeats yet)');
    expect(text).toContain('Failed users: none');
  });
});
