/** One line of a chart: values at times (epoch ms). */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface LineChart {
  /** Says what the chart shows, for screen readers and as the page's test hook (`data-chart`). */
  id: string;
  label: string;
  series: readonly Series[];
  /** Formats a value on the y axis. */
  format?: (value: number) => string;
}

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];
const W = 460;
const H = 200;
const LEFT = 48;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 28;

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** An axis label in a few characters: 0.04, 12, 1.5k, 2.3M. */
export function compact(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(2)));
}

/**
 * Lines over time as inline SVG (no script, no network): one polyline per series with its points, a
 * time axis (start, middle, end, UTC) and a value axis from zero to the largest value, a legend beside.
 * A series of one point is drawn as a dot, which a line cannot show.
 */
export function renderLineChart(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points);
  if (all.length === 0) return `<p class="empty" data-chart="${escapeHtml(chart.id)}">No heartbeats yet.</p>`;
  const format = chart.format ?? compact;
  const t0 = Math.min(...all.map(([t]) => t));
  const t1 = Math.max(...all.map(([t]) => t));
  const max = Math.max(...all.map(([, v]) => v));
  const top = max > 0 ? max : 1;
  const x = (t: number) => LEFT + (t1 === t0 ? (W - LEFT - RIGHT) / 2 : ((t - t0) / (t1 - t0)) * (W - LEFT - RIGHT));
  const y = (v: number) => H - BOTTOM - (v / top) * (H - TOP - BOTTOM);
  const lines = chart.series.map((s, k) => {
    const colour = COLOURS[k % COLOURS.length]!;
    const points = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const dot = s.points.length === 1 ? `<circle cx="${x(s.points[0]![0]).toFixed(1)}" cy="${y(s.points[0]![1]).toFixed(1)}" r="3" fill="${colour}"/>` : '';
    return `<polyline data-series="${escapeHtml(s.name)}" data-points="${s.points.length}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round" points="${points}"/>${dot}`;
  });
  const legend = chart.series.map((s, k) => `<li><span class="swatch" style="background:${COLOURS[k % COLOURS.length]}"></span>${escapeHtml(s.name)}</li>`).join('');
  const ticks = [t0, (t0 + t1) / 2, t1].map((t, i) => `<text x="${x(t).toFixed(1)}" y="${H - 8}" font-size="11" text-anchor="${['start', 'middle', 'end'][i]}">${clock(t)}</text>`).join('');
  return (
    `<figure class="chart" data-chart="${escapeHtml(chart.id)}">` +
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(chart.label)}">` +
    `<line x1="${LEFT}" y1="${y(0)}" x2="${W - RIGHT}" y2="${y(0)}" stroke="#999"/>` +
    `<line x1="${LEFT}" y1="${y(top)}" x2="${W - RIGHT}" y2="${y(top)}" stroke="#e5e7eb"/>` +
    `<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${H - BOTTOM}" stroke="#999"/>` +
    `<text x="${LEFT - 6}" y="${y(top) + 4}" font-size="11" text-anchor="end">${escapeHtml(format(top))}</text>` +
    `<text x="${LEFT - 6}" y="${y(0) + 4}" font-size="11" text-anchor="end">0</text>` +
    ticks +
    lines.join('') +
    `</svg><ul class="legend">${legend}</ul><figcaption>${escapeHtml(chart.label)} (UTC)</figcaption></figure>`
  );
}
