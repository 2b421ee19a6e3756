import { formatNumber } from './format.ts';
import type { MonitorReport, ReportRow } from './report.ts';
import { SHORT_LIST_COLUMNS } from './render-text.ts';

function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A table whose cells carry the view column and the raw value, so a test can read the page back. */
function table(view: string, rows: readonly ReportRow[], columns?: readonly string[]): string {
  if (rows.length === 0) return `<p class="empty" data-view="${view}">No rows yet.</p>`;
  const cols = columns ?? Object.keys(rows[0]!);
  const head = cols.map((c) => `<th>${esc(c)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${cols.map((c) => `<td data-col="${esc(c)}" data-value="${esc(r[c] ?? '')}">${esc(formatNumber(r[c]))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table data-view="${view}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function bars(rows: readonly ReportRow[]): string {
  if (rows.length === 0) return '<p class="empty">No buckets yet.</p>';
  return rows
    .map((r) => {
      const pct = typeof r.percent === 'number' ? Math.min(100, r.percent) : 0;
      return (
        `<div class="bar" data-partition="${esc(r.partition_id)}" data-percent="${esc(r.percent ?? '')}">` +
        `<span class="label">partition ${esc(r.partition_id)}</span>` +
        `<span class="track"><span class="fill" style="width:${pct.toFixed(2)}%"></span></span>` +
        `<span class="figures">${esc(r.processed)} / ${esc(r.assigned ?? '?')} users · ${pct.toFixed(1)}%</span></div>`
      );
    })
    .join('\n');
}

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

/** Users finished per 10-minute slot, one line per worker, as inline SVG (no scripts, no network). */
function chart(rows: readonly ReportRow[]): string {
  if (rows.length === 0) return '<p class="empty">No throughput yet.</p>';
  const slots = [...new Set(rows.map((r) => String(r.slot_start)))].sort();
  const workers = [...new Set(rows.map((r) => String(r.worker)))].sort();
  const max = Math.max(1, ...rows.map((r) => Number(r.users)));
  const W = 760;
  const H = 240;
  const pad = 40;
  const x = (i: number) => pad + (slots.length === 1 ? (W - 2 * pad) / 2 : (i * (W - 2 * pad)) / (slots.length - 1));
  const y = (v: number) => H - pad - (v / max) * (H - 2 * pad);
  const lines = workers.map((w, k) => {
    const points = slots.map((s, i) => {
      const row = rows.find((r) => String(r.slot_start) === s && String(r.worker) === w);
      return [x(i), y(Number(row?.users ?? 0))] as const;
    });
    const colour = COLOURS[k % COLOURS.length]!;
    // Markers as well as the line: a run inside one slot is a single point, which a line cannot draw.
    const markers = points.map(([px, py]) => `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${colour}"/>`).join('');
    return (
      `<polyline data-worker="${esc(w)}" fill="none" stroke="${colour}" stroke-width="2" points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>` +
      markers +
      `<text x="${W - pad + 4}" y="${pad + k * 14}" font-size="11" fill="${colour}">${esc(w)}</text>`
    );
  });
  return (
    `<svg viewBox="0 0 ${W + 80} ${H}" width="${W + 80}" height="${H}" role="img" aria-label="users finished per 10-minute slot">` +
    `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#999"/>` +
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#999"/>` +
    `<text x="4" y="${pad}" font-size="11">${max}</text><text x="4" y="${H - pad}" font-size="11">0</text>` +
    `<text x="${pad}" y="${H - 8}" font-size="11">${esc(slots[0]!.slice(0, 16))}</text>` +
    `<text x="${W - pad}" y="${H - 8}" font-size="11" text-anchor="end">${esc(slots.at(-1)!.slice(0, 16))}</text>` +
    lines.join('') +
    `</svg>`
  );
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#111}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right} th{background:#f3f4f6}
td[data-col=run_id],td[data-col=worker],td[data-col=status],td[data-col=error_class],td[data-col=outcome],td[data-col=source],td[data-col=screen_name]{text-align:left}
.bar{display:flex;align-items:center;gap:10px;margin:4px 0}
.label{width:90px}.track{display:inline-block;width:360px;height:14px;background:#e5e7eb;border-radius:3px;overflow:hidden}
.fill{display:block;height:100%;background:#2563eb}.empty{color:#666}`;

/** The monitor report as one self-contained page: inline CSS and SVG, viewable without a network. */
export function renderMonitorHtml(report: MonitorReport): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>friendfleet monitor</title><style>${STYLE}</style></head>
<body>
<h1>friendfleet monitor</h1>
<p>Generated <time data-generated="${esc(report.generated_at)}">${esc(report.generated_at)}</time></p>
<h2>Partitions</h2>
${bars(report.partition_progress)}
${table('partition_progress', report.partition_progress)}
<h2>Throughput (users finished per 10 minutes)</h2>
${chart(report.throughput_timeline)}
<h2>Trials</h2>
${table('trial_summary', report.trial_summary)}
<h2>Statuses</h2>
${table('status_breakdown', report.status_breakdown)}
<h2>Throughput per worker</h2>
${table('throughput_timeline', report.throughput_timeline)}
<h2>Completeness (ok lists against the users table's friends_count)</h2>
${table('completeness', report.completeness)}
${report.short_lists.length > 0 ? table('short_lists', report.short_lists, SHORT_LIST_COLUMNS) : ''}
</body></html>
`;
}
