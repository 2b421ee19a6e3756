import { resolve } from 'node:path';
import type { Queryable } from '../sink.ts';
import { sqlString } from './sql.ts';

export type ExportFormat = 'csv' | 'ndjson' | 'parquet';

export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'ndjson', 'parquet'];

const COPY_OPTIONS: Record<ExportFormat, string> = {
  csv: 'FORMAT csv, HEADER true',
  ndjson: 'FORMAT json',
  parquet: 'FORMAT parquet',
};

/**
 * The edge list of the latest successful row per user: one (user_id, friend_screen_name, friend_id)
 * row per followed account, for graph tools. friend_id is NULL for sources that give no IDs.
 */
export const EDGES_SQL = `
SELECT l.user_id, l.friend_names[i] AS friend_screen_name, l.friend_ids[i] AS friend_id
FROM user_friends_latest AS l, range(1, len(l.friend_names) + 1) AS t(i)
WHERE l.status = 'ok'
ORDER BY TRY_CAST(l.user_id AS HUGEINT), l.user_id, i`;

/** The COPY statement writing `select`'s rows to `path`; its count of rows comes back as `Count`. */
export function copyStatement(select: string, format: ExportFormat, path: string): string {
  return `COPY (\n${select}\n) TO ${sqlString(path)} (${COPY_OPTIONS[format]})`;
}

/** A warehouse that writes a query's rows to a file itself, and checks where (a fleet's host). */
export interface FileExporter {
  exportTo(select: string, format: ExportFormat, path: string): Promise<number>;
}

/** Writes the edge list to `out`; returns the number of edges written. */
export async function exportEdges(sink: Queryable | (Queryable & FileExporter), format: ExportFormat, out: string): Promise<number> {
  if ('exportTo' in sink) return sink.exportTo(EDGES_SQL, format, resolve(out));
  const rows = await sink.query(copyStatement(EDGES_SQL, format, out));
  return Number(rows[0]?.Count ?? 0);
}
