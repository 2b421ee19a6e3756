import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { latestRows } from '../support/warehouse.ts';
import type { StoredRow } from '../support/truth.ts';
import { useAppviewNetwork } from './harness.ts';
import { appviewExpectation } from './expected.ts';

const MAX_FRIENDS = 2000;

describe("SOURCE=bluesky against Bluesky's reference AppView (@atproto/dev-env)", async () => {
  const network = await useAppviewNetwork();
  const dir = tempDir();
  const usersFile = join(dir, 'users.csv');
  writeFileSync(usersFile, `user_id,screen_name\n${network.users.map((u) => `${u.did},${u.handle}`).join('\n')}\n`);

  it('stores every seeded user as the AppView holds it: exact lists in its order, the 2,000 cap, truncated, statuses', async () => {
    const sink = join(dir, 'appview.duckdb');
    const run = await runCli(['collect'], {
      SOURCE: 'bluesky',
      SOURCE_URL: network.appviewUrl,
      USERS: usersFile,
      SINK: `duckdb:${sink}`,
      PROGRESS: 'off',
      DEAD_LETTER_FILE: join(dir, 'dead-letters.ndjson'),
    }, { timeoutMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    const rows = new Map((await latestRows(sink)).map((r) => [r.user_id, r]));
    expect(rows.size).toBe(network.users.length);

    const stored = (r: StoredRow | undefined) => r && { status: r.status, ids: r.friend_ids ?? [], names: r.friend_names ?? [], count: r.friend_count, truncated: r.truncated, error: r.error !== null };
    for (const user of network.users) {
      const want = appviewExpectation(network, user, MAX_FRIENDS);
      expect({ user: user.name, ...stored(rows.get(user.did)) }).toEqual({ user: user.name, ...want });
    }
    // The plan reaches every case it is for: the cap, an exact 2,000, pages with hidden follows, each status.
    const byName = new Map(network.users.map((u) => [u.name, rows.get(u.did)!]));
    expect(byName.get('f2050h')).toMatchObject({ friend_count: 2000, truncated: true });
    expect(byName.get('f2000h')).toMatchObject({ friend_count: 2000, truncated: false });
    expect(byName.get('fhidden')).toMatchObject({ status: 'ok', friend_count: 0 });
    expect(new Set([...rows.values()].map((r) => r.status))).toEqual(new Set(['ok', 'protected', 'suspended', 'not_found']));
  });
});
