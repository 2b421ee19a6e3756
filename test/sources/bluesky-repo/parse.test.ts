import { describe, expect, it } from 'vitest';
import { SourceError } from '../../../src/core/errors.ts';
import { repoCar } from '../../../src/sim/atproto/repo-car.ts';
import { tid } from '../../../src/sim/atproto/tid.ts';
import { followsInCar } from '../../../src/sources/bluesky-repo/car.ts';
import { didMethod, parseDidDocument } from '../../../src/sources/bluesky-repo/did-document.ts';
import { parseListRecords, parseRepoStatus } from '../../../src/sources/bluesky-repo/parse.ts';

const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const follow = (subject: unknown) => ({
  uri: `at://${DID}/app.bsky.graph.follow/3kxbqanb2gk2s`,
  cid: 'bafyreih',
  value: { $type: 'app.bsky.graph.follow', subject, createdAt: '2024-01-01T00:00:00.000Z' },
});

describe('bluesky-repo: listRecords and getRepoStatus answers', () => {
  it('reads the followed DIDs and the cursor of a page of follow records', () => {
    const body = JSON.stringify({ records: [follow('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'), follow('did:web:example.com')], cursor: '3kxbqanb2gk2s' });
    expect(parseListRecords(200, body)).toEqual({ kind: 'follows', dids: ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 'did:web:example.com'], cursor: '3kxbqanb2gk2s' });
    expect(parseListRecords(200, '{"records":[]}')).toEqual({ kind: 'follows', dids: [], cursor: undefined });
  });

  it('never reads a page of another shape as fewer follows', () => {
    for (const body of [
      '{"items":[]}',
      'not json',
      JSON.stringify({ records: [follow({ did: 'did:plc:x' })] }),
      JSON.stringify({ records: [{ ...follow('did:plc:x'), value: { $type: 'app.bsky.feed.like', subject: 'did:plc:x' } }] }),
    ]) {
      expect(parseListRecords(200, body)).toMatchObject({ kind: 'error', error: 'invalid_response' });
    }
  });

  it('tells "Could not find repo" from the errors that name their reason', () => {
    expect(parseListRecords(400, JSON.stringify({ error: 'InvalidRequest', message: `Could not find repo: ${DID}` }))).toMatchObject({ kind: 'repo_not_here' });
    expect(parseListRecords(400, JSON.stringify({ error: 'RepoTakendown', message: 'x' }))).toMatchObject({ kind: 'error', error: 'suspended' });
    expect(parseListRecords(400, JSON.stringify({ error: 'RepoDeactivated', message: 'x' }))).toMatchObject({ kind: 'error', error: 'protected' });
    expect(parseListRecords(400, JSON.stringify({ error: 'RepoNotFound', message: 'x' }))).toMatchObject({ kind: 'error', error: 'not_found' });
    expect(parseListRecords(429, JSON.stringify({ error: 'RateLimitExceeded', message: 'x' }))).toMatchObject({ kind: 'error', error: 'rate_limited' });
    expect(parseListRecords(502, '<html>bad gateway</html>')).toMatchObject({ kind: 'error', error: 'transient' });
    // A PDS that wants authentication fails the user, not the run.
    expect(parseListRecords(401, JSON.stringify({ error: 'AuthRequired', message: 'x' }))).toMatchObject({ kind: 'error', error: 'fatal' });
    expect(parseRepoStatus(200, JSON.stringify({ did: DID, active: false, status: 'takendown' }))).toEqual({ kind: 'status', active: false, status: 'takendown' });
    expect(parseRepoStatus(200, JSON.stringify({ did: DID }))).toMatchObject({ kind: 'error', error: 'invalid_response' });
  });
});

describe('bluesky-repo: DID documents', () => {
  const doc = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: DID,
      alsoKnownAs: ['at://alice.example.com'],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://morel.us-east.host.bsky.network' }],
      ...over,
    });

  it('names the PDS and the handle the document claims', () => {
    expect(parseDidDocument(DID, 200, doc())).toEqual({ pds: 'https://morel.us-east.host.bsky.network', handle: 'alice.example.com' });
    const web = parseDidDocument(DID, 200, doc({ service: [{ id: `${DID}#atproto_pds`, type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.example' }] }));
    expect(web.pds).toBe('https://pds.example');
  });

  it('is not found when the directory does not know the DID, or the document names no PDS; wrong when it is about another DID', () => {
    const kind = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as SourceError).kind;
      }
      return 'none';
    };
    expect(kind(() => parseDidDocument(DID, 404, '{"message":"DID not registered: x"}'))).toBe('not_found');
    expect(kind(() => parseDidDocument(DID, 410, ''))).toBe('not_found');
    expect(kind(() => parseDidDocument(DID, 200, doc({ service: [] })))).toBe('not_found');
    expect(kind(() => parseDidDocument(DID, 200, doc({ id: 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb' })))).toBe('invalid_response');
    expect(kind(() => parseDidDocument(DID, 503, ''))).toBe('transient');
  });

  it('knows did:plc and did:web at the top of a domain (a port as %3A); any other DID can never resolve', () => {
    expect(didMethod(DID)).toEqual({ method: 'plc' });
    expect(didMethod('did:web:localhost%3A8080')).toEqual({ method: 'web', host: 'localhost:8080' });
    for (const bad of ['did:web:example.com:users:alice', 'did:key:z6Mk', 'did:plc:short', 'handle.bsky.social']) expect(() => didMethod(bad)).toThrow(SourceError);
  });
});

describe('bluesky-repo: follows in a repository file', () => {
  const key = (i: number) => tid(1_700_000_000_000_000 + i * 1000, 1);
  const records = [
    ...Array.from({ length: 250 }, (_, i) => ({
      key: `app.bsky.graph.follow/${key(i)}`,
      value: { $type: 'app.bsky.graph.follow', subject: `did:plc:${String(i).padStart(24, 'a')}`, createdAt: '2024-01-01T00:00:00.000Z' },
    })),
    ...Array.from({ length: 300 }, (_, i) => ({ key: `app.bsky.feed.like/${key(i)}`, value: { $type: 'app.bsky.feed.like', n: i } })),
    { key: 'app.bsky.actor.profile/self', value: { $type: 'app.bsky.actor.profile', displayName: 'A' } },
  ];
  const car = repoCar(DID, key(999), records);
  const newestFirst = Array.from({ length: 250 }, (_, i) => `did:plc:${String(249 - i).padStart(24, 'a')}`);

  it('lists every follow, newest first, and only those keyed below a cursor when given', () => {
    expect(followsInCar(car, DID)).toEqual(newestFirst);
    expect(followsInCar(car, DID, key(100))).toEqual(newestFirst.slice(150));
  });

  it('refuses a file of another account, a truncated file, and a follow record of another shape', () => {
    expect(() => followsInCar(car, 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb')).toThrow(/commit is for/);
    expect(() => followsInCar(car.subarray(0, car.length - 500), DID)).toThrow(SourceError);
    const odd = repoCar(DID, key(999), [{ key: `app.bsky.graph.follow/${key(1)}`, value: { $type: 'app.bsky.graph.follow', subject: { did: 'did:plc:x' } } }]);
    expect(() => followsInCar(odd, DID)).toThrow(/not a follow record/);
  });
});
