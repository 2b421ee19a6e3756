import { mkdirSync, readFileSync, statSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/core/errors.ts';
import { edgesSql } from '../../../src/sinks/duckdb/export.ts';
import { decode, encode } from '../../../src/sinks/host/codec.ts';
import { hostFileOf } from '../../../src/sinks/host/host-file.ts';
import { RemoteSink } from '../../../src/sinks/host/remote-sink.ts';
import { startHost, type RunningHost } from '../../../src/sinks/host/server.ts';
import { openForReading } from '../../../src/sinks/registry.ts';
import { row as knownRow, runRecord } from '../../support/rows.ts';
import { tempDir } from '../../support/tmp.ts';

const dir = tempDir();
const exportDir = join(dir, 'exports');
mkdirSync(exportDir);
const db = join(dir, 'fleet.duckdb');
const host = await startHost(db, { exportDir, maxBodyBytes: 256 * 1024 });
afterAll(() => host.close());

/** One request to `target` as any local process could send it, with the fleet's secret unless told otherwise (null: none). */
async function send(target: RunningHost, method: 'GET' | 'POST', path: string, body?: unknown, authorization: string | null = `Bearer ${target.secret}`) {
  const res = await request(`${target.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : encode(body),
  });
  return { status: res.statusCode, value: decode<Record<string, unknown> & { error?: string }>(await res.body.text()) };
}

const query = (sql: string, params: unknown[] = []) => send(host, 'POST', '/query', { sql, params });

const row = (id: string) => knownRow({ user_id: id, run_id: 'run-1', friend_count: 2 });
const run = runRecord({ run_id: 'run-1' });

/** A request body that starts and never ends: an answer to it was given without reading it whole. */
function endlessBody(): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  return new ReadableStream({ pull: (controller) => new Promise((resolve) => setTimeout(() => resolve(controller.enqueue(chunk)), 5)) });
}

async function sendEndless(path: string, authorization: string) {
  // Node's fetch streams a request body only in half-duplex mode, an option its types do not list.
  const init: RequestInit & { duplex: 'half' } = { method: 'POST', headers: { authorization }, body: endlessBody(), duplex: 'half' };
  const res = await fetch(`${host.url}${path}`, init);
  return { status: res.status, error: decode<{ error: string }>(await res.text()).error };
}

describe('the warehouse host', () => {
  it('answers the fleet with its secret: rows, runs and SELECTs', async () => {
    expect(await send(host, 'POST', '/rows', [row('1'), row('2')])).toEqual({ status: 200, value: { acknowledged: 2 } });
    expect((await send(host, 'POST', '/runs', run)).status).toBe(200);
    expect(await query('SELECT count(*) AS n FROM user_friends WHERE run_id = $1', ['run-1'])).toEqual({ status: 200, value: [{ n: 2n }] });
  });

  it("refuses a request without the fleet's secret, or with another, without reading its body", async () => {
    const refused = { status: 401, value: { error: "the warehouse host needs the fleet's secret (HOST_SECRET; readers on this machine find it in the host file)" } };
    expect(await send(host, 'POST', '/query', { sql: 'SELECT 1', params: [] }, null)).toEqual(refused);
    expect(await send(host, 'POST', '/rows', [row('3')], 'Bearer guessed')).toEqual(refused);
    expect(await send(host, 'GET', '/plan', undefined, `Bearer ${host.secret}x`)).toEqual(refused);
    expect(await sendEndless('/rows', 'Bearer guessed')).toMatchObject({ status: 401 });
    expect((await query('SELECT count(*) AS n FROM user_friends')).value).toEqual([{ n: 2n }]);
  });

  it.each([
    ['SELECT 1; DROP TABLE user_friends', 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ['SELECT 1; SELECT 2', 'the warehouse host runs exactly one statement per query; this has 2'],
    ['DROP TABLE user_friends', 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ["DELETE FROM user_friends WHERE user_id = '1'", 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ["INSERT INTO runs (run_id) VALUES ('x') RETURNING *", 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ["COPY (SELECT 1) TO '/tmp/ff-host-test.csv'", 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ["ATTACH '/tmp/ff-host-test.duckdb'", 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ['SET enable_external_access = true', 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ['PRAGMA disable_checkpoint_on_shutdown', 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ['CHECKPOINT', 'the warehouse host runs only SELECT statements: Only SELECT statements can be serialized to json!'],
    ['', 'POST /query: sql: Too small: expected string to have >=1 characters'],
    ['   ', 'the warehouse host runs exactly one statement per query; this has 0'],
  ])('refuses %j', async (sql, why) => {
    expect(await query(sql)).toEqual({ status: 400, value: { error: why } });
    expect((await query('SELECT count(*) AS n FROM user_friends')).value).toEqual([{ n: 2n }]);
    expect(existsSync('/tmp/ff-host-test.csv')).toBe(false);
  });

  it("takes the readers' SELECT forms: WITH, FROM-first, set operations, trailing semicolons, comments", async () => {
    for (const sql of ['WITH x AS (SELECT 1 AS a) SELECT a FROM x', 'FROM (SELECT 1 AS a)', 'SELECT 1 AS a UNION ALL SELECT 2', 'SELECT 1 AS a;', '-- why\nSELECT 1 AS a']) {
      expect((await query(sql)).status, sql).toBe(200);
    }
  });

  it('its DuckDB reaches no file but its own and the export folder, even from a SELECT', async () => {
    const r = await query("SELECT * FROM read_text('/etc/passwd')");
    expect(r.status).toBe(503);
    expect(r.value.error).toContain('Permission Error: Cannot access file "/etc/passwd"');
  });

  it('writes an export only under its export folder, never through .. or a link', async () => {
    const sink = new RemoteSink({ url: host.url, secret: host.secret });
    await sink.open();
    try {
      expect(await sink.exportTo(edgesSql(), 'csv', join(exportDir, 'edges.csv'))).toBe(4);
      expect(readFileSync(join(exportDir, 'edges.csv'), 'utf8').split('\n')[0]).toBe('user_id,friend_screen_name,friend_id,source');
      symlinkSync(dir, join(exportDir, 'out'));
      symlinkSync(join(dir, 'stolen.csv'), join(exportDir, 'link.csv'));
      for (const [path, why] of [
        [join(dir, 'edges.csv'), `the warehouse host writes files only under HOST_EXPORT_DIR (${exportDir}); ${join(dir, 'edges.csv')} is outside it`],
        [`${exportDir}/../edges.csv`, `the warehouse host writes files only under HOST_EXPORT_DIR (${exportDir}); ${exportDir}/../edges.csv is outside it`],
        [join(exportDir, 'out', 'edges.csv'), `the warehouse host writes files only under HOST_EXPORT_DIR (${exportDir}); ${join(exportDir, 'out', 'edges.csv')} is outside it`],
        [join(exportDir, 'link.csv'), `${join(exportDir, 'link.csv')} is a symbolic link; the warehouse host does not write through one`],
        ['edges.csv', 'the export path must be absolute; got edges.csv'],
      ]) {
        await expect(sink.exportTo(edgesSql(), 'csv', path!)).rejects.toThrow(`refused POST /export: {"error":"${why}"}`);
      }
      await expect(sink.exportTo('DROP TABLE runs', 'csv', join(exportDir, 'x.csv'))).rejects.toThrow('the warehouse host runs only SELECT statements');
      expect(existsSync(join(dir, 'edges.csv')) || existsSync(join(dir, 'stolen.csv'))).toBe(false);
    } finally {
      await sink.close();
    }
  });

  it('without an export folder writes no file', async () => {
    const other = await startHost(join(dir, 'no-export.duckdb'));
    try {
      const r = await send(other, 'POST', '/export', { sql: 'SELECT 1', format: 'csv', path: join(dir, 'x.csv') });
      expect(r).toEqual({ status: 403, value: { error: 'this warehouse host writes no files: start the fleet with HOST_EXPORT_DIR to export through it, or export once the fleet has ended' } });
      expect((await send(other, 'POST', '/query', { sql: `SELECT * FROM read_text('${db}')`, params: [] })).status).toBe(503);
    } finally {
      await other.close();
    }
  });

  it.each([
    ['POST /runs', { ...run, started_at: '2024-01-01' }, 'POST /runs: started_at: Invalid input: expected date, received string'],
    ['POST /runs', { ...run, sneaky: 1 }, 'POST /runs: body: Unrecognized key: "sneaky"'],
    ['POST /rows', [row('4'), { ...row('5'), user_id: 5 }], 'POST /rows: 1.user_id: Invalid input: expected string, received number'],
    ['POST /rows', [{ ...row('6'), status: 'deleted', pages: -1 }], 'POST /rows: 0.status: Invalid option: expected one of "ok"|"protected"|"not_found"|"suspended"|"failed" (and 1 more problems)'],
    ['POST /completed', { source: 'bluesky', range: null, maxAttempts: '3' }, 'POST /completed: maxAttempts: Invalid input: expected number, received string'],
    ['POST /query', { sql: 'SELECT $1', params: [{ x: 1 }] }, 'POST /query: params.0: Invalid input'],
    ['POST /heartbeats', 'not json', 'POST /heartbeats: the body is not JSON'],
    ['GET /plan', { please: true }, 'GET /plan takes no body'],
  ])('%s refuses bad input with one line: %j', async (route, body, why) => {
    const [method, path] = route.split(' ') as ['GET' | 'POST', string];
    expect(await send(host, method, path, body)).toEqual({ status: 400, value: { error: why } });
    expect((await query("SELECT count(*) AS n FROM user_friends WHERE user_id IN ('4', '5', '6')")).value).toEqual([{ n: 0n }]);
  });

  it('refuses a body over its bound, announced or streamed, without reading the rest', async () => {
    const big = Array.from({ length: 1000 }, (_, i) => row(String(100 + i)));
    expect(await send(host, 'POST', '/rows', big)).toEqual({ status: 413, value: { error: "request body over 262144 bytes, the warehouse host's bound" } });
    expect(await sendEndless('/rows', `Bearer ${host.secret}`)).toEqual({ status: 413, error: "request body over 262144 bytes, the warehouse host's bound" });
    expect((await query("SELECT count(*) AS n FROM user_friends WHERE user_id = '100'")).value).toEqual([{ n: 0n }]);
  });

  it('announces itself in a host file only its owner can read, which readers on the machine use', async () => {
    const file = hostFileOf(db);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: host.url, pid: process.pid, secret: host.secret });
    expect(host.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const reader = await openForReading({ kind: 'duckdb', path: db });
    try {
      expect(await reader.query('SELECT count(*) AS n FROM runs')).toEqual([{ n: 1n }]);
    } finally {
      await reader.close();
    }
  });

  it('listens on loopback unless told otherwise, and beyond it only with a secret given', async () => {
    await expect(startHost(join(dir, 'open.duckdb'), { listen: { host: '0.0.0.0', port: 0 } })).rejects.toThrow(
      'a warehouse host listening on 0.0.0.0 (beyond this machine) needs a secret given to it (HOST_SECRET), for the workers elsewhere',
    );
    const open = await startHost(join(dir, 'open.duckdb'), { listen: { host: '0.0.0.0', port: 0 }, secret: 'a-secret-the-operator-chose-and-gave-out' });
    try {
      expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await send(open, 'GET', '/health', undefined, 'Bearer a-secret-the-operator-chose-and-gave-out')).status).toBe(200);
      expect((await send(open, 'GET', '/health', undefined, null)).status).toBe(401);
    } finally {
      await open.close();
    }
    expect(new URL(host.url).hostname).toBe('127.0.0.1');
  });

  it('a worker with the wrong secret fails with a clear error that does not quote a secret', async () => {
    const sink = new RemoteSink({ url: host.url, secret: 'wrong-secret-value' });
    const error = await sink.open().then(
      () => undefined,
      (e: unknown) => e as SinkError,
    );
    expect(error).toBeInstanceOf(SinkError);
    expect(error!.message).toBe(
      `warehouse host host:${host.url} refused GET /health: {"error":"the warehouse host needs the fleet's secret (HOST_SECRET; readers on this machine find it in the host file)"}`,
    );
    expect(`${error!.message}${error!.stack}`).not.toMatch(/wrong-secret-value|Bearer/);
    await sink.close();
  });
});
