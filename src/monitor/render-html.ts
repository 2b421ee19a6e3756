import type { ActivitySlot } from './activity.ts';
import { escapeHtml as esc, renderLineChart, type Series } from './chart-svg.ts';
import { formatCount, formatDuration, formatNumber } from './format.ts';
import { SHORT_LIST_COLUMNS, type MonitorReport, type ReportRow } from './report.ts';
import { bucketCounts, bucketLabel, outlook } from './render-text.ts';

/** A table whose cells carry the view column and the raw value, so a test can read the page back. */
function table(view: string, rows: readonly ReportRow[], columns?: readonly string[]): string {
  if (rows.length === 0) return `<p class="empty" data-view="${view}">No rows yet.</p>`;
  const cols = columns ?? Object.keys(rows[0]!);
  const head = cols.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr${typeof r.state === 'string' ? ` class="state-${esc(r.state)}"` : ''}>${cols.map((c) => `<td data-col="${esc(c)}" data-value="${esc(r[c] ?? '')}">${esc(formatNumber(r[c]))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table data-view="${view}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function bar(label: string, row: ReportRow, attributes: string, total = false): string {
  const pct = typeof row.percent === 'number' ? Math.min(100, row.percent) : 0;
  const rate = row.state === 'running' && typeof row.users_per_hour === 'number' ? ` · ${formatCount(row.users_per_hour)} users/h` : '';
  return (
    `<div class="bar state-${esc(row.state)}" ${attributes} data-percent="${esc(row.percent ?? '')}">` +
    `<span class="label">${esc(label)}</span>` +
    `<span class="track"><span class="fill" style="width:${pct.toFixed(2)}%"></span></span>` +
    `<span class="figures">${esc(formatCount(Number(row.processed ?? 0)))} / ${esc(row.assigned === null ? '?' : formatCount(Number(row.assigned)))} users · ${pct.toFixed(1)}%${rate} · ${esc(outlook(row, total))}</span></div>`
  );
}

function progress(report: MonitorReport): string {
  if (report.overall.length === 0) return '<p class="empty">No buckets and no runs yet.</p>';
  return report.overall
    .map((total) => {
      const buckets = report.partition_progress.filter((b) => b.source === total.source);
      return (
        `<h3>${esc(total.source ?? 'no source yet')}: ${esc(bucketCounts(total))}</h3>` +
        bar('total', total, `data-total="${esc(total.source)}"`, true) +
        buckets.map((b) => bar(bucketLabel(b), b, `data-partition="${esc(b.partition_id ?? '')}" data-bucket="${esc(bucketLabel(b))}"`)).join('\n')
      );
    })
    .join('\n');
}

/** One line per worker (and the sum, with several), a value per slot from `pick`. */
function seriesOf(slots: readonly ActivitySlot[], pick: (s: ActivitySlot) => number): Series[] {
  const workers = [...new Set(slots.map((s) => s.worker))].sort();
  const point = (s: ActivitySlot) => [Date.parse(s.slot_start) + (s.slot_seconds * 1000) / 2, pick(s)] as const;
  const lines: Series[] = workers.map((w) => ({ name: w, points: slots.filter((s) => s.worker === w).map(point) }));
  if (workers.length > 1) {
    const starts = [...new Set(slots.map((s) => s.slot_start))].sort();
    const sum = starts.map((t) => {
      const at = slots.filter((s) => s.slot_start === t);
      return [point(at[0]!)[0], at.reduce((a, s) => a + pick(s), 0)] as const;
    });
    lines.push({ name: 'all workers', points: sum });
  }
  return lines;
}

function charts(slots: readonly ActivitySlot[]): string {
  const seconds = slots[0]?.slot_seconds ?? 1;
  const per = formatDuration(seconds * 1000);
  return [
    renderLineChart({ id: 'users', label: `users finished per hour, per ${per}`, series: seriesOf(slots, (s) => (s.users / s.slot_seconds) * 3600) }),
    renderLineChart({ id: 'rate_limited', label: `429 answers per minute, per ${per}`, series: seriesOf(slots, (s) => (s.rate_limited / s.slot_seconds) * 60) }),
    renderLineChart({ id: 'waiting', label: `requests held by the rate limit (average), per ${per}`, series: seriesOf(slots, (s) => s.rate_limit_wait_seconds / s.slot_seconds) }),
  ].join('\n');
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111}
h1{font-size:20px} h2{font-size:16px;margin-top:28px} h3{font-size:14px;margin:12px 0 4px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right} th{background:#f3f4f6}
td[data-col=run_id],td[data-col=worker],td[data-col=status],td[data-col=state],td[data-col=error_class],td[data-col=error],td[data-col=outcome],td[data-col=source],td[data-col=screen_name],td[data-col=tier]{text-align:left}
tr.state-stalled td{background:#fee2e2} tr.state-running td[data-col=state]{color:#166534}
.bar{display:flex;align-items:center;gap:10px;margin:4px 0}
.label{width:110px}.track{display:inline-block;width:360px;height:14px;background:#e5e7eb;border-radius:3px;overflow:hidden}
.fill{display:block;height:100%;background:#2563eb}.bar.state-done .fill{background:#16a34a}.bar.state-stalled .fill{background:#dc2626}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{margin:0}.chart figcaption{font-size:12px;color:#444}
.legend{list-style:none;padding:0;margin:2px 0;display:flex;flex-wrap:wrap;gap:10px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}.empty{color:#666}`;

/**
 * The monitor report as one self-contained page: inline CSS and SVG, viewable without a network. With
 * `refreshSeconds` (monitor --watch --html) the browser reloads it as the file is rewritten.
 */
export function renderMonitorHtml(report: MonitorReport, options: { refreshSeconds?: number; sink?: string } = {}): string {
  const refresh = options.refreshSeconds === undefined ? '' : `<meta http-equiv="refresh" content="${Math.max(1, Math.round(options.refreshSeconds))}">`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">${refresh}<title>friendfleet monitor</title><style>${STYLE}</style></head>
<body>
<h1>friendfleet monitor</h1>
<p>${options.sink ? `${esc(options.sink)} · ` : ''}generated <time data-generated="${esc(report.generated_at)}">${esc(report.generated_at)}</time>${refresh ? ` · refreshes every ${formatDuration((options.refreshSeconds ?? 0) * 1000)}` : ''}</p>
<h2>Progress</h2>
${progress(report)}
${table('partition_progress', report.partition_progress)}
<h2>Workers</h2>
${table('workers', report.workers)}
<h2>Activity</h2>
<div class="charts">
${charts(report.activity)}
</div>
<h2>Failed users by reason</h2>
${table('failure_examples', report.failures)}
<h2>Statuses</h2>
${table('status_breakdown', report.status_breakdown)}
<h2>Completeness (ok lists against the users table's friends_count)</h2>
${table('completeness', report.completeness)}
${report.short_lists.length > 0 ? table('short_lists', report.short_lists, SHORT_LIST_COLUMNS) : ''}
<h2>Runs</h2>
${table('trial_summary', report.trial_summary)}
<h2>Throughput per worker, per 10 minutes</h2>
${table('throughput_timeline', report.throughput_timeline)}
</body></html>
`;
}
