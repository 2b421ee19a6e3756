/**
 * Issue 18: tokens, keys, passwords and a fleet's secret appear in no log, row, run record, printed
 * error or --help, whatever a server or a client library (undici, ioredis, the BigQuery client) puts in
 * its messages. Each test runs the real path: a worker process against servers that misbehave.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../src/cli/fleet.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { loadSettings } from '../../src/config/load.ts';
import { createLogger } from '../../src/core/log.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { setupBigQuery } from '../../src/sinks/bigquery/setup.ts';
import { useBigQueryFake } from '../support/bigquery.ts';
import { runCli } from '../support/cli.ts';
import { useRedis } from '../support/redis.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { withWarehouse } from '../support/warehouse.ts';

const dir = tempDir();
const TOKEN_A = 'tok-A-sekrit-0123456789';
const TOKEN_B = 'tok-B-sekrit-9876543210';

/** Everything a run left behind as text: its output, its warehouse's rows and run records, the file's bytes. */
async function traces(db: string, ...outputs: string[]): Promise<string> {
  const tables = await withWarehouse(db, async (w) =>
    JSON.stringify([await w.query('SELECT * FROM user_friends'), await w.query('SELECT * FROM runs')], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
  );
  return [...outputs, tables, readFileSync(db, 'latin1')].join('\n');
}

/** An X API stand-in that quotes the caller's Authorization header back in its errors, as a careless proxy might. */
async function echoingApi(refuseAll: boolean) {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const auth = String(req.headers.authorization);
    const id = /^\/2\/users\/([0-9]+)\/following/.exec(req.url ?? '')?.[1] ?? '';
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (refuseAll) return json(403, { title: 'Forbidden', type: 'https://api.x.com/2/problems/client-forbidden', detail: `no access for ${auth}` });
    if (id.endsWith('1'))
      return json(200, {
        errors: [
          {
            value: id,
            parameter: 'id',
            resource_id: id,
            resource_type: 'user',
            title: 'Not Found Error',
            type: 'https://api.x.com/2/problems/resource-not-found',
            detail: `Could not find user; you sent ${auth}`,
          },
        ],
      });
    if (id.endsWith('2')) return json(400, { errors: [{ title: 'Invalid Request', detail: `cannot parse request with header ${auth}` }] });
    if (id.endsWith('3')) return req.socket.destroy();
    json(200, { data: [{ id: '1000', username: 'someone' }], meta: { result_count: 1 } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const api = (users: string, db: string, url: string) => [
  'collect',
  '--source',
  'twitter-api',
  '--users',
  users,
  '--source-url',
  url,
  '--sink',
  `duckdb:${db}`,
  '--progress',
  'off',
  '--max-retries',
  '1',
  '--max-threads',
  '4',
];
const UNBOUND = { RATE_LIMIT: '100000', RATE_WINDOW: '1s', LOG_LEVEL: 'trace' };

describe('secrets', () => {
  it('--help of every command shows no secret, whatever the environment holds', () => {
    const saved = { ...process.env };
    Object.assign(process.env, { TWITTER_BEARER_TOKEN: TOKEN_A, HOST_SECRET: 'host-secret-in-env-0123456789-abcdefghijk', RATE_LIMIT_REDIS_URL: 'redis://:redis-pass-sekrit@cache:6379' });
    try {
      const program = buildProgram();
      const help = [program.helpInformation(), ...program.commands.flatMap((c) => [c.helpInformation(), ...c.commands.map((s) => s.helpInformation())])].join('\n');
      expect(help).toContain('--host-secret <secret>');
      expect(help).not.toMatch(/sekrit|host-secret-in-env/);
    } finally {
      process.env = saved;
    }
  });

  it('bearer tokens quoted back by the API or lost in a reset reach no log, row, run record or printed error', async () => {
    const users = join(dir, 'api-users.csv');
    writeFileSync(users, `user_id\n${Array.from({ length: 24 }, (_, i) => 1_000_000_000_000_000_000n + BigInt(i)).join('\n')}\n`);
    const server = await echoingApi(false);
    const db = join(dir, 'api.duckdb');
    try {
      const run = await runCli(api(users, db, server.url), { ...UNBOUND, TWITTER_BEARER_TOKENS: `${TOKEN_A},${TOKEN_B}` });
      expect(run.code).toBe(0);
      const rows = await withWarehouse(db, (w) => w.query(`SELECT status, error FROM user_friends ORDER BY user_id`));
      expect(rows.filter((r) => r.status === 'not_found').map((r) => r.error)).toContain('account does not exist (Could not find user; you sent Bearer [redacted])');
      expect(rows.filter((r) => r.status === 'failed').map((r) => String(r.error))).toEqual(
        expect.arrayContaining([
          'FF_SOURCE_FATAL: HTTP 400: cannot parse request with header Bearer [redacted]',
          expect.stringMatching(/^FF_SOURCE_TRANSIENT: request failed: UND_ERR_SOCKET: other side closed \(gave up after 1 retries\)$/),
        ]),
      );
      expect(await traces(db, run.stdout, run.stderr)).not.toContain('sekrit');
    } finally {
      await server.close();
    }
  });

  it('a token quoted in the refusal that stops the run reaches neither the run record nor the printed error', async () => {
    const users = join(dir, 'api-users-2.csv');
    writeFileSync(users, 'user_id\n42\n43\n');
    const server = await echoingApi(true);
    const db = join(dir, 'refused.duckdb');
    try {
      const run = await runCli(api(users, db, server.url), { ...UNBOUND, TWITTER_BEARER_TOKEN: TOKEN_A });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('friendfleet: FF_SOURCE_UNAUTHORIZED: client refused (403 client-forbidden: no access for Bearer [redacted])');
      const [record] = await withWarehouse(db, (w) => w.query(`SELECT state, error FROM runs_latest`));
      expect(record).toEqual({ state: 'failed', error: 'client refused (403 client-forbidden: no access for Bearer [redacted])' });
      expect(await traces(db, run.stdout, run.stderr)).not.toContain('sekrit');
    } finally {
      await server.close();
    }
  });

  it('a Redis password, refused or accepted, reaches no log, row or run record (ioredis)', async () => {
    const sim = await useSim({ users: 400, seed: 3 });
    const users = join(dir, 'sim-users.csv');
    await writeUsersFile(sim.graph, users);
    const redis = await useRedis();
    const port = new URL(redis.url).port;
    // The test's Redis asks no password: one given anyway must still stay hidden, whatever Redis says to it.
    const db = join(dir, 'redis.duckdb');
    const run = await runCli(['collect', '--users', users, '--source', 'twitter-html', '--source-url', sim.url, '--sink', `duckdb:${db}`, '--progress', 'off', '--partition', '4/8'], {
      RATE_LIMIT_REDIS_URL: `redis://default:redis-sekrit-pw@127.0.0.1:${port}`,
      RATE_LIMIT: '100000',
      RATE_WINDOW: '1s',
      RATE_LIMIT_WORKERS: '1',
      LOG_LEVEL: 'trace',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/fleet rate limit: (Redis unreachable at start|sharing the budget through Redis)/);
    expect(await traces(db, run.stdout, run.stderr)).not.toContain('sekrit');
  });

  it("a service account's key and the client's bearer tokens reach no log, dead letter or printed error (BigQuery client)", async () => {
    const w = await useBigQueryFake();
    await setupBigQuery(w.target('secrets'));
    const sim = await useSim({ users: 300, seed: 5 });
    const users = join(dir, 'bq-users.csv');
    await writeUsersFile(sim.graph, users);
    const refused = String(sim.graph.idOf(0));
    w.fake.setFaults({ insertErrorRate: 0.5, invalidUserIds: [refused] });
    const deadLetters = join(dir, 'dead.ndjson');
    const run = await runCli(['collect', '--users', users, '--source', 'twitter-html', '--source-url', sim.url, '--progress', 'off', '--partition', '1/4'], {
      ...w.env('secrets'),
      DEAD_LETTER_FILE: deadLetters,
      LOG_LEVEL: 'trace',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/HTTP 50[03]/);
    const letters = readFileSync(deadLetters, 'utf8');
    expect(letters).toContain(`"user_id":"${refused}"`);
    const text = `${run.stdout}\n${run.stderr}\n${letters}`;
    expect(text).not.toMatch(/PRIVATE KEY|Bearer |eyJ[A-Za-z0-9_-]{20}/);
    for (const line of w.account.key.private_key.split('\n').filter((l) => l.length > 40)) expect(text).not.toContain(line);
  });

  it('a secret quoted anywhere in a logged error (a message, a URL, a header field) comes out [redacted]', async () => {
    const secret = 'fleet-secret-value-0123456789abcdefghijklm';
    loadSettings(['hostSecret'], {}, { HOST_SECRET: secret });
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const log = createLogger('info', out);
    // Shaped as client libraries build them: the request's URL in the message, its headers on the error.
    const error = Object.assign(new Error(`GET https://warehouse.example/query?token=${secret} failed`), { config: { url: `https://h/?k=${secret}`, headers: { Authorization: `Bearer ${secret}` } } });
    log.error({ err: error, note: `retrying ${secret}` }, 'request failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text).toContain('GET https://warehouse.example/query?token=[redacted] failed');
    expect(text).not.toContain(secret);
  });

  it('a fleet gives its workers the secret in their environment, never on their command line', async () => {
    const sim = await useSim({ users: 200, seed: 6 });
    const users = join(dir, 'fleet-users.csv');
    await writeUsersFile(sim.graph, users);
    const seen: { cmdline: string; environ: string; mode: number }[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _e, done) {
          for (const line of chunk.toString().split('\n').filter(Boolean)) {
            const entry = JSON.parse(line) as { msg: string; workerPid?: number };
            if (entry.msg !== 'fleet worker started' || entry.workerPid === undefined) continue;
            try {
              const proc = `/proc/${entry.workerPid}`;
              seen.push({ cmdline: readFileSync(`${proc}/cmdline`, 'latin1'), environ: readFileSync(`${proc}/environ`, 'latin1'), mode: statSync(`${proc}/environ`).mode & 0o777 });
            } catch {
              // The worker already ended: nothing to read.
            }
          }
          done();
        },
      }),
    );
    const db = join(dir, 'fleet.duckdb');
    const outcome = await runFleet(
      { users, source: 'twitter-html', sourceUrl: sim.url, sink: `duckdb:${db}`, logLevel: 'warn', usersLimit: '20' },
      { PATH: process.env.PATH },
      { partitions: 1, restarts: 0 },
      log,
    );
    expect(outcome.ok).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      const secret = /HOST_SECRET=([A-Za-z0-9_-]+)/.exec(s.environ)?.[1];
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(s.cmdline).not.toContain(secret);
      expect(s.mode).toBe(0o400);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('fleet.duckdb.host'))).toEqual([]);
  });
});
