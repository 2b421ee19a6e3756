import type { Queryable } from '../sink.ts';
import { sqlString } from './sql.ts';

export type ExportFormat = 'csv' | 'ndjson' | 'parquet';

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

/** Writes the edge list to `out`; returns the number of edges written. */
export async function exportEdges(sink: Queryable, format: ExportFormat, out: string): Promise<number> {
  const rows = await sink.query(`COPY (${EDGES_SQL}) TO ${sqlString(out)} (${COPY_OPTIONS[format]})`);
  return Number(rows[0]?.Count ?? 0);
}
