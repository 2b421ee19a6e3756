import type { Queryable } from '../sinks/sink.ts';

/** How a warehouse names the monitoring views: bare in DuckDB, `project.dataset.view` in BigQuery. */
export interface ViewNames {
  view(name: 'trial_summary' | 'partition_progress' | 'status_breakdown' | 'throughput_timeline'): string;
}

export const DUCKDB_VIEWS: ViewNames = { view: (name) => name };

export type ReportRow = Record<string, string | number | boolean | null>;

/** What `monitor` shows: the four monitoring views, as plain JSON-safe rows. */
export interface MonitorReport {
  generated_at: string;
  trial_summary: ReportRow[];
  partition_progress: ReportRow[];
  status_breakdown: ReportRow[];
  throughput_timeline: ReportRow[];
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
  const [trials, partitions, statuses, timeline] = await Promise.all([
    db.query(`SELECT * FROM ${names.view('trial_summary')} ORDER BY first_start DESC, run_id LIMIT ${options.runs}`),
    db.query(`SELECT * FROM ${names.view('partition_progress')} ORDER BY partition_id`),
    db.query(`SELECT * FROM ${names.view('status_breakdown')} ORDER BY users DESC, status, error_class`),
    db.query(
      `SELECT * FROM ${names.view('throughput_timeline')} WHERE slot_start >= (SELECT max(slot_start) FROM ${names.view('throughput_timeline')}) - INTERVAL ${options.slots * 10} MINUTE ORDER BY slot_start, worker`,
    ),
  ]);
  return {
    generated_at: now.toISOString(),
    trial_summary: plain(trials),
    partition_progress: plain(partitions),
    status_breakdown: plain(statuses),
    throughput_timeline: plain(timeline),
  };
}
