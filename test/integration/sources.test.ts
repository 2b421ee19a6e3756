import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runCollect } from '../../src/cli/worker.ts';
import type { IdKind } from '../../src/core/ids.ts';
import { idOfDid } from '../../src/sim/did.ts';
import { exportEdges } from '../../src/sinks/duckdb/export.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { StagedUserTable } from '../../src/users/staged-table.ts';
import { runCli } from '../support/cli.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { checkAgainstTruth } from '../support/truth.ts';
import { latestRows, withWarehouse } from '../support/warehouse.ts';

const dir = tempDir();
const quiet = pino({ level: 'silent' });
const io = (env: Record<string, string> = {}) => ({ env, isTTY: false, handleSignals: false, log: quiet });

async function bucketIds(usersFile: string, kind: IdKind, k: number, n: number): Promise<string[]> {
  const table = await StagedUserTable.fromFile(usersFile, kind);
  try {
    const b = (await table.ntile(n))[k - 1]!;
    const ids: string[] = [];
    for await (const batch of table.batches({ kind, min: b.min_id, max: b.max_id }, { batchSize: 500 })) ids.push(...batch.map((u) => u.id));
    return ids;
  } finally {
    await table.close();
  }
}

describe('every source collects the same graph, as /_sim/truth says', async () => {
  // A generous per-window limit: the sims announce it in their headers, and the budgets adopt it in
  // place of the sources' documented 300 / 15 minutes and 3,000 / 5 minutes. A fifth of the users get
  // the other shapes the services send (HTML spellings, short and empty pages with a cursor, a 5xx
  // first, full user fields, problems beside data, did:web, handle.invalid): the rows must not differ.
  const sim = await useSim({ users: 10_000, seed: 11, latencyMs: 1, rateLimit: 5_000, rateWindowMs: 1000, variantShare: 0.2 });
  const numericUsers = join(dir, 'users.csv');
  const blueskyUsers = join(dir, 'users-bluesky.csv');
  await writeUsersFile(sim.graph, numericUsers);
  await writeUsersFile(sim.graph, blueskyUsers, { naming: 'bluesky', variants: sim.variants });
  const isVariant = (userId: string) => sim.variants.has(sim.graph.indexOfId(userId.startsWith('did:') ? idOfDid(userId)! : userId)!);

  it("twitter-html: screen names of a bucket, variant users' pages in other HTML spellings and cut otherwise", async () => {
    const sink = join(dir, 'twitter-html.duckdb');
    // A bucket of the newest users, who follow fewest: 20 accounts a page is many pages for the oldest.
    const outcome = await runCollect({ source: 'twitter-html', users: numericUsers, sourceUrl: sim.url, partition: '55/60', sink: `duckdb:${sink}`, progress: 'off' }, io());
    expect(outcome.state).toBe('finished');
    const ids = await bucketIds(numericUsers, 'numeric', 55, 60);
    const rows = await latestRows(sink);
    expect(rows.filter((r) => r.status === 'ok' && isVariant(r.user_id)).length).toBeGreaterThan(15);
    expect(await checkAgainstTruth(sim.url, ids, rows, 2000, 'twitter-html')).toEqual({ lost: [], wrong: [], duplicated: [] });
    expect(outcome.stats.retries).toBeGreaterThan(0);
  });

  it('twitter-api: IDs and usernames of the oldest bucket, 1,000 a page, two tokens, statuses from errors[]', async () => {
    const sink = join(dir, 'twitter-api.duckdb');
    const before = sim.stats();
    const outcome = await runCollect(
      { source: 'twitter-api', users: numericUsers, sourceUrl: sim.url, partition: '1/30', sink: `duckdb:${sink}`, progress: 'off' },
      io({ TWITTER_BEARER_TOKENS: 'tok-alpha-1,tok-beta-2' }),
    );
    expect(outcome.state).toBe('finished');
    const ids = await bucketIds(numericUsers, 'numeric', 1, 30);
    expect(ids.length).toBe(334);
    const rows = await latestRows(sink);
    expect(await checkAgainstTruth(sim.url, ids, rows, 2000, 'twitter-api')).toEqual({ lost: [], wrong: [], duplicated: [] });
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['ok', 'protected', 'suspended', 'not_found']));
    expect(rows.filter((r) => r.truncated).length).toBeGreaterThan(10);
    // At most two requests a user at the 2,000 cap, one for a user who cannot be read; none wasted.
    // Variant users' pages may be short or empty, and some fail once first (a retry each).
    const ok = rows.filter((r) => r.status === 'ok');
    expect(ok.filter((r) => isVariant(r.user_id)).length).toBeGreaterThan(30);
    expect(ok.filter((r) => !isVariant(r.user_id)).every((r) => r.pages === Math.max(1, Math.ceil(r.friend_count! / 1000)))).toBe(true);
    expect(outcome.stats.requests).toBe(outcome.stats.pages + outcome.stats.retries + (rows.length - ok.length));
    expect(sim.stats().requests - before.requests).toBe(outcome.stats.requests);
    expect(sim.stats().rateLimited - before.rateLimited).toBe(0);
  });

  it('bluesky: DIDs and handles of the last bucket of DIDs (lexicographic: did:plc, then did:web), 100 a page, statuses from getProfile', async () => {
    const sink = join(dir, 'bluesky.duckdb');
    const before = sim.stats();
    const outcome = await runCollect({ source: 'bluesky', users: blueskyUsers, sourceUrl: sim.url, partition: '30/30', sink: `duckdb:${sink}`, progress: 'off' }, io());
    expect(outcome.state).toBe('finished');
    const ids = await bucketIds(blueskyUsers, 'opaque', 30, 30);
    expect(ids.length).toBe(333);
    expect(ids.every((id) => id.startsWith('did:plc:') || (id.startsWith('did:web:') && isVariant(id)))).toBe(true);
    expect(ids.some((id) => id.startsWith('did:web:'))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    const rows = await latestRows(sink);
    expect(await checkAgainstTruth(sim.url, ids, rows, 2000, 'bluesky')).toEqual({ lost: [], wrong: [], duplicated: [] });
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['ok', 'protected', 'suspended', 'not_found']));
    const ok = rows.filter((r) => r.status === 'ok');
    expect(ok.filter((r) => isVariant(r.user_id)).length).toBeGreaterThan(30);
    expect(ok.filter((r) => !isVariant(r.user_id)).every((r) => r.pages === Math.max(1, Math.ceil(Math.min(2000, r.friend_count!) / 100)))).toBe(true);
    // A user who cannot be read costs getFollows plus one getProfile, both counted and budgeted.
    expect(outcome.stats.requests).toBe(outcome.stats.pages + outcome.stats.retries + 2 * (rows.length - ok.length));
    expect(sim.stats().requests - before.requests).toBe(outcome.stats.requests);
    expect(sim.stats().rateLimited - before.rateLimited).toBe(0);
  });

  it('two sources in one warehouse: resume skips only what the same source collected; export keeps them apart', async () => {
    const sink = join(dir, 'two-sources.duckdb');
    // The 100 newest users, by their ID range (read from the file as it streams, no staging).
    const ids = readFileSync(numericUsers, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => BigInt(l.split(',')[0]!))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(-100);
    const bucket = { users: numericUsers, sourceUrl: sim.url, minUserId: String(ids[0]), maxUserId: String(ids.at(-1)), sink: `duckdb:${sink}`, progress: 'off' };
    const html = await runCollect({ ...bucket, source: 'twitter-html' }, io());
    expect([html.state, html.stats.usersDone]).toEqual(['finished', 100]);
    // The same 100 users from the X API: none was collected from it yet, so none is skipped.
    const api = await runCollect({ ...bucket, source: 'twitter-api' }, io({ TWITTER_BEARER_TOKEN: 'tok-two-sources' }));
    expect([api.state, api.stats.usersDone]).toEqual(['finished', 100]);
    const again = await runCollect({ ...bucket, source: 'twitter-api' }, io({ TWITTER_BEARER_TOKEN: 'tok-two-sources' }));
    expect(again.state).toBe('nothing_to_do');
    const rows = await withWarehouse(sink, (db) => db.query(`SELECT source, status, friend_count FROM user_friends_latest`));
    expect(rows.filter((r) => r.source === 'twitter-html').length).toBe(100);
    expect(rows.filter((r) => r.source === 'twitter-api').length).toBe(100);
    const friendsOf = (source: string) => rows.filter((r) => r.source === source && r.status === 'ok').reduce((n, r) => n + Number(r.friend_count), 0);

    const all = join(dir, 'two-sources.csv');
    await withWarehouse(sink, (db) => exportEdges(db, 'csv', all));
    const lines = readFileSync(all, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('user_id,friend_screen_name,friend_id,source');
    const bySource = (source: string) => lines.slice(1).filter((l) => l.endsWith(`,${source}`));
    expect([bySource('twitter-html').length, bySource('twitter-api').length]).toEqual([friendsOf('twitter-html'), friendsOf('twitter-api')]);
    // The HTML pages give no IDs, the API does: the same edges, told apart by their source.
    expect(bySource('twitter-html').every((l) => l.split(',')[2] === '')).toBe(true);
    expect(bySource('twitter-api').every((l) => /^[0-9]+$/.test(l.split(',')[2]!))).toBe(true);

    const apiOnly = join(dir, 'two-sources-api.csv');
    const exported = await runCli(['export', '--sink', `duckdb:${sink}`, '--out', apiOnly, '--source', 'twitter-api']);
    expect(exported.stdout).toBe(`wrote ${friendsOf('twitter-api')} edges of twitter-api to ${apiOnly} (csv)\n`);
    expect(readFileSync(apiOnly, 'utf8').trimEnd().split('\n').slice(1)).toEqual(bySource('twitter-api'));
  });

  it('twitter-api: a refused token stops the run (exit 1, no rows for unread users); no token value reaches logs, errors or the warehouse', async () => {
    const sink = join(dir, 'refused.duckdb');
    const r = await runCli(['collect', '--source', 'twitter-api', '--users', numericUsers, '--source-url', sim.url, '--partition', '2/30', '--sink', `duckdb:${sink}`, '--progress', 'off'], {
      TWITTER_BEARER_TOKENS: 'tok-visible-sekrit-1,revoked-sekrit-2',
      LOG_LEVEL: 'debug',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FF_SOURCE_UNAUTHORIZED: token 2 of 2: bearer token refused (401 Unauthorized)');
    expect(r.stderr).not.toContain('sekrit');
    expect(r.stdout).not.toContain('sekrit');
    await withWarehouse(sink, async (db) => {
      const [run] = await db.query(`SELECT state, error, settings FROM runs_latest`);
      expect(run!.state).toBe('failed');
      expect(String(run!.error)).toContain('token 2 of 2');
      expect(JSON.parse(String(run!.settings))).toMatchObject({ twitterBearerTokens: '[redacted]' });
      // Users answered with token 1 are stored; none is stored as failed because of token 2.
      const [rows] = await db.query(`SELECT count(*) FILTER (WHERE status = 'failed') AS failed, count(*) AS n FROM user_friends`);
      expect(rows!.failed).toBe(0n);
    });
    expect(readFileSync(sink).includes('sekrit')).toBe(false);
  });
});
