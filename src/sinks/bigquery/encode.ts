import { createHash } from 'node:crypto';
import type { StreamedRow } from './insert-all.ts';

/** Overhead of `{"insertId":"<43 chars>","json":` + `},` around a row's JSON in the request body. */
const ENVELOPE_BYTES = 70;

/**
 * A deterministic insertId from the parts that identify one row. BigQuery drops a row whose insertId
 * it saw in the last minutes (best effort), so a request re-sent after a lost answer does not double
 * its rows, while a genuinely new row must get a new ID:
 * - user_friends: run, user and start time. A run attempts a user once, so a retried request carries
 *   the same ID, and the next run's attempt at that user (new run_id) is a new row, as it must be.
 * - runs: run, state and the time the state was recorded; heartbeats: run and beat time; partitions:
 *   plan and bucket.
 * Hashed to a fixed 43 characters (insertIds may be at most 128; opaque user IDs may be long).
 */
export function insertIdOf(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url');
}

/**
 * A record as insertAll JSON: Dates as ISO-8601 text (BigQuery's TIMESTAMP accepts it), a null in one
 * of the `lists` (REPEATED columns) as [] (BigQuery refuses NULL there: "Only optional fields can be
 * set to NULL"; it reads an empty list back either way), the rest as is.
 */
export function toJson(record: object, lists: readonly string[] = []): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) json[key] = value instanceof Date ? value.toISOString() : value === null && lists.includes(key) ? [] : value;
  return json;
}

/** A record ready for insertAll, its size measured as it will be sent. */
export function streamed<T extends object>(item: T, insertId: string, json: Record<string, unknown> = toJson(item)): StreamedRow<T> {
  return { item, insertId, json, bytes: Buffer.byteLength(JSON.stringify(json)) + ENVELOPE_BYTES };
}
