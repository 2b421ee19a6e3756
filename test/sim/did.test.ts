import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { didOfId, handleOf, idOfDid, screenNameOfHandle } from '../../src/sim/did.ts';
import { SimGraph } from '../../src/sim/graph.ts';
import { truthOf } from '../../src/sim/truth.ts';

describe('sim DIDs and handles', () => {
  it('turn every ID into a did:plc and back, up to 2^63-1', () => {
    for (const id of ['0', '12', '4294967295', '4294967296', '9007199254740993', '1242523027058769920', '9223372036854775807']) {
      const did = didOfId(id);
      expect(did).toMatch(/^did:plc:[a-z2-7]{24}$/);
      expect(idOfDid(did)).toBe(id);
    }
  });

  it('are distinct over a graph, and a made-up or altered DID is no one', () => {
    const graph = new SimGraph({ users: 20_000, seed: 9 });
    const dids = new Set<string>();
    for (let i = 0; i < graph.size; i++) dids.add(didOfId(graph.idOf(i)));
    expect(dids.size).toBe(graph.size);
    const one = didOfId(graph.idOf(123));
    const altered = one.slice(0, -1) + (one.endsWith('a') ? 'b' : 'a');
    expect(idOfDid(altered)).toBeUndefined();
    expect(idOfDid('did:plc:z72i7hdynmk6r22z27h6tvur')).toBeUndefined();
    expect(idOfDid('did:web:example.com')).toBeUndefined();
  });

  it('make handles that are lower-case DNS names and lead back to the screen name', () => {
    expect(handleOf('Ab_cD_12')).toBe('ab-cd-12.bsky.social');
    expect(screenNameOfHandle('ab-cd-12.bsky.social')).toBe('ab_cd_12');
    const graph = new SimGraph({ users: 5_000, seed: 9 });
    for (let i = 0; i < graph.size; i += 37) {
      const handle = handleOf(graph.screenName(i));
      expect(handle).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?\.bsky\.social$/);
      expect(graph.indexOfName(screenNameOfHandle(handle)!)).toBe(i);
    }
  });

  it('are what /_sim/truth names, looked up by ID or by DID', () => {
    const graph = new SimGraph({ users: 5_000, seed: 9 });
    const id = graph.idOf(42).toString();
    const byId = truthOf(graph, id)!;
    const byDid = truthOf(graph, didOfId(id))!;
    expect(byDid).toEqual({ ...byId, user_id: didOfId(id) });
    expect(byId.did).toBe(didOfId(id));
    expect(byId.handle).toBe(handleOf(byId.screen_name));
    for (const a of byId.following) expect(a.did).toBe(didOfId(a.id));
  });
});

describe('friendfleet sim users --source', () => {
  const dir = tempDir();

  it('writes DIDs and handles for bluesky, the same users as the numeric table', async () => {
    const r = await runCli(['sim', 'users', '--users', '50', '--seed', '4', '--source', 'bluesky', '--out', join(dir, 'dids.csv')]);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'dids.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('user_id,screen_name');
    expect(lines).toHaveLength(51);
    const graph = new SimGraph({ users: 50, seed: 4 });
    expect(lines[1]).toBe(`${didOfId(graph.idOf(0))},${handleOf(graph.screenName(0))}`);
    const bad = await runCli(['sim', 'users', '--source', 'mastodon', '--out', join(dir, 'x.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('friendfleet: --source must be one of twitter-html, twitter-api, bluesky, bluesky-repo; got "mastodon"');
  });
});
