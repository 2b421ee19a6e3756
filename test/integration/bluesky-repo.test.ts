import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { runCollect } from '../../src/cli/worker.ts';
import { startAtprotoNetwork } from '../../src/sim/atproto/network.ts';
import { SimGraph } from '../../src/sim/graph.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { checkAgainstTruth, type StoredRow } from '../support/truth.ts';
import { latestRows } from '../support/warehouse.ts';

const dir = tempDir();
const quiet = pino({ level: 'silent' });

// Each run collects about 220 users through 60 hosts: a few seconds on a quiet machine; the bound is
// for a machine shared with other work.
describe('bluesky-repo: follows read from each repository on its PDS, host by host, as /_sim/truth says', { timeout: 180_000 }, async () => {
  // 60 PDS hosts with limits of their own (100 requests a second, ± 50%), three down, three failing one
  // answer in twenty, three ten times slower than the rest.
  const graph = new SimGraph({ users: 2500, seed: 17 });
  const net = await startAtprotoNetwork({
    graph,
    hosts: 60,
    rateLimit: 100,
    rateWindowMs: 1000,
    rateLimitSpread: 0.5,
    latencyMs: 2,
    downHosts: 3,
    failingHosts: 3,
    failingRate: 0.05,
    slowHosts: 3,
    directoryRateLimit: 1000,
    postsAndLikes: false,
  });
  afterAll(() => net.close());
  // Every 12th user, the four who follow the most (lists past 2,000), and three of each status on hosts
  // that are up: about 220 users on nearly every host.
  const everyone = Array.from({ length: graph.size }, (_, i) => i);
  const byFollows = [...everyone].sort((a, b) => graph.followingCount(b) - graph.followingCount(a));
  const ofStatus = (status: string) => everyone.filter((i) => graph.status(i) === status && net.hostOfUser(i).state !== 'down').slice(0, 3);
  const chosen = [
    ...new Set([
      ...byFollows.filter((i) => graph.status(i) === 'ok').slice(0, 4),
      ...ofStatus('protected'),
      ...ofStatus('suspended'),
      ...ofStatus('not_found'),
      ...everyone.filter((i) => i % 12 === 0),
    ]),
  ];
  const usersFile = join(dir, 'dids.csv');
  writeFileSync(usersFile, `user_id\n${chosen.map((i) => net.accounts.didOf(i)).join('\n')}\n`);
  const onDownHost = new Set(chosen.filter((i) => net.hostOfUser(i).state === 'down' && !net.accounts.tombstoned(i)).map((i) => net.accounts.didOf(i)));
  const reachable = chosen.map((i) => net.accounts.didOf(i)).filter((did) => !onDownHost.has(did));
  const hostsUsed = new Set(chosen.map((i) => net.accounts.hostOf(i)));

  const collect = async (name: string, settings: Record<string, unknown>) => {
    const sink = join(dir, `${name}.duckdb`);
    const outcome = await runCollect(
      { source: 'bluesky-repo', sourceUrl: net.plcUrl, allowPrivateAddresses: 'true', users: usersFile, sink: `duckdb:${sink}`, progress: 'off', maxThreads: '200', maxRetries: '3', ...settings },
      { env: {}, isTTY: false, handleSignals: false, log: quiet },
    );
    expect(outcome.state).toBe('finished');
    return { outcome, rows: await latestRows(sink) };
  };

  /** Users on a host that is down are failed with the reason, never not_found. */
  const expectDownHostsFailed = (rows: readonly StoredRow[]) => {
    const down = rows.filter((r) => onDownHost.has(r.user_id));
    expect(down.length).toBe(onDownHost.size);
    expect(down.length).toBeGreaterThan(3);
    for (const r of down) {
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/ECONNREFUSED/);
    }
  };

  it('uncapped (MAX_FRIENDS=0), BLUESKY_REPO_READ=auto: every list complete, a first page then the repository file for long ones', async () => {
    const before = net.describe();
    const { outcome, rows } = await collect('uncapped', { maxFriends: '0', blueskyRepoRead: 'auto' });
    expect(rows.length).toBe(chosen.length);
    expect(hostsUsed.size).toBeGreaterThan(50);
    expect(await checkAgainstTruth(net.plcUrl, reachable, rows, Infinity, 'bluesky-repo')).toEqual({ lost: [], wrong: [], duplicated: [] });
    expectDownHostsFailed(rows);
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['ok', 'protected', 'suspended', 'not_found', 'failed']));
    // Lists past 2,000 were read whole, and none took more than two pages (a page of records, then the file).
    const ok = rows.filter((r) => r.status === 'ok');
    expect(ok.some((r) => r.friend_count! > 2000)).toBe(true);
    expect(ok.every((r) => r.pages === (r.friend_count! >= 100 ? 2 : 1) && !r.truncated)).toBe(true);
    // No host was asked for more than its limit allows: the budgets learnt each host's own.
    const after = net.describe();
    const refused = after.hosts.reduce((n, h, k) => n + (h.stats?.rateLimited ?? 0) - (before.hosts[k]!.stats?.rateLimited ?? 0), 0);
    expect(refused).toBe(0);
    expect(outcome.stats.rateLimited).toBe(0);
  });

  it('capped at 150, pages of records (the default): truncated where more follow', async () => {
    const { rows } = await collect('capped', { maxFriends: '150' });
    expect(await checkAgainstTruth(net.plcUrl, reachable, rows, 150, 'bluesky-repo')).toEqual({ lost: [], wrong: [], duplicated: [] });
    expectDownHostsFailed(rows);
    const ok = rows.filter((r) => r.status === 'ok');
    expect(ok.filter((r) => r.truncated).length).toBeGreaterThan(50);
    // A page shorter than 100 ends a list; one of exactly 100 is followed by an empty page.
    expect(ok.every((r) => r.pages === (r.friend_count === 150 ? 2 : Math.floor(r.friend_count! / 100) + 1))).toBe(true);
  });

  it('the handles pass: each followed DID once, with the handle its document claims, resumed after --limit', async () => {
    const sink = join(dir, 'capped.duckdb');
    const out = join(dir, 'handles.csv');
    const args = ['handles', '--out', out, '--sink', `duckdb:${sink}`, '--source-url', net.plcUrl, '--allow-private-addresses', 'true'];
    const first = await runCli([...args, '--limit', '500']);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('500 DIDs resolved');
    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('complete');
    const followed = new Set((await latestRows(sink)).flatMap((r) => r.friend_ids ?? []));
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('did,handle,status');
    const dids = lines.slice(1).map((l) => l.split(',')[0]!);
    expect(dids).toEqual([...followed].sort());
    for (const line of lines.slice(1)) {
      const [did, handle, status] = line.split(',');
      const index = net.accounts.indexOfDid(did!)!;
      expect([handle, status]).toEqual([net.accounts.handleOf(index), 'ok']);
    }
  });

  it('read as whole repository files (BLUESKY_REPO_READ=car): the same lists in one request each', async () => {
    const { rows } = await collect('car', { maxFriends: '2000', blueskyRepoRead: 'car' });
    expect(await checkAgainstTruth(net.plcUrl, reachable, rows, 2000, 'bluesky-repo')).toEqual({ lost: [], wrong: [], duplicated: [] });
    expect(rows.filter((r) => r.status === 'ok').every((r) => r.pages === 1)).toBe(true);
  });
});
