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
 * The edge list of the latest successful row per user and source: one (user_id, friend_screen_name,
 * friend_id, source) row per followed account, for graph tools, with the users of one source (`source`,
 * all when undefined). friend_id is NULL for sources that give no IDs; source keeps the edges of two
 * networks apart, whose IDs may be the same. The source is written into the statement as a quoted
 * literal, since a host's export takes no parameters.
 */
export function edgesSql(source?: string): string {
  return `
SELECT l.user_id, l.friend_names[i] AS friend_screen_name, l.friend_ids[i] AS friend_id, l.source
FROM user_friends_latest AS l, range(1, len(l.friend_names) + 1) AS t(i)
WHERE l.status = 'ok'${source === undefined ? '' : ` AND l.source = ${sqlString(source)}`}
ORDER BY l.source, TRY_CAST(l.user_id AS HUGEINT), l.user_id, i`;
}

/** The COPY statement writing `select`'s rows to `path`; its count of rows comes back as `Count`. */
export function copyStatement(select: string, format: ExportFormat, path: string): string {
  return `COPY (\n${select}\n) TO ${sqlString(path)} (${COPY_OPTIONS[format]})`;
}

/** A warehouse that writes a query's rows to a file itself, and checks where (a fleet's host). */
export interface FileExporter {
  exportTo(select: string, format: ExportFormat, path: string): Promise<number>;
}

/** Writes the edge list (of `source`'s users, all when undefined) to `out`; returns the number of edges written. */
export async function exportEdges(sink: Queryable | (Queryable & FileExporter), format: ExportFormat, out: string, source?: string): Promise<number> {
  const select = edgesSql(source);
  if ('exportTo' in sink) return sink.exportTo(select, format, resolve(out));
  const rows = await sink.query(copyStatement(select, format, out));
  return Number(rows[0]?.Count ?? 0);
}
