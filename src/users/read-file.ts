import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseCsv } from 'csv-parse';
import { parse as parseLosslessJson, isLosslessNumber } from 'lossless-json';
import { UsersInputError } from '../core/errors.ts';

/** A row of a users file before validation: IDs are the text as written. */
export interface RawUserRow {
  line: number;
  userId: string | undefined;
  screenName: string | undefined;
  friendsCount: string | undefined;
  /** Set when the row could not be read at all. */
  problem?: string;
}

export type UsersFileFormat = 'csv' | 'ndjson';

export function formatOf(path: string): UsersFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl' || ext === '.json') return 'ndjson';
  throw new UsersInputError(`cannot tell the format of users file ${path}: expected a .csv, .ndjson or .jsonl file`);
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  // lossless-json keeps numbers as their source text, so 1242523027058769920 keeps every digit.
  if (isLosslessNumber(value)) return value.toString();
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

async function* readNdjson(path: string): AsyncGenerator<RawUserRow> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = parseLosslessJson(raw);
    } catch (error) {
      yield { line, userId: undefined, screenName: undefined, friendsCount: undefined, problem: `not JSON: ${(error as Error).message}` };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, userId: undefined, screenName: undefined, friendsCount: undefined, problem: 'not a JSON object' };
      continue;
    }
    const o = value as Record<string, unknown>;
    yield { line, userId: text(o.user_id ?? o.id), screenName: text(o.screen_name ?? o.username ?? o.handle), friendsCount: text(o.friends_count) };
  }
}

async function* readCsv(path: string): AsyncGenerator<RawUserRow> {
  // A row the CSV grammar cannot read (an unclosed quote) is one bad row, reported with its line, not
  // a reason to refuse a 3.6M-row table; a quote inside an unquoted field is kept as a character, and
  // the ID check then rejects the row.
  const unreadable: RawUserRow[] = [];
  const parser = createReadStream(path).pipe(
    parseCsv({
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const line = Number((error as { lines?: number } | undefined)?.lines ?? 0);
        unreadable.push({ line, userId: undefined, screenName: undefined, friendsCount: undefined, problem: `unreadable CSV: ${error?.message ?? 'skipped'}` });
        return undefined;
      },
      bom: true,
      info: true,
    }),
  );
  let checkedHeader = false;
  // csv-parse counts records of the wrong length so far; a record is one of them when the count grows.
  let invalidSoFar = 0;
  try {
    for await (const record of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; invalid_field_length: number } }>) {
      yield* unreadable.splice(0);
      const r = record.record;
      if (!checkedHeader) {
        checkedHeader = true;
        if (!('user_id' in r) && !('id' in r)) throw new UsersInputError(`users file ${path} has no user_id column in its header`);
      }
      const problem = record.info.invalid_field_length > invalidSoFar ? 'wrong number of fields' : undefined;
      invalidSoFar = record.info.invalid_field_length;
      yield { line: record.info.lines, userId: r.user_id ?? r.id, screenName: r.screen_name ?? r.username ?? r.handle, friendsCount: r.friends_count, ...(problem ? { problem } : {}) };
    }
    yield* unreadable.splice(0);
  } catch (error) {
    if (error instanceof UsersInputError) throw error;
    throw new UsersInputError(`cannot read users file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Streams the rows of a CSV (with a header naming `user_id`) or NDJSON users file. */
export function readUsersFile(path: string): AsyncGenerator<RawUserRow> {
  return formatOf(path) === 'csv' ? readCsv(path) : readNdjson(path);
}
