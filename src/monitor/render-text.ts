import type { ActivitySlot } from './activity.ts';
import { clip, fitTable, formatCount, formatDuration, formatNumber, sparkline, type TextColumn } from './format.ts';
import type { MonitorReport, ReportRow } from './report.ts';

/** The terminal view's width: every line fits it. */
export const TEXT_WIDTH = 100;
/** Buckets listed one per line; the rest are counted in one line (stalled and running ones listed first). */
const BUCKET_LINES = 12;
/** Runs listed besides the live and stalled ones. */
const ENDED_RUNS = 3;
const FAILURE_CLASSES = 5;
const SHORT_LISTS_LISTED = 5;
const BAR = 16;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/** A bucket's name, as current_buckets gives it: `p3` for a numbered bucket, `100..200` for an ID range, else `all`. */
export function bucketLabel(row: ReportRow): string {
  if (typeof row.bucket === 'string') return row.bucket;
  if (row.partition_id !== null && row.partition_id !== undefined) return `p${row.partition_id}`;
  if (row.min_id !== null && row.min_id !== undefined) return `${row.min_id}..${row.max_id}`;
  return 'all';
}

/** The recent rate, shown while the bucket runs: a stopped bucket's last pace is no promise. */
function rate(row: ReportRow): string {
  const r = row.state === 'running' ? num(row.users_per_hour) : undefined;
  return r === undefined ? '' : `${formatCount(r)} users/h`;
}

/**
 * What comes next for a bucket or a source's total: done, an ETA, or why there is none. A total has no
 * ETA while some of its buckets do not run: they would never finish at any rate.
 */
export function outlook(row: ReportRow, total: boolean): string {
  const eta = num(row.eta_hours);
  const idle = total ? Number(row.stalled ?? 0) + Number(row.idle ?? 0) : 0;
  switch (row.state) {
    case 'done':
      return 'done';
    case 'running':
      if (eta !== undefined) return `ETA ${formatDuration(eta * 3_600_000)}`;
      return idle > 0 ? `ETA ? (${formatCount(idle)} not running)` : 'ETA ? (measuring)';
    case 'stalled':
      return 'stalled: no heartbeat';
    case 'stopped':
      return 'stopped';
    case 'waiting':
      return 'not started';
    default:
      return str(row.state);
  }
}

/** One progress line: a bar on a terminal, the same figures without it otherwise. */
function progressLine(label: string, row: ReportRow, countWidth: number, tty: boolean, total = false): string {
  const pct = num(row.percent);
  const shown = pct === undefined ? 0 : Math.min(100, pct);
  const filled = Math.round((shown / 100) * BAR);
  const bar = tty ? ` [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}]` : '';
  const counts = `${formatCount(Number(row.processed ?? 0))}/${row.assigned === null || row.assigned === undefined ? '?' : formatCount(Number(row.assigned))}`;
  const line = `${clip(label, 10).padEnd(10)}${bar} ${(pct === undefined ? '?' : `${shown.toFixed(1)}%`).padStart(6)}  ${counts.padStart(countWidth)}  ${rate(row).padStart(14)}  ${outlook(row, total)}`;
  return clip(line.trimEnd(), TEXT_WIDTH);
}

/** "2/10 buckets done, 3 running, 1 stalled" for a source's whole. */
export function bucketCounts(row: ReportRow): string {
  const parts = [`${Number(row.done_buckets ?? 0)}/${Number(row.buckets ?? 0)} buckets done`];
  if (Number(row.running ?? 0) > 0) parts.push(`${Number(row.running)} running`);
  if (Number(row.stalled ?? 0) > 0) parts.push(`${Number(row.stalled)} stalled`);
  return parts.join(', ');
}

const BUCKET_ORDER: Record<string, number> = { stalled: 0, running: 1, stopped: 2, waiting: 3, done: 4 };

function progressSection(report: MonitorReport, tty: boolean): string[] {
  if (report.overall.length === 0) return ['Progress', '(no buckets and no runs yet)'];
  const several = report.overall.length > 1;
  const out = [several ? 'Progress' : `Progress of ${str(report.overall[0]!.source)}: ${bucketCounts(report.overall[0]!)}`];
  const counts = [...report.overall, ...report.partition_progress].map((r) => `${formatCount(Number(r.processed ?? 0))}/${formatCount(Number(r.assigned ?? 0))}`.length);
  const countWidth = Math.max(...counts);
  for (const total of report.overall) {
    const source = str(total.source);
    const buckets = report.partition_progress.filter((b) => str(b.source) === source);
    if (several) out.push(`${source}: ${bucketCounts(total)}`);
    out.push(progressLine('total', total, countWidth, tty, true));
    const ordered = [...buckets].sort((a, b) => (BUCKET_ORDER[str(a.state)] ?? 9) - (BUCKET_ORDER[str(b.state)] ?? 9) || Number(a.partition_id ?? 0) - Number(b.partition_id ?? 0));
    const listed = buckets.length <= BUCKET_LINES ? buckets : ordered.slice(0, BUCKET_LINES - 1);
    for (const b of listed) out.push(progressLine(bucketLabel(b), b, countWidth, tty));
    const rest = buckets.filter((b) => !listed.includes(b));
    const done = rest.filter((b) => b.state === 'done').length;
    if (rest.length > 0) out.push(`… ${rest.length} more buckets: ${done} done${done < rest.length ? `, ${rest.length - done} not started or stopped` : ''}`);
  }
  return out;
}

/** Time since a heartbeat; one stamped after the report (a worker's clock ahead, a beat during the read) is "0s ago". */
function ago(from: unknown, generated: string): string {
  if (typeof from !== 'string') return 'none';
  return `${formatDuration(Math.max(0, Date.parse(generated) - Date.parse(from)))} ago`;
}

function workersSection(report: MonitorReport): string[] {
  const live = report.workers.filter((w) => w.state === 'running' || w.state === 'stalled');
  const ended = report.workers.filter((w) => w.state !== 'running' && w.state !== 'stalled' && w.state !== 'lost').slice(0, ENDED_RUNS);
  const stalled = live.filter((w) => w.state === 'stalled').length;
  const title = `Workers: ${live.length - stalled} running${stalled > 0 ? `, ${stalled} stalled (no heartbeat for 3 intervals)` : ''}`;
  if (live.length + ended.length === 0) return [title, '(no runs yet)'];
  const several = new Set(report.workers.map((w) => w.source)).size > 1;
  const columns: TextColumn<ReportRow>[] = [
    { label: 'worker', value: (w) => str(w.worker), shrink: true },
    ...(several ? [{ label: 'source', value: (w: ReportRow) => str(w.source), shrink: true }] : []),
    { label: 'bucket', value: (w) => bucketLabel(w), shrink: true },
    { label: 'state', value: (w) => str(w.state) },
    { label: 'last beat', value: (w) => ago(w.last_beat_at, report.generated_at), right: true },
    { label: 'users', value: (w) => formatCount(Number(w.users_done ?? 0)), right: true },
    { label: '429s', value: (w) => formatCount(Number(w.rate_limited ?? 0)), right: true },
    { label: 'run', value: (w) => str(w.run_id) },
  ];
  return [title, fitTable([...live, ...ended], columns, TEXT_WIDTH)];
}

/** The fleet's activity per slot (all workers summed), as three sparklines. */
function activitySection(slots: readonly ActivitySlot[]): string[] {
  if (slots.length === 0) return ['Activity', '(no heartbeats yet)'];
  const starts = [...new Set(slots.map((s) => s.slot_start))].sort();
  const seconds = slots[0]!.slot_seconds;
  const sum = (pick: (s: ActivitySlot) => number) => starts.map((t) => slots.filter((s) => s.slot_start === t).reduce((a, s) => a + pick(s), 0));
  const usersPerHour = sum((s) => s.users).map((u) => (u / seconds) * 3600);
  const limited = sum((s) => s.rate_limited);
  const held = sum((s) => s.rate_limit_wait_seconds).map((w) => w / seconds);
  const last = (xs: number[]) => xs.at(-1) ?? 0;
  const from = starts[0]!.slice(11, 19);
  const to = new Date(Date.parse(starts.at(-1)!) + seconds * 1000).toISOString().slice(11, 19);
  const line = (label: string, values: number[], summary: string) => clip(`${label.padEnd(9)}${sparkline(values).padEnd(61)}${summary}`, TEXT_WIDTH);
  return [
    `Activity ${from}–${to} UTC, one mark per ${formatDuration(seconds * 1000)}`,
    line('users/h', usersPerHour, `last ${formatCount(last(usersPerHour))}, peak ${formatCount(Math.max(...usersPerHour))}`),
    line('429s', limited, `${formatCount(limited.reduce((a, b) => a + b, 0))} in all`),
    line('waiting', held, `${formatNumber(last(held), 1)} requests held now`),
  ];
}

function failuresSection(report: MonitorReport): string[] {
  const classes = new Map<string, ReportRow[]>();
  for (const f of report.failures) {
    const key = `${str(f.source)}\u0000${str(f.error_class)}`;
    classes.set(key, [...(classes.get(key) ?? []), f]);
  }
  if (classes.size === 0) return ['Failed users: none'];
  const total = [...classes.values()].reduce((a, ex) => a + Number(ex[0]!.users), 0);
  const several = new Set(report.failures.map((f) => f.source)).size > 1;
  const out = [`Failed users: ${formatCount(total)}, by reason, with the newest examples`];
  for (const examples of [...classes.values()].slice(0, FAILURE_CLASSES)) {
    const first = examples[0]!;
    const reason = `${several ? `${str(first.source)} ` : ''}${str(first.error_class)}`;
    out.push(clip(`${reason.padEnd(28)} ${formatCount(Number(first.users)).padStart(8)}  ${str(first.error).replace(/^FF_[A-Z_]+: /, '')}`, TEXT_WIDTH));
    out.push(clip(`  e.g. ${examples.map((e) => str(e.user_id)).join(', ')}`, TEXT_WIDTH));
  }
  if (classes.size > FAILURE_CLASSES) out.push(`… ${classes.size - FAILURE_CLASSES} more reasons`);
  return out;
}

/** Statuses as `ok 3,400 (94.4%)` items, wrapped to the width. */
function statusesSection(report: MonitorReport): string[] {
  if (report.status_breakdown.length === 0) return ['Statuses: no rows yet'];
  const several = new Set(report.status_breakdown.map((s) => s.source)).size > 1;
  const items = report.status_breakdown.map((s) => {
    const name = s.error_class === s.status ? str(s.status) : `${str(s.status)} ${str(s.error_class)}`;
    return `${several ? `${str(s.source)} ` : ''}${name} ${formatCount(Number(s.users))} (${(num(s.percent) ?? 0).toFixed(1)}%)`;
  });
  const out: string[] = [];
  let line = 'Statuses:';
  for (const item of items) {
    if (line.length + 3 + item.length > TEXT_WIDTH) {
      out.push(line);
      line = ' ';
    }
    line += line.endsWith(':') || line === ' ' ? ` ${item}` : ` · ${item}`;
  }
  return [...out, line];
}

const share = (v: unknown) => (num(v) === undefined ? '' : `${((v as number) * 100).toFixed(1)}%`);

function completenessSection(report: MonitorReport): string[] {
  const out = ["Completeness (ok lists against the users table's friends_count)"];
  if (report.completeness.length === 0) return [...out, '(no ok rows yet)'];
  out.push(
    fitTable(
      report.completeness,
      [
        { label: 'source', value: (r) => str(r.source), shrink: true },
        { label: 'ok users', value: (r) => formatCount(Number(r.ok_users)), right: true },
        { label: 'with a count', value: (r) => formatCount(Number(r.with_expected)), right: true },
        { label: 'short lists', value: (r) => formatCount(Number(r.short_lists)), right: true },
        { label: 'missing accounts', value: (r) => formatCount(Number(r.missing_accounts)), right: true },
        { label: 'short share', value: (r) => share(r.short_share), right: true },
      ],
      TEXT_WIDTH,
    ),
  );
  if (report.short_lists.length > 0) {
    out.push(`Shortest lists (${Math.min(SHORT_LISTS_LISTED, report.short_lists.length)} of the ${report.short_lists.length} missing the most; all in --format json)`);
    out.push(
      fitTable(
        report.short_lists.slice(0, SHORT_LISTS_LISTED),
        [
          { label: 'user_id', value: (r) => str(r.user_id), shrink: true },
          { label: 'screen_name', value: (r) => str(r.screen_name), shrink: true },
          { label: 'source', value: (r) => str(r.source), shrink: true },
          { label: 'bucket', value: (r) => bucketLabel(r) },
          { label: 'friends', value: (r) => formatCount(Number(r.friend_count)), right: true },
          { label: 'expected', value: (r) => formatCount(Number(r.expected_count)), right: true },
          { label: 'missing', value: (r) => formatCount(Number(r.missing)), right: true },
          { label: 'share', value: (r) => share(r.missing_share), right: true },
        ],
        TEXT_WIDTH,
      ),
    );
  }
  return out;
}

function trialsSection(report: MonitorReport): string[] {
  if (report.trial_summary.length === 0) return ['Runs: none yet'];
  return [
    'Runs, newest first (all columns in --format json and --html)',
    fitTable(
      report.trial_summary,
      [
        { label: 'run', value: (r) => str(r.run_id) },
        { label: 'bucket', value: (r) => bucketLabel(r) },
        { label: 'tier', value: (r) => str(r.tier), shrink: true },
        { label: 'threads', value: (r) => str(r.threads), right: true },
        { label: 'outcome', value: (r) => str(r.outcome) },
        { label: 'users', value: (r) => formatCount(Number(r.distinct_users)), right: true },
        { label: 'minutes', value: (r) => formatNumber(num(r.runtime_minutes) ?? 0, 1), right: true },
        { label: 'users/h', value: (r) => (num(r.users_per_hour) === undefined ? '' : formatCount(r.users_per_hour as number)), right: true },
      ],
      TEXT_WIDTH,
    ),
  ];
}

/**
 * The monitor report for a terminal or a pipe, every line at most TEXT_WIDTH characters: progress
 * first (the whole, then each bucket), then the workers, activity over time, failures, statuses,
 * completeness and the runs. On a terminal the progress lines carry bars.
 */
export function renderMonitorText(report: MonitorReport, options: { tty: boolean; sink?: string }): string {
  const sections = [
    progressSection(report, options.tty),
    workersSection(report),
    activitySection(report.activity),
    failuresSection(report),
    statusesSection(report),
    completenessSection(report),
    trialsSection(report),
  ];
  const title = clip(`friendfleet monitor${options.sink ? ` · ${options.sink}` : ''} · ${report.generated_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`, TEXT_WIDTH);
  return `${[title, ...sections.map((s) => `\n${s.join('\n')}`)].join('\n')}\n`;
}

/**
 * Text cut to a terminal's height, for `--watch`: a screen that scrolls would push the progress (at the
 * top) out of sight. The last line says what was left out.
 */
export function fitScreen(text: string, rows: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines.length <= rows) return text;
  const kept = lines.slice(0, Math.max(1, rows - 1));
  return `${[...kept, `… ${lines.length - kept.length} more lines: a taller terminal, or monitor without --watch`].join('\n')}\n`;
}
