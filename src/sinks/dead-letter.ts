import { appendFileSync } from 'node:fs';

/** One line of the dead-letter file: a row the warehouse refused, why, and the row itself. */
export interface DeadLetter {
  dead_at: string;
  /** The table the row was for. */
  table: string;
  reason: string;
  /** The row as it was sent (timestamps as ISO text). */
  row: unknown;
}

/**
 * Rows the warehouse refuses as invalid are never retried (they would be refused again) and never
 * silently dropped: each is appended to a local NDJSON file with the reason, and counted in the run's
 * totals (`dead_letters`). The user gets no row, so a later run tries it again. Appends are
 * synchronous: they are rare, and a line must be on disk before the row is let go.
 */
export class DeadLetterFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  append(letters: readonly Omit<DeadLetter, 'dead_at'>[]): void {
    if (letters.length === 0) return;
    const at = new Date().toISOString();
    // Rows hold the collected data: a new file is its owner's only.
    appendFileSync(this.path, letters.map((l) => `${JSON.stringify({ dead_at: at, ...l })}\n`).join(''), { mode: 0o600 });
  }
}
