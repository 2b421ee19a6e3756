import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { didOfId, idOfDid } from '../../../src/sim/did.ts';
import { SimGraph } from '../../../src/sim/graph.ts';
import { bluesky } from '../../../src/sim/protocols/bluesky.ts';
import { parseGetFollows, parseGetProfile } from '../../../src/sources/bluesky/parse.ts';
import { blueskyRateInfo } from '../../../src/sources/rate-headers.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/bluesky/${name}`, import.meta.url), 'utf8');

describe('Bluesky XRPC answers (documented shapes)', () => {
  it('reads a getFollows page: DIDs as IDs, handles as names, the cursor', () => {
    expect(parseGetFollows(200, fixture('get-follows-page.json'))).toEqual({
      kind: 'follows',
      accounts: [
        { id: 'did:plc:ewvi7nxzyoun6zhxrhs64oiz', screenName: 'atproto.com' },
        { id: 'did:plc:oky5czdrnfjpqslsw2a5iclo', screenName: 'jay.bsky.team' },
        { id: 'did:web:example.com', screenName: 'handle.invalid' },
      ],
      cursor: '3kxbqanb2gk2s',
    });
  });

  it('reads the last page and an empty page', () => {
    expect(parseGetFollows(200, fixture('get-follows-last-page.json'))).toEqual({
      kind: 'follows',
      accounts: [{ id: 'did:plc:z72i7hdynmk6r22z27h6tvur', screenName: 'bsky.app' }],
      cursor: undefined,
    });
    expect(parseGetFollows(200, fixture('get-follows-empty.json'))).toEqual({ kind: 'follows', accounts: [], cursor: undefined });
  });

  it('takes getFollows\' "Actor not found" as a question for getProfile, not as an answer', () => {
    expect(parseGetFollows(400, fixture('actor-not-found.json'))).toEqual({ kind: 'actor_not_found', message: 'InvalidRequest: Actor not found: did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' });
  });

  it.each([
    ['profile-not-found.json', 400, 'not_found', 'account does not exist (InvalidRequest: Profile not found)'],
    ['actor-not-found.json', 400, 'not_found', 'account does not exist (InvalidRequest: Actor not found: did:plc:aaaaaaaaaaaaaaaaaaaaaaaa)'],
    ['account-takedown.json', 400, 'suspended', 'account taken down (AccountTakedown: Account has been suspended)'],
    ['account-deactivated.json', 400, 'protected', 'account deactivated by its owner (AccountDeactivated: Account is deactivated)'],
    ['rate-limit-exceeded.json', 429, 'rate_limited', 'rate limited (RateLimitExceeded: Rate Limit Exceeded)'],
    ['internal-server-error.json', 500, 'transient', 'server error 500 (InternalServerError: Internal Server Error)'],
    ['invalid-limit.json', 400, 'fatal', 'InvalidRequest: limit can not be greater than 100'],
  ])("maps getProfile's %s (HTTP %i) to %s", (file, status, error, message) => {
    expect(parseGetProfile(status, fixture(file))).toEqual({ kind: 'error', error, message });
  });

  it('reads a profile as "exists"', () => {
    expect(parseGetProfile(200, fixture('get-profile.json'))).toEqual({ kind: 'profile' });
  });

  it('never reads an unexpected body as an empty list', () => {
    expect(parseGetFollows(200, '{"subject": {}}')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parseGetFollows(200, '{"follows": [{"handle": "a.bsky.social"}]}')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parseGetFollows(200, '{"follows": [')).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(parseGetFollows(502, '<html>Bad Gateway</html>')).toMatchObject({ kind: 'error', error: 'transient' });
  });

  it('reads atproto rate-limit headers, adding the second the reset was rounded down by', () => {
    expect(blueskyRateInfo({ 'ratelimit-limit': '3000', 'ratelimit-remaining': '2999', 'ratelimit-reset': '1700000300', 'ratelimit-policy': '3000;w=300' })).toEqual({
      limit: 3000,
      remaining: 2999,
      resetAt: 1_700_000_301_000,
    });
    expect(blueskyRateInfo({ 'ratelimit-remaining': '5', 'ratelimit-reset': '30' }, 1_000_000)).toEqual({ limit: undefined, remaining: 5, resetAt: 1_030_000 });
    expect(blueskyRateInfo({})).toBeUndefined();
  });
});

describe('the sim answers in the documented shapes', () => {
  const graph = new SimGraph({ users: 2000, seed: 5 });
  const find = (status: string) => {
    for (let i = 0; i < graph.size; i++) if (graph.status(i) === status && (status !== 'ok' || graph.followingCount(i) > 30)) return didOfId(graph.idOf(i));
    throw new Error(`no ${status} user`);
  };
  const ask = (path: string, query: string) => bluesky.handle({ pathname: `/xrpc/${path}`, query: new URLSearchParams(query), headers: {}, remoteAddress: '127.0.0.1' }, graph);

  it('for every status: getFollows says "Actor not found", getProfile says why', () => {
    const page = ask('app.bsky.graph.getFollows', `actor=${find('ok')}&limit=10`);
    expect(parseGetFollows(page.status, page.body)).toMatchObject({ kind: 'follows', cursor: expect.stringMatching(/^[2-7a-z]{13}$/) });
    expect(Object.keys(JSON.parse(page.body).follows[0])).toEqual(expect.arrayContaining(['did', 'handle', 'displayName', 'labels', 'createdAt']));
    for (const [status, kind, file] of [
      ['protected', 'protected', 'account-deactivated.json'],
      ['suspended', 'suspended', 'account-takedown.json'],
      ['not_found', 'not_found', 'profile-not-found.json'],
    ] as const) {
      const actor = find(status);
      const follows = ask('app.bsky.graph.getFollows', `actor=${actor}&limit=100`);
      expect(follows.status).toBe(400);
      expect(JSON.parse(follows.body)).toEqual({ error: 'InvalidRequest', message: `Actor not found: ${actor}` });
      const profile = ask('app.bsky.actor.getProfile', `actor=${actor}`);
      expect(JSON.parse(profile.body)).toEqual(JSON.parse(fixture(file)));
      expect(parseGetProfile(profile.status, profile.body)).toMatchObject({ kind: 'error', error: kind });
    }
    expect(ask('app.bsky.graph.getFollows', `actor=${find('ok')}&limit=101`).status).toBe(400);
    expect(JSON.parse(bluesky.rateLimited({ limit: 1, remaining: 0, resetSeconds: 1, resetAtMs: 1000, windowSeconds: 300 }).body)).toEqual(JSON.parse(fixture('rate-limit-exceeded.json')));
    expect(JSON.parse(bluesky.serverError(500).body)).toEqual(JSON.parse(fixture('internal-server-error.json')));
  });

  it('follows its own cursor to the end of the list, by DID or by handle', () => {
    const did = find('ok');
    const profile = JSON.parse(ask('app.bsky.actor.getProfile', `actor=${did}`).body) as { did: string; handle: string };
    expect(profile.did).toBe(did);
    const handle = profile.handle;
    // The AppView's list: deactivated (the sim's protected) accounts are left out as well.
    const expected = graph.allFollows(graph.indexOfId(idOfDid(did)!)!, (t) => graph.status(t) === 'ok').map((t) => didOfId(graph.idOf(t)));
    for (const actor of [did, handle]) {
      let cursor: string | undefined;
      const dids: string[] = [];
      do {
        const r = ask('app.bsky.graph.getFollows', `actor=${actor}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        const parsed = parseGetFollows(r.status, r.body);
        if (parsed.kind !== 'follows') throw new Error(r.body);
        dids.push(...parsed.accounts.map((a) => a.id!));
        cursor = parsed.cursor;
      } while (cursor);
      expect(dids.length).toBeGreaterThan(30);
      expect(dids).toEqual(expected);
    }
    // An unreadable cursor gives an empty page, as the AppView's clearlyBadCursor does.
    expect(parseGetFollows(200, ask('app.bsky.graph.getFollows', `actor=${did}&cursor=zzzz`).body)).toEqual({ kind: 'follows', accounts: [], cursor: undefined });
  });
});
