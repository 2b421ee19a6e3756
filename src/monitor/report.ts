import type { Queryable } from '../sinks/sink.ts';
import { activitySlots, type ActivitySlot, type Beat } from './activity.ts';

/** The views and tables the monitor reads. */
export type MonitorView =
  | 'trial_summary'
  | 'overall_progress'
  | 'partition_progress'
  | 'status_breakdown'
  | 'throughput_timeline'
  | 'completeness'
  | 'short_lists'
  | 'worker_status'
  | 'failure_examples'
  | 'heartbeats'
  | 'runs_latest';

/** How a warehouse names the monitoring views: bare in DuckDB, `project.dataset.view` in BigQuery. */
export interface ViewNames {
  view(name: MonitorView): string;
}

export const DUCKDB_VIEWS: ViewNames = { view: (name) => name };

export type ReportRow = Record<string, string | number | boolean | null>;

/** The columns of a short list a reader acts on (the view has run and time as well). */
export const SHORT_LIST_COLUMNS = ['user_id', 'screen_name', 'source', 'partition_id', 'friend_count', 'expected_count', 'missing', 'missing_share'];

/** Users of `short_lists` the report shows: those missing the most accounts. */
export const SHORT_LISTS_SHOWN = 20;

/** What `monitor` shows: the monitoring views, as plain JSON-safe rows. */
export interface MonitorReport {
  generated_at: string;
  /** Per source: all its buckets together (users, rate, ETA, state). */
  overall: ReportRow[];
  trial_summary: ReportRow[];
  partition_progress: ReportRow[];
  status_breakdown: ReportRow[];
  throughput_timeline: ReportRow[];
  /** Per source: `ok` users, those with an expected count, short lists and their share. */
  completeness: ReportRow[];
  /** The short lists missing the most accounts (up to `SHORT_LISTS_SHOWN`). */
  short_lists: ReportRow[];
  /** Runs, live and stalled ones first, then the newest: state, last heartbeat, counters. */
  workers: ReportRow[];
  /** Failed users by error class, with up to three examples each (one row per example). */
  failures: ReportRow[];
  /** Users, requests, 429s and rate-limit waits per worker over time, from heartbeats (activity.ts). */
  activity: ActivitySlot[];
}

/**
 * Counts come back as BigInt and times as Date; the report carries numbers (every count here is far
 * below 2^53: they count users, requests and rows, never IDs) and ISO strings, so the same object
 * renders as text, HTML and JSON.
 */
function plain(rows: readonly Record<string, unknown>[]): ReportRow[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : (v as string | number | boolean | null)])));
}

/**
 * Each run's heartbeats in the last `minutes` before the newest one, with the run's start. DISTINCT: a
 * heartbeat BigQuery stored twice counts once.
 */
async function readBeats(db: Queryable, names: ViewNames, minutes: number): Promise<{ beats: Beat[]; windowStart: Date }> {
  const rows = await db.query(
    `SELECT DISTINCT h.run_id, h.worker, h.beat_at, h.users_done, h.requests, h.rate_limited, h.rate_limit_wait_ms, r.started_at
     FROM ${names.view('heartbeats')} AS h JOIN ${names.view('runs_latest')} AS r ON r.run_id = h.run_id
     WHERE h.beat_at >= (SELECT max(beat_at) FROM ${names.view('heartbeats')}) - INTERVAL ${minutes} MINUTE
     ORDER BY h.run_id, h.beat_at`,
  );
  const beats = rows.map((r) => ({
    run_id: String(r.run_id),
    worker: String(r.worker),
    started_at: r.started_at as Date,
    beat_at: r.beat_at as Date,
    users_done: Number(r.users_done),
    requests: Number(r.requests),
    rate_limited: Number(r.rate_limited),
    rate_limit_wait_ms: r.rate_limit_wait_ms === null ? null : Number(r.rate_limit_wait_ms),
  }));
  const newest = Math.max(...beats.map((b) => b.beat_at.getTime()));
  return { beats, windowStart: new Date(newest - minutes * 60_000) };
}

/** Reads every view the monitor shows; `generated_at` is `now`, else when the last answer came. */
export async function readMonitorReport(db: Queryable, names: ViewNames, options: { runs: number; slots: number }, now?: Date): Promise<MonitorReport> {
  const [overall, trials, partitions, statuses, timeline, completeness, shortLists, workers, failures, beats] = await Promise.all([
    db.query(`SELECT * FROM ${names.view('overall_progress')} ORDER BY source`),
    db.query(`SELECT * FROM ${names.view('trial_summary')} ORDER BY first_start DESC, run_id LIMIT ${options.runs}`),
    db.query(`SELECT * FROM ${names.view('partition_progress')} ORDER BY COALESCE(source, ''), COALESCE(partition_id, 0), bucket`),
    db.query(`SELECT * FROM ${names.view('status_breakdown')} ORDER BY source, users DESC, status, error_class`),
    db.query(
      `SELECT * FROM ${names.view('throughput_timeline')} WHERE slot_start >= (SELECT max(slot_start) FROM ${names.view('throughput_timeline')}) - INTERVAL ${options.slots * 10} MINUTE ORDER BY slot_start, worker`,
    ),
    db.query(`SELECT * FROM ${names.view('completeness')} ORDER BY source`),
    db.query(`SELECT * FROM ${names.view('short_lists')} ORDER BY missing DESC, user_id LIMIT ${SHORT_LISTS_SHOWN}`),
    db.query(`SELECT * FROM ${names.view('worker_status')} ORDER BY CASE WHEN state IN ('running', 'stalled') THEN 0 ELSE 1 END, started_at DESC, run_id LIMIT ${options.runs}`),
    db.query(`SELECT * FROM ${names.view('failure_examples')} ORDER BY users DESC, source, error_class, example`),
    readBeats(db, names, options.slots * 10),
  ]);
  return {
    generated_at: (now ?? new Date()).toISOString(),
    overall: plain(overall),
    trial_summary: plain(trials),
    partition_progress: plain(partitions),
    status_breakdown: plain(statuses),
    throughput_timeline: plain(timeline),
    completeness: plain(completeness),
    short_lists: plain(shortLists),
    workers: plain(workers),
    failures: plain(failures),
    activity: activitySlots(beats.beats, beats.windowStart),
  };
}
