/** Plain-text tables and durations for terminal output. */

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export function formatNumber(value: unknown, digits = 2): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(digits);
  if (value instanceof Date)
    return value
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
  return String(value);
}

/** A left-aligned text table with a header row and a rule under it. */
export function renderTable(rows: readonly object[], columns?: readonly string[]): string {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cells = rows.map((r) => cols.map((c) => formatNumber((r as Record<string, unknown>)[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** A two-column "name  value" listing, for one-row summaries. */
export function renderKeyValues(row: object): string {
  const width = Math.max(...Object.keys(row).map((k) => k.length));
  return Object.entries(row)
    .map(([k, v]) => `${k.padEnd(width)}  ${formatNumber(v)}`)
    .join('\n');
}

/** A count with thousands separators: 1,234,567. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `text` cut to `width` characters, the cut marked with an ellipsis. */
export function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

/** A column of a text table that must fit a width. */
export interface TextColumn<R> {
  label: string;
  value: (row: R) => string;
  /** Right-aligned (numbers); default left. */
  right?: boolean;
  /** Gives up width (its cells clipped) when the table is too wide: the widest such column first. */
  shrink?: boolean;
}

const MIN_SHRUNK = 8;

/**
 * A text table (header, rule, rows) no line of which is wider than `maxWidth`: columns marked `shrink`
 * give up width, the widest first, down to 8 characters; a line still too wide is clipped.
 */
export function fitTable<R>(rows: readonly R[], columns: readonly TextColumn<R>[], maxWidth: number): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.label.length, ...cells.map((row) => row[i]!.length)));
  const total = () => widths.reduce((a, w) => a + w, 0) + 2 * (columns.length - 1);
  while (total() > maxWidth) {
    // One character at a time from the widest, so that shrinking columns end up alike.
    const widest = columns
      .map((c, i) => (c.shrink && widths[i]! > MIN_SHRUNK ? i : -1))
      .filter((i) => i >= 0)
      .sort((a, b) => widths[b]! - widths[a]! || a - b)[0];
    if (widest === undefined) break;
    widths[widest]!--;
  }
  const line = (values: readonly string[]) =>
    clip(
      values
        .map((v, i) => (columns[i]!.right ? clip(v, widths[i]!).padStart(widths[i]!) : clip(v, widths[i]!).padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
      maxWidth,
    );
  return [line(columns.map((c) => c.label)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

const MARKS = '▁▂▃▄▅▆▇█';

/** One character per value, its height relative to the largest; a blank for zero. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (v <= 0 || max === 0 ? ' ' : MARKS[Math.min(7, Math.ceil((v / max) * 8) - 1)]!)).join('');
}
