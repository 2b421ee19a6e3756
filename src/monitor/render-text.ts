import { formatDuration, renderTable } from './format.ts';
import { SHORT_LISTS_SHOWN, type MonitorReport, type ReportRow } from './report.ts';

/** The columns of a short list a reader acts on (the view has run and time as well). */
export const SHORT_LIST_COLUMNS = ['user_id', 'screen_name', 'source', 'partition_id', 'friend_count', 'expected_count', 'missing', 'missing_share'];

/**
 * The reference's trial table, in its order (tier, users limit, batch, threads, outcome, users
 * collected, minutes, friends/user, users/hour), with the view's column names, then the statuses.
 */
export const TRIAL_COLUMNS = [
  'run_id', 'worker', 'partition_id', 'tier', 'users_limit', 'batch_size', 'threads', 'outcome', 'distinct_users', 'runtime_minutes',
  'avg_friends', 'users_per_hour', 'avg_seconds_per_user', 'ok', 'protected', 'not_found', 'suspended', 'failed',
];

function eta(row: ReportRow): string {
  if (row.remaining === 0) return 'done';
  return typeof row.eta_hours === 'number' ? formatDuration(row.eta_hours * 3_600_000) : '?';
}

/** One partition as a progress bar: for a terminal. */
export function partitionBar(row: ReportRow, width = 30): string {
  const pct = typeof row.percent === 'number' ? Math.min(100, row.percent) : 0;
  const filled = Math.round((pct / 100) * width);
  return (
    `p${String(row.partition_id).padEnd(3)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct.toFixed(1).padStart(5)}%  ` +
    `${row.processed}/${row.assigned ?? '?'} users  ${row.users_per_hour_last_hour} users/h  ETA ${eta(row)}`
  );
}

/** One partition as a plain line: for logs and pipes. */
export function partitionLine(row: ReportRow): string {
  const pct = typeof row.percent === 'number' ? `${row.percent.toFixed(1)}%` : '?%';
  return `partition ${row.partition_id}: ${row.processed}/${row.assigned ?? '?'} users (${pct}), ${row.users_per_hour_last_hour} users/h over the last hour, ETA ${eta(row)}`;
}

export function renderMonitorText(report: MonitorReport, options: { tty: boolean }): string {
  const out: string[] = [`friendfleet monitor — ${report.generated_at}`, ''];
  out.push('Partitions');
  if (report.partition_progress.length === 0) out.push('(no buckets yet)');
  for (const row of report.partition_progress) out.push(options.tty ? partitionBar(row) : partitionLine(row));
  out.push('', 'Trials (newest first)');
  out.push(report.trial_summary.length ? renderTable(report.trial_summary, TRIAL_COLUMNS) : '(no runs yet)');
  out.push('', 'Statuses');
  out.push(report.status_breakdown.length ? renderTable(report.status_breakdown) : '(no rows yet)');
  out.push('', 'Throughput per 10 minutes');
  out.push(report.throughput_timeline.length ? renderTable(report.throughput_timeline) : '(no rows yet)');
  out.push('', 'Completeness (ok lists against the users table\'s friends_count)');
  out.push(report.completeness.length ? renderTable(report.completeness) : '(no ok rows yet)');
  if (report.short_lists.length > 0) out.push('', `Shortest lists (up to ${SHORT_LISTS_SHOWN})`, renderTable(report.short_lists, SHORT_LIST_COLUMNS));
  return `${out.join('\n')}\n`;
}
