import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { latestRows } from '../support/warehouse.ts';
import type { StoredRow } from '../support/truth.ts';
import { useAppviewNetwork } from './harness.ts';
import { appviewExpectation, repoExpectation, type ExpectedRow } from './expected.ts';

const MAX_FRIENDS = 2000;

describe("friendfleet against Bluesky's reference PLC, PDS and AppView (@atproto/dev-env)", async () => {
  const network = await useAppviewNetwork();
  const dir = tempDir();
  const usersFile = join(dir, 'users.csv');
  writeFileSync(usersFile, `user_id,screen_name\n${network.users.map((u) => `${u.did},${u.handle}`).join('\n')}\n`);

  /** Runs `friendfleet collect` over the seeded users as a user would, and returns the latest row of each. */
  const collect = async (name: string, env: Record<string, string>): Promise<Map<string, StoredRow>> => {
    const sink = join(dir, `${name}.duckdb`);
    const run = await runCli(['collect'], { USERS: usersFile, SINK: `duckdb:${sink}`, PROGRESS: 'off', DEAD_LETTER_FILE: join(dir, `${name}.ndjson`), ...env }, { timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    const rows = new Map((await latestRows(sink)).map((r) => [r.user_id, r]));
    expect(rows.size).toBe(network.users.length);
    return rows;
  };
  const stored = (r: StoredRow): ExpectedRow => ({
    status: r.status,
    ids: r.friend_ids ?? [],
    names: r.friend_names ?? [],
    count: r.friend_count,
    truncated: r.truncated,
    error: r.error !== null,
  });
  const expectRows = (rows: Map<string, StoredRow>, want: (user: (typeof network.users)[number]) => ExpectedRow) => {
    for (const user of network.users) expect({ user: user.name, ...stored(rows.get(user.did)!) }).toEqual({ user: user.name, ...want(user) });
  };

  // One AppView run, read by the first check and compared with the repositories by the last.
  let appviewRun: Promise<Map<string, StoredRow>> | undefined;
  const appviewRows = () => (appviewRun ??= collect('appview', { SOURCE: 'bluesky', SOURCE_URL: network.appviewUrl }));

  it('SOURCE=bluesky stores every user as the AppView holds it: exact lists in its order, the 2,000 cap, truncated, statuses', async () => {
    const appview = await appviewRows();
    expectRows(appview, (user) => appviewExpectation(network, user, MAX_FRIENDS));
    // The plan reaches every case it is for: the cap, an exact 2,000, pages with hidden follows, each status.
    const byName = new Map(network.users.map((u) => [u.name, appview.get(u.did)!]));
    expect(byName.get('f2050h')).toMatchObject({ friend_count: 2000, truncated: true });
    expect(byName.get('f2000h')).toMatchObject({ friend_count: 2000, truncated: false });
    expect(byName.get('fhidden')).toMatchObject({ status: 'ok', friend_count: 0 });
    expect(new Set([...appview.values()].map((r) => r.status))).toEqual(new Set(['ok', 'protected', 'suspended', 'not_found']));
  });

  // The repository source reads the PDS: ALLOW_PRIVATE_ADDRESSES because the DID documents name it on loopback.
  const repo = { SOURCE: 'bluesky-repo', SOURCE_URL: network.plcUrl, ALLOW_PRIVATE_ADDRESSES: 'true' };

  it('SOURCE=bluesky-repo stores every user as its PDS holds it, capped (listRecords, then the CAR file)', async () => {
    expectRows(await collect('repo', repo), (user) => repoExpectation(user, MAX_FRIENDS));
  });

  it('SOURCE=bluesky-repo uncapped, in listRecords pages and as CAR files alike; the AppView rows are those lists less the accounts it hides', async () => {
    const records = await collect('repo-records', { ...repo, MAX_FRIENDS: '0', BLUESKY_REPO_READ: 'records' });
    const car = await collect('repo-car', { ...repo, MAX_FRIENDS: '0', BLUESKY_REPO_READ: 'car' });
    expectRows(records, (user) => repoExpectation(user, Infinity));
    expectRows(car, (user) => repoExpectation(user, Infinity));
    // What the AppView hides: accounts deactivated, taken down (by the AppView or the PDS), deleted or never
    // created, as follows and as users. An account the AppView alone took down is still served by its PDS.
    const appview = await appviewRows();
    const hidden = new Set(network.users.filter((u) => u.fate !== 'active').map((u) => u.did));
    for (const user of network.users) {
      const full = records.get(user.did)!;
      const fromAppview = appview.get(user.did)!;
      const shown = user.fate === 'active' ? (full.friend_ids ?? []).filter((did) => !hidden.has(did)) : [];
      expect({ user: user.name, ids: fromAppview.friend_ids ?? [] }).toEqual({ user: user.name, ids: shown.slice(0, MAX_FRIENDS) });
      if (user.fate === 'takendown') expect([full.status, fromAppview.status]).toEqual(['ok', 'suspended']);
      else expect({ user: user.name, status: fromAppview.status }).toEqual({ user: user.name, status: full.status });
    }
  });
});
