import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsersInputError } from '../../src/core/errors.ts';
import { UserSpool } from '../../src/users/spool.ts';
import { StagedUserTable } from '../../src/users/staged-table.ts';
import { StagingProcess } from '../../src/users/staging-process.ts';
import type { UserRecord } from '../../src/users/user-table.ts';
import { tempDir } from '../support/tmp.ts';

const dir = tempDir();
const MAX = (1n << 63n) - 1n;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !isAlive(pid);
}

async function all(batches: AsyncIterable<UserRecord[]>): Promise<UserRecord[]> {
  const out: UserRecord[] = [];
  for await (const b of batches) out.push(...b);
  return out;
}

/** Staging files of one process: its DuckDB file (and WAL) and spools. */
function stagingFilesOf(pid: number): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith('friendfleet-users-') && f.includes(`-${pid}-`));
}

describe('UserSpool', () => {
  it('keeps every digit of IDs up to 2^63-1, opaque IDs, awkward names and missing counts', async () => {
    const users: UserRecord[] = [
      { id: '9007199254740993', screenName: 'a "quoted"\nname', friendsCount: 2000 },
      { id: String(MAX), screenName: undefined, friendsCount: undefined },
      { id: 'did:plc:abc', screenName: 'ünïcode', friendsCount: 0 },
    ];
    const spool = await UserSpool.write(
      join(dir, 'round-trip.ndjson'),
      (async function* () {
        yield* users;
      })(),
    );
    expect(spool.count).toBe(3);
    expect(await all(spool.batches({ batchSize: 2 }))).toEqual(users);
    spool.remove();
    expect(existsSync(spool.file)).toBe(false);
  });

  it('batches, skips and stops at the limit as the staged table does', async () => {
    const users = Array.from({ length: 25 }, (_, i): UserRecord => ({ id: String(1000 + i), screenName: `u${i}`, friendsCount: i }));
    const spool = await UserSpool.write(
      join(dir, 'batches.ndjson'),
      (async function* () {
        yield* users;
      })(),
    );
    const batches: UserRecord[][] = [];
    for await (const b of spool.batches({ batchSize: 4, skip: new Set(['1000', '1003']), limit: 9 })) batches.push(b);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 1]);
    expect(batches.flat().map((u) => u.id)).toEqual(['1001', '1002', '1004', '1005', '1006', '1007', '1008', '1009', '1010']);
    expect(await all(spool.batches({ batchSize: 4, limit: 0 }))).toEqual([]);
  });
});

describe('StagingProcess', () => {
  const ids = ['17', String(MAX), '9007199254740993', '9007199254740992', '49223966', 'x1', '17', '0042'];
  const file = join(dir, 'users.csv');
  writeFileSync(file, 'user_id,screen_name,friends_count\n' + ids.map((id, i) => `${id},name${i},${i * 10}`).join('\n') + '\n');

  it('answers as the table staged in this process would, and spools a bucket in ID order', async () => {
    const local = await StagedUserTable.fromFile(file, 'numeric');
    const staging = await StagingProcess.start({ kind: 'file', path: file }, 'numeric');
    try {
      expect(staging.pid).not.toBe(process.pid);
      expect(staging.report).toEqual(local.report);
      expect(staging.report.rejected.malformed).toBe(1);
      expect(staging.report.duplicates).toBe(1);
      expect(await staging.count()).toBe(await local.count());
      expect(await staging.ntile(3)).toEqual(await local.ntile(3));
      const range = { kind: 'numeric' as const, min: '42', max: '9007199254740993' };
      expect(await staging.count(range)).toBe(await local.count(range));
      const spool = await staging.spool(range);
      try {
        const spooled = await all(spool.batches({ batchSize: 2 }));
        expect(spooled).toEqual(await all(local.batches(range, { batchSize: 2 })));
        expect(spooled.map((u) => u.id)).toEqual(['42', '49223966', '9007199254740992', '9007199254740993']);
        expect(spool.count).toBe(4);
      } finally {
        spool.remove();
      }
      // Only the first users in ID order, when the run takes only a few.
      const firstTwo = await staging.spool(range, 2);
      try {
        expect((await all(firstTwo.batches({ batchSize: 10 }))).map((u) => u.id)).toEqual(['42', '49223966']);
        expect(firstTwo.count).toBe(2);
      } finally {
        firstTwo.remove();
      }
    } finally {
      await staging.close();
      await local.close();
    }
    // The child has ended and removed its DuckDB file; closing again is harmless.
    expect(await gone(staging.pid!)).toBe(true);
    expect(stagingFilesOf(staging.pid!)).toEqual([]);
    await staging.close();
    await expect(staging.count()).rejects.toThrow(/staging process has ended/);
  });

  it('throws the error staging in this process would, by class', async () => {
    const missing = StagingProcess.start({ kind: 'file', path: join(dir, 'missing.csv') }, 'numeric');
    await expect(missing).rejects.toBeInstanceOf(UsersInputError);
    await expect(missing).rejects.toThrow(/users file .*missing\.csv does not exist/);
    const noIds = join(dir, 'no-ids.csv');
    writeFileSync(noIds, 'name\nalice\n');
    await expect(StagingProcess.start({ kind: 'file', path: noIds }, 'numeric')).rejects.toThrow(UsersInputError);
  });

  it('outlives a SIGTERM sent to every process of the dyno: the worker decides when it ends', async () => {
    const staging = await StagingProcess.start({ kind: 'file', path: file }, 'numeric');
    try {
      process.kill(staging.pid!, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      expect(await staging.count()).toBe(6);
    } finally {
      await staging.close();
    }
  });

  it('leaves the worker without DuckDB, and ends when the worker dies without closing it', async () => {
    // A worker of its own: this test runner has DuckDB loaded for other reasons.
    const script = join(dir, 'worker.ts');
    const module = fileURLToPath(new URL('../../src/users/staging-process.ts', import.meta.url));
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';
       import { StagingProcess } from ${JSON.stringify(module)};
       const staging = await StagingProcess.start({ kind: 'file', path: ${JSON.stringify(file)} }, 'numeric');
       const spool = await staging.spool(undefined);
       let n = 0;
       for await (const b of spool.batches({ batchSize: 3 })) n += b.length;
       spool.remove();
       const second = await StagingProcess.start({ kind: 'file', path: ${JSON.stringify(file)} }, 'numeric');
       await staging.close();
       const duckdb = readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => /duckdb/i.test(l)).length;
       console.log(JSON.stringify({ n, duckdb, child: second.pid }));
       process.exit(0);`,
    );
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d.toString()));
      p.on('error', reject);
      p.on('exit', () => resolve(text));
    });
    const result = JSON.parse(out) as { n: number; duckdb: number; child: number };
    expect(result.n).toBe(6);
    expect(result.duckdb).toBe(0);
    // The second staging process was never closed: the worker's exit ends it, and its files go.
    expect(await gone(result.child)).toBe(true);
    expect(stagingFilesOf(result.child)).toEqual([]);
  });
});
