import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { startAtprotoNetwork } from '../../src/sim/atproto/network.ts';
import { SimGraph } from '../../src/sim/graph.ts';
import { CLI, runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const dir = tempDir();
const RELAY_STATUS = { ok: 'active', protected: 'deactivated', suspended: 'takendown', not_found: 'deleted' } as const;

describe('friendfleet users --from bluesky-relay', async () => {
  const graph = new SimGraph({ users: 3000, seed: 8 });
  // The relay answers a page of 50 in about 40 ms: the listing takes 60 pages, long enough to stop it in the middle.
  const net = await startAtprotoNetwork({ graph, hosts: 3, directoryLatencyMs: 40 });
  afterAll(() => net.close());
  const expected = Array.from({ length: graph.size }, (_, i) => `${net.accounts.didOf(i)},${RELAY_STATUS[graph.status(i)]}`);
  const args = (out: string) => ['users', '--from', 'bluesky-relay', '--relay-url', net.relayUrl, '--out', out, '--page-size', '50'];

  it('writes every DID of the relay once, with its status', async () => {
    const out = join(dir, 'all.csv');
    const r = await runCli(args(out));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3000 repositories');
    expect(readFileSync(out, 'utf8')).toBe(`user_id,status\n${expected.join('\n')}\n`);
    // Done is done: a second run asks the relay nothing.
    const before = net.describe().relay.requests;
    expect((await runCli(args(out))).stdout).toContain('complete');
    expect(net.describe().relay.requests).toBe(before);
  });

  it('killed in the middle (SIGKILL), then run again: every DID once, none missing, none repeated', async () => {
    const out = join(dir, 'resumed.csv');
    const state = `${out}.state.json`;
    const child = spawn(process.execPath, [CLI, ...args(out)], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
    // Wait until some pages are recorded, then kill the process with no chance to clean up.
    for (let pages = 0; pages < 5;) {
      await sleep(20);
      pages = existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as { pages: number }).pages : 0;
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const stopped = JSON.parse(readFileSync(state, 'utf8')) as { pages: number; complete: boolean };
    expect(stopped.complete).toBe(false);
    expect(stopped.pages).toBeLessThan(60);
    // Rows written but never recorded, as a kill between the two leaves them (more than the rest of the listing).
    appendFileSync(out, `${expected.join('\n')}\n`);
    const r = await runCli(args(out));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('resumed');
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('user_id,status');
    expect(lines.slice(1)).toEqual(expected);
  });

  it('refuses a file it did not begin, and a listing of another relay', async () => {
    const out = join(dir, 'other.csv');
    appendFileSync(out, 'user_id\ndid:plc:x\n');
    const r = await runCli(args(out));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exists without');
    const mine = join(dir, 'all.csv');
    const other = await runCli(['users', '--from', 'bluesky-relay', '--relay-url', 'http://127.0.0.1:9', '--out', mine]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('is a listing of');
  });
});
