/**
 * Issue 18: the files friendfleet writes (the warehouse and its WAL, dead letters, spools, staging)
 * are readable by their owner only, and temporary files sit in a private directory, never at a path
 * another local user could guess and plant a link at.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { DeadLetterFile } from '../../src/sinks/dead-letter.ts';
import { UserSpool } from '../../src/users/spool.ts';
import { stagingFile } from '../../src/users/staging-files.ts';
import { StagingProcess } from '../../src/users/staging-process.ts';
import { CLI } from '../support/cli.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';

const dir = tempDir();
const mode = (path: string) => statSync(path).mode & 0o777;

describe('files', () => {
  it('a worker creates the warehouse file and its WAL readable by their owner only', async () => {
    const sim = await useSim({ users: 2000, seed: 2, latencyMs: 10 });
    const users = join(dir, 'users.csv');
    await writeUsersFile(sim.graph, users);
    const db = join(dir, 'w.duckdb');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'collect',
        '--users',
        users,
        '--source',
        'twitter-html',
        '--source-url',
        sim.url,
        '--sink',
        `duckdb:${db}`,
        '--partition',
        '4/4',
        '--users-limit',
        '60',
        '--max-threads',
        '20',
        '--progress',
        'off',
      ],
      {
        env: { PATH: process.env.PATH ?? '' },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let running = true;
    void exited.then(() => (running = false));
    // While the worker runs, every file of the warehouse it has made (the WAL holds the newest rows).
    const seen = new Map<string, number>();
    while (running) {
      for (const name of readdirSync(dir).filter((f) => f.startsWith('w.duckdb'))) {
        const m = statSync(join(dir, name), { throwIfNoEntry: false });
        if (m) seen.set(name, m.mode & 0o777);
      }
      await sleep(20);
    }
    expect(await exited).toBe(0);
    expect(seen.get('w.duckdb')).toBe(0o600);
    expect(seen.get('w.duckdb.wal')).toBe(0o600);
    expect([...seen.values()].every((m) => m === 0o600)).toBe(true);
    expect(mode(db)).toBe(0o600);
  });

  it('dead letters and spools are created owner-only, whatever the umask', async () => {
    const letters = new DeadLetterFile(join(dir, 'dead.ndjson'));
    letters.append([{ table: 'user_friends', reason: 'invalid', row: { user_id: '1' } }]);
    expect(mode(letters.path)).toBe(0o600);
    const spool = await UserSpool.write(
      join(dir, 'spool.ndjson'),
      (async function* () {
        yield { id: '1', screenName: 'a', friendsCount: undefined };
      })(),
    );
    expect(mode(spool.file)).toBe(0o600);
  });

  it('staging files go in a private directory of the process, made by mkdtemp', async () => {
    const file = stagingFile('.ndjson');
    const folder = dirname(file);
    expect(dirname(folder)).toBe(tmpdir());
    expect(basename(folder)).toMatch(new RegExp(`^friendfleet-users-.+-${process.pid}-[A-Za-z0-9]{6}$`));
    expect(mode(folder)).toBe(0o700);
    expect(dirname(stagingFile('.duckdb'))).toBe(folder);
    // The staging process stages the users table into a private directory of its own.
    const users = join(dir, 'few.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(users, 'user_id\n3\n1\n2\n');
    const staging = await StagingProcess.start({ kind: 'file', path: users }, 'numeric');
    try {
      const own = readdirSync(tmpdir()).filter((f) => f.includes(`-${staging.pid}-`));
      expect(own).toHaveLength(1);
      expect(mode(join(tmpdir(), own[0]!))).toBe(0o700);
      expect(readdirSync(join(tmpdir(), own[0]!)).some((f) => f.endsWith('.duckdb'))).toBe(true);
    } finally {
      await staging.close();
    }
  });
});
