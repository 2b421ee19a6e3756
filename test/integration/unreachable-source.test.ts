/**
 * Issue 15 §2: with a SOURCE_URL nothing answers at, a run wrote a `failed` row for every user (505 in
 * 10 minutes, on course for 10,000). It now stops on the first users with one line and exit 1.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { withWarehouse } from '../support/warehouse.ts';

/** A loopback port that was free a moment ago: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a source that cannot be reached', () => {
  const dir = tempDir();

  it('stops the run within seconds, with one line and exit 1, and writes no failed rows', async () => {
    const users = join(dir, 'users.csv');
    writeFileSync(users, `user_id,screen_name\n${Array.from({ length: 500 }, (_, i) => `${i + 1},user${i + 1}`).join('\n')}\n`);
    const db = join(dir, 'w.duckdb');
    const started = Date.now();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli(['collect', '--source', 'twitter-html', '--source-url', url, '--users', users, '--sink', `duckdb:${db}`, '--progress', 'off', '--log-level', 'silent'], {});
    const seconds = (Date.now() - started) / 1000;
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^friendfleet: FF_CIRCUIT_OPEN: the first \\d+ users failed on ECONNREFUSED at ${url} .*check SOURCE_URL`))]);
    // Each user retries MAX_RETRIES (5) times with backoff capped at 8 s, about 16 s at worst; Heroku's 30 s bounds it.
    expect(seconds).toBeLessThan(30);
    const rows = await withWarehouse(db, (w) => w.query(`SELECT status FROM user_friends`));
    expect(rows).toEqual([]);
    const [run] = await withWarehouse(db, (w) => w.query(`SELECT state, error FROM runs_latest`));
    expect(run).toMatchObject({ state: 'failed', error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
