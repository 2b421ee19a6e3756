import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { inBatches, type ReadOptions, type UserRecord } from './user-table.ts';

/** Lines are written in blocks of about this many characters: one write per block, not per user. */
const BLOCK_CHARS = 64 * 1024;

/**
 * One bucket's users, in ID order, in a file of one JSON array a line (`["id", "name", friends]`, the
 * ID always a string). The worker reads its bucket from here while it collects, so that the DuckDB
 * staging that sorted the table has ended by then (users/staging-process.ts).
 */
export class UserSpool {
  readonly file: string;
  /** Users in the file. */
  readonly count: number;

  private constructor(file: string, count: number) {
    this.file = file;
    this.count = count;
  }

  /** Writes `users` to `file` (replacing it; readable by its owner only), with the file system's backpressure. */
  static async write(file: string, users: AsyncIterable<UserRecord>): Promise<UserSpool> {
    let count = 0;
    async function* lines(): AsyncGenerator<string> {
      let block = '';
      for await (const u of users) {
        block += `${JSON.stringify([u.id, u.screenName ?? null, u.friendsCount ?? null])}\n`;
        count++;
        if (block.length >= BLOCK_CHARS) {
          yield block;
          block = '';
        }
      }
      if (block) yield block;
    }
    try {
      await pipeline(lines, createWriteStream(file, { mode: 0o600 }));
    } catch (error) {
      rmSync(file, { force: true });
      throw error;
    }
    return new UserSpool(file, count);
  }

  /** A spool another process wrote. */
  static existing(file: string, count: number): UserSpool {
    return new UserSpool(file, count);
  }

  /** The users in ID order, in batches, leaving out `skip`, up to `limit`. */
  batches(options: ReadOptions): AsyncGenerator<UserRecord[]> {
    return inBatches(this.users(), options);
  }

  private async *users(): AsyncGenerator<UserRecord> {
    const lines = createInterface({ input: createReadStream(this.file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      // The ID is a JSON string, never a bare number: no digit of it passes through a double.
      const [id, name, friends] = JSON.parse(line) as [string, string | null, number | null];
      yield { id, screenName: name ?? undefined, friendsCount: friends ?? undefined };
    }
  }

  remove(): void {
    rmSync(this.file, { force: true });
  }
}
