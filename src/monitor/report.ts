import type { Queryable } from '../sinks/sink.ts';

/** How a warehouse names the monitoring views: bare in DuckDB, `project.dataset.view` in BigQuery. */
export interface ViewNames {
  view(name: 'trial_summary' | 'partition_progress' | 'status_breakdown' | 'throughput_timeline' | 'completeness' | 'short_lists'): string;
}

export const DUCKDB_VIEWS: ViewNames = { view: (name) => name };

export type ReportRow = Record<string, string | number | boolean | null>;

/** Users of `short_lists` the report shows: those missing the most accounts. */
export const SHORT_LISTS_SHOWN = 20;

/** What `monitor` shows: the monitoring views, as plain JSON-safe rows. */
export interface MonitorReport {
  generated_at: string;
  trial_summary: ReportRow[];
  partition_progress: ReportRow[];
  status_breakdown: ReportRow[];
  throughput_timeline: ReportRow[];
  /** Per source: `ok` users, those with an expected count, short lists and their share. */
  completeness: ReportRow[];
  /** The short lists missing the most accounts (up to `SHORT_LISTS_SHOWN`). */
  short_lists: ReportRow[];
}

/**
 * Counts come back as BigInt and times as Date; the report carries numbers (every count here is far
 * below 2^53: they count users, requests and rows, never IDs) and ISO strings, so the same object
 * renders as text, HTML and JSON.
 */
function plain(rows: readonly Record<string, unknown>[]): ReportRow[] {
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : (v as string | number | boolean | null),
      ]),
    ),
  );
}

export async function readMonitorReport(db: Queryable, names: ViewNames, options: { runs: number; slots: number }, now: Date = new Date()): Promise<MonitorReport> {
  const [trials, partitions, statuses, timeline, completeness, shortLists] = await Promise.all([
    db.query(`SELECT * FROM ${names.view('trial_summary')} ORDER BY first_start DESC, run_id LIMIT ${options.runs}`),
    db.query(`SELECT * FROM ${names.view('partition_progress')} ORDER BY partition_id, source`),
    db.query(`SELECT * FROM ${names.view('status_breakdown')} ORDER BY source, users DESC, status, error_class`),
    db.query(
      `SELECT * FROM ${names.view('throughput_timeline')} WHERE slot_start >= (SELECT max(slot_start) FROM ${names.view('throughput_timeline')}) - INTERVAL ${options.slots * 10} MINUTE ORDER BY slot_start, worker`,
    ),
    db.query(`SELECT * FROM ${names.view('completeness')} ORDER BY source`),
    db.query(`SELECT * FROM ${names.view('short_lists')} ORDER BY missing DESC, user_id LIMIT ${SHORT_LISTS_SHOWN}`),
  ]);
  return {
    generated_at: now.toISOString(),
    trial_summary: plain(trials),
    partition_progress: plain(partitions),
    status_breakdown: plain(statuses),
    throughput_timeline: plain(timeline),
    completeness: plain(completeness),
    short_lists: plain(shortLists),
  };
}
