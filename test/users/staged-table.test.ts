import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StagedUserTable } from '../../src/users/staged-table.ts';
import { inRange } from '../../src/partition/bucket.ts';
import { tempDir } from '../support/tmp.ts';

const dir = tempDir();

/** NTILE as SQL defines it: the first (count mod n) buckets get one extra row. */
function referenceNtile(sorted: readonly bigint[], n: number): { min: bigint; max: bigint; count: number }[] {
  const base = Math.floor(sorted.length / n);
  const extra = sorted.length % n;
  const out: { min: bigint; max: bigint; count: number }[] = [];
  let i = 0;
  for (let b = 0; b < n; b++) {
    const size = base + (b < extra ? 1 : 0);
    if (size === 0) continue;
    out.push({ min: sorted[i]!, max: sorted[i + size - 1]!, count: size });
    i += size;
  }
  return out;
}

/** Random 64-bit-ish IDs clustered around 2^53 and 2^63, where doubles lose digits. */
function randomIds(count: number, seed: number): bigint[] {
  let s = BigInt(seed);
  const next = () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    return s;
  };
  const ids = new Set<bigint>();
  while (ids.size < count) {
    const r = next();
    const centre = r & 1n ? 1n << 53n : (1n << 63n) - 100_000n;
    ids.add(centre + ((r >> 8n) % 100_000n) - 50_000n);
  }
  // Adjacent IDs that a double would merge.
  ids.add((1n << 53n) + 1n);
  ids.add((1n << 53n) + 2n);
  return [...ids].filter((x) => x > 0n && x <= (1n << 63n) - 1n);
}

describe('StagedUserTable', () => {
  it('cuts NTILE buckets exactly as SQL would, for IDs around 2^53 and 2^63', async () => {
    for (const seed of [1, 2, 3]) {
      const ids = randomIds(997, seed);
      const file = join(dir, `ids-${seed}.csv`);
      // Shuffled file order: bucketing must not depend on it.
      writeFileSync(
        file,
        'user_id,screen_name\n' +
          ids
            .map((id, i) => `${id},u${i}`)
            .reverse()
            .join('\n') +
          '\n',
      );
      const table = await StagedUserTable.fromFile(file, 'numeric');
      try {
        const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        for (const n of [1, 7, 10, 64]) {
          const buckets = await table.ntile(n);
          expect(buckets.map((b) => ({ min: BigInt(b.min_id), max: BigInt(b.max_id), count: b.user_count }))).toEqual(referenceNtile(sorted, n));
          // Every user lands in exactly one bucket.
          for (const id of ids) {
            const hits = buckets.filter((b) => inRange(id.toString(), { kind: 'numeric', min: b.min_id, max: b.max_id }));
            expect(hits.length).toBe(1);
          }
          // Reading a bucket yields its users in ID order, as strings with every digit.
          const b = buckets[Math.floor(n / 2)]!;
          const read: string[] = [];
          for await (const batch of table.batches({ kind: 'numeric', min: b.min_id, max: b.max_id }, { batchSize: 50 })) read.push(...batch.map((u) => u.id));
          const expected = sorted.filter((x) => x >= BigInt(b.min_id) && x <= BigInt(b.max_id)).map(String);
          expect(read).toEqual(expected);
        }
      } finally {
        await table.close();
      }
    }
  });

  it('rejects or normalises bad rows and reports each', async () => {
    const file = join(dir, 'messy.csv');
    writeFileSync(
      file,
      [
        'user_id,screen_name',
        '12,alice',
        ' 0013 ,bob',
        '+14,carol',
        '12,alice_again',
        '-5,neg',
        'abc,bad',
        ',empty',
        '9223372036854775808,too_big',
        '9223372036854775807,max',
        '9007199254740993,past53',
        '9007199254740992,past53b',
      ].join('\n') + '\n',
    );
    const table = await StagedUserTable.fromFile(file, 'numeric');
    try {
      expect(table.report).toMatchObject({
        rows: 11,
        accepted: 6,
        duplicates: 1,
        rejected: { negative: 1, malformed: 1, empty: 1, too_large: 1, bad_row: 0 },
        corrected: { whitespace: 1, leading_zeros: 1, plus_sign: 1 },
      });
      expect(table.report.examples.some((e) => e.includes('line 6') && e.includes('negative'))).toBe(true);
      const all: string[] = [];
      for await (const batch of table.batches(undefined, { batchSize: 2 })) all.push(...batch.map((u) => u.id));
      expect(all).toEqual(['12', '13', '14', '9007199254740992', '9007199254740993', '9223372036854775807']);
    } finally {
      await table.close();
    }
  });

  it('rejects a row with a stray or unclosed quote or too many fields, not the rows after it', async () => {
    const file = join(dir, 'quotes.csv');
    writeFileSync(file, ['user_id,screen_name', '12,alice', '1"3,stray', '7,8,9', '14,carol', '"15,unclosed'].join('\n') + '\n');
    const table = await StagedUserTable.fromFile(file, 'numeric');
    try {
      expect(table.report).toMatchObject({ rows: 5, accepted: 2, rejected: { malformed: 1, bad_row: 2 } });
      expect(table.report.examples).toEqual([
        'line 3: user_id "1\\"3" is not a decimal integer',
        'line 4: wrong number of fields',
        expect.stringMatching(/^line \d+: unreadable CSV: Quote Not Closed/),
      ]);
    } finally {
      await table.close();
    }
  });

  it('reads NDJSON with bare 19-digit numbers without losing digits', async () => {
    const file = join(dir, 'users.ndjson');
    writeFileSync(file, '{"user_id": 1242523027058769921, "screen_name": "a"}\n{"user_id": "1242523027058769920", "screen_name": "@b"}\nnot json\n');
    const table = await StagedUserTable.fromFile(file, 'numeric');
    try {
      const all: { id: string; screenName?: string | undefined }[] = [];
      for await (const batch of table.batches(undefined, { batchSize: 10 })) all.push(...batch);
      expect(all.map((u) => [u.id, u.screenName])).toEqual([
        ['1242523027058769920', 'b'],
        ['1242523027058769921', 'a'],
      ]);
      expect(table.report.rejected.bad_row).toBe(1);
    } finally {
      await table.close();
    }
  });

  it('skips given IDs and stops at a limit', async () => {
    const file = join(dir, 'small.csv');
    writeFileSync(file, 'user_id\n' + Array.from({ length: 30 }, (_, i) => String(100 + i)).join('\n') + '\n');
    const table = await StagedUserTable.fromFile(file, 'numeric');
    try {
      const got: string[] = [];
      for await (const batch of table.batches(undefined, { batchSize: 4, skip: new Set(['100', '101']), limit: 5 })) got.push(...batch.map((u) => u.id));
      expect(got).toEqual(['102', '103', '104', '105', '106']);
    } finally {
      await table.close();
    }
  });
});

describe('staging files of workers that died', () => {
  it("are removed by the next worker on the host; live workers' files are kept", async () => {
    // A pid that has just exited, and one that lives (the test runner's parent).
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const prefix = `friendfleet-users-${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-`;
    const orphan = join(tmpdir(), `${prefix}${dead}-00000000-0000-0000-0000-000000000000.duckdb`);
    const live = join(tmpdir(), `${prefix}${process.ppid}-00000000-0000-0000-0000-000000000001.duckdb`);
    writeFileSync(orphan, 'x');
    writeFileSync(`${orphan}.wal`, 'x');
    writeFileSync(live, 'x');
    try {
      const file = join(dir, 'orphans.csv');
      writeFileSync(file, 'user_id\n1\n');
      await (await StagedUserTable.fromFile(file, 'numeric')).close();
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(`${orphan}.wal`)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      for (const f of [orphan, `${orphan}.wal`, live]) rmSync(f, { force: true });
    }
  });

  // Root can give the entry to another user; elsewhere a test cannot make one it does not own.
  it.skipIf(process.getuid?.() !== 0)("leaves alone another user's entry that looks like a dead worker's (staging still starts)", async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const prefix = `friendfleet-users-${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-`;
    const foreign = join(tmpdir(), `${prefix}${dead}-not-ours`);
    mkdirSync(foreign);
    chownSync(foreign, 65534, 65534);
    try {
      const file = join(dir, 'foreign.csv');
      writeFileSync(file, 'user_id\n1\n');
      await (await StagedUserTable.fromFile(file, 'numeric')).close();
      expect(existsSync(foreign)).toBe(true);
    } finally {
      rmSync(foreign, { recursive: true, force: true });
    }
  });
});
