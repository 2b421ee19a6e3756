import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimGraph } from '../../src/sim/graph.ts';
import type { SimProtocol, SimResponse } from '../../src/sim/protocol.ts';
import { bluesky } from '../../src/sim/protocols/bluesky.ts';
import { twitterApi } from '../../src/sim/protocols/twitter-api.ts';
import { VariantUsers } from '../../src/sim/variants.ts';
import { xAnswerProblems, xrpcAnswerProblems } from '../support/official-schemas.ts';

/*
 * Every answer the sim's JSON protocols give, for every user of a small graph (a third of them variant
 * users), is checked against the services' official definitions, so that the sim cannot drift from
 * what the real services may send. The HTML site has no published definition; its pages are held to a
 * real HTML parser instead (test/sources/twitter-html/spellings.test.ts).
 */

const graph = new SimGraph({ users: 6000, seed: 5 });
const variants = new VariantUsers(graph.seed, 0.35);
/** Users whose whole list is read: every user who cannot be read costs one answer, so all of those are asked. */
const WALKED = 160;
const asked = Array.from({ length: graph.size }, (_, i) => i).filter((i) => i < WALKED || graph.status(i) !== 'ok');
const request = (pathname: string, query: string, authorization?: string) => ({
  pathname,
  query: new URLSearchParams(query),
  headers: authorization === undefined ? {} : { authorization },
  remoteAddress: '127.0.0.1',
});
const window = (resetSeconds: number) => ({ limit: 300, remaining: 0, resetSeconds, resetAtMs: resetSeconds * 1000, windowSeconds: 900 });

/** Answers of one protocol, kept with what was asked, checked at the end. */
class Answers {
  readonly all: { what: string; res: SimResponse }[] = [];
  add(what: string, res: SimResponse): SimResponse {
    this.all.push({ what, res });
    return res;
  }
}

/** Every page of one user's list, asking again after an upstream error (some variant pages send one first). */
function walk(answers: Answers, protocol: SimProtocol, ask: (cursor: string | undefined) => SimResponse, next: (body: Record<string, unknown>) => string | undefined): void {
  let cursor: string | undefined;
  for (let guard = 0; guard < 500; guard++) {
    const res = answers.add(`page ${cursor ?? 'first'}`, ask(cursor));
    if (res.status >= 500) continue;
    if (res.status !== 200) return;
    cursor = next(JSON.parse(res.body) as Record<string, unknown>);
    if (cursor === undefined) return;
  }
  throw new Error(`${protocol.name}: no end after 500 pages`);
}

describe('the official-definition checks', () => {
  it('refuse answers the definitions do not allow', () => {
    const json = 'application/json';
    expect(xAnswerProblems(200, json, '{"data":[{"id":6253282,"name":"X","username":"x"}]}')).not.toEqual([]);
    expect(xAnswerProblems(200, json, '{"errors":[{"title":"Oops","type":"https://api.x.com/2/problems/made-up","detail":"d"}]}')).not.toEqual([]);
    expect(xAnswerProblems(404, 'application/problem+json', '{"title":"Not Found Error","type":"https://api.x.com/2/problems/resource-not-found"}')).not.toEqual([]);
    expect(xAnswerProblems(200, 'text/html', '<html></html>')).not.toEqual([]);
    expect(xrpcAnswerProblems('app.bsky.graph.getFollows', 200, '{"subject":{"did":"did:plc:a","handle":"a.bsky.social"},"follows":[{"did":"plc:b","handle":"b.bsky.social"}]}')).not.toEqual([]);
    expect(xrpcAnswerProblems('app.bsky.actor.getProfile', 200, '{"did":"did:plc:a","handle":"a.bsky.social","followsCount":"12"}')).not.toEqual([]);
    expect(xrpcAnswerProblems('app.bsky.graph.getFollows', 400, '{"message":"no name"}')).not.toEqual([]);
  });

  it('pass the documented example answers the parsers are tested on (test/fixtures/)', () => {
    const x = (file: string, status: number, type = 'application/json') => xAnswerProblems(status, type, readFileSync(new URL(`../fixtures/twitter-api/${file}`, import.meta.url), 'utf8'));
    for (const file of [
      'following-page.json',
      'following-last-page.json',
      'following-empty.json',
      'error-protected.json',
      'error-not-found.json',
      'error-not-found-x-domain.json',
      'error-suspended.json',
    ])
      expect(x(file, 200), file).toEqual([]);
    for (const [file, status] of [
      ['unauthorized-401.json', 401],
      ['too-many-requests-429.json', 429],
      ['usage-capped-429.json', 429],
      ['client-forbidden-403.json', 403],
      ['invalid-request-400.json', 400],
      ['service-unavailable-503.json', 503],
    ] as const) {
      expect(x(file, status, 'application/problem+json'), file).toEqual([]);
    }
    const b = (nsid: string, file: string, status: number) => xrpcAnswerProblems(nsid, status, readFileSync(new URL(`../fixtures/bluesky/${file}`, import.meta.url), 'utf8'));
    for (const file of ['get-follows-page.json', 'get-follows-last-page.json', 'get-follows-empty.json']) expect(b('app.bsky.graph.getFollows', file, 200), file).toEqual([]);
    expect(b('app.bsky.actor.getProfile', 'get-profile.json', 200)).toEqual([]);
    for (const file of [
      'actor-not-found.json',
      'profile-not-found.json',
      'account-takedown.json',
      'account-deactivated.json',
      'rate-limit-exceeded.json',
      'internal-server-error.json',
      'invalid-limit.json',
    ])
      expect(b('app.bsky.graph.getFollows', file, 400), file).toEqual([]);
  });
});

describe("the sim answers as the services' official definitions allow", () => {
  it("X API v2: every answer passes X's OpenAPI document (the following operation, version 2.166 or 2.167)", () => {
    const answers = new Answers();
    for (const i of asked) {
      const id = graph.idOf(i).toString();
      walk(
        answers,
        twitterApi,
        (token) => twitterApi.handle(request(`/2/users/${id}/following`, `max_results=100&user.fields=username${token ? `&pagination_token=${token}` : ''}`, 'Bearer t'), graph, undefined, variants),
        (body) => (body.meta as { next_token?: string } | undefined)?.next_token,
      );
    }
    answers.add('unknown user', twitterApi.handle(request('/2/users/1/following', '', 'Bearer t'), graph));
    answers.add('bad parameter', twitterApi.handle(request(`/2/users/${graph.idOf(1)}/following`, 'max_results=5000', 'Bearer t'), graph));
    for (const token of ['revoked-1', 'forbidden-1', 'capped-1']) answers.add(token, twitterApi.handle(request(`/2/users/${graph.idOf(1)}/following`, '', `Bearer ${token}`), graph));
    for (const reset of [1, 2]) answers.add(`429 (${reset})`, twitterApi.rateLimited(window(reset)));
    for (const status of [500, 502, 503, 504]) answers.add(`${status}`, twitterApi.serverError(status));

    const invalid = answers.all.map(({ what, res }) => ({ what, problems: xAnswerProblems(res.status, res.contentType, res.body) })).filter((a) => a.problems.length > 0);
    expect(invalid.slice(0, 5)).toEqual([]);
    expect(answers.all.length).toBeGreaterThan(1000);

    // Every shape the issue lists reached the check.
    const bodies = answers.all.filter((a) => a.res.contentType.startsWith('application/')).map((a) => ({ status: a.res.status, body: JSON.parse(a.res.body) as Record<string, any> }));
    const some = (what: string, test: (b: { status: number; body: Record<string, any> }) => boolean) => expect(bodies.some(test), what).toBe(true);
    some('an empty page with next_token', (b) => b.body.meta?.result_count === 0 && b.body.meta?.next_token !== undefined);
    some('a short page mid-list', (b) => b.body.data !== undefined && b.body.data.length < 100 && b.body.meta?.next_token !== undefined);
    some('previous_token', (b) => b.body.meta?.previous_token !== undefined);
    some('errors[] and includes beside data', (b) => b.body.data !== undefined && b.body.errors !== undefined && b.body.includes !== undefined);
    some('more user fields', (b) => b.body.data?.[0]?.public_metrics !== undefined);
    some('api.twitter.com problem types', (b) => JSON.stringify(b.body).includes('https://api.twitter.com/2/problems/'));
    some('api.x.com problem types with status', (b) => b.body.errors?.[0]?.type?.startsWith('https://api.x.com/2/problems/') && b.body.errors[0].status !== undefined);
    some('api.x.com problem types without status', (b) => b.body.errors?.[0]?.type?.startsWith('https://api.x.com/2/problems/') && b.body.errors[0].status === undefined);
    some('a top-level 404 resource-not-found', (b) => b.status === 404 && String(b.body.type).endsWith('/resource-not-found'));
    some('a top-level 403 not-authorized-for-resource', (b) => b.status === 403 && String(b.body.type).endsWith('/not-authorized-for-resource'));
    some('the 429 with code 88', (b) => b.status === 429 && b.body.errors?.[0]?.code === 88);
    some('403 client-forbidden', (b) => b.status === 403 && String(b.body.type).endsWith('/client-forbidden'));
    some('429 usage-capped', (b) => b.status === 429 && String(b.body.type).endsWith('/usage-capped'));
    expect(
      answers.all.some((a) => a.res.status >= 502 && a.res.contentType.startsWith('text/html')),
      'an HTML page from the edge',
    ).toBe(true);
  });

  it('Bluesky: every answer passes the lexicons of app.bsky.graph.getFollows and app.bsky.actor.getProfile', () => {
    const follows = new Answers();
    const profiles = new Answers();
    for (const i of asked) {
      const { did } = variants.identity(graph, i);
      walk(
        follows,
        bluesky,
        (cursor) => bluesky.handle(request('/xrpc/app.bsky.graph.getFollows', `actor=${encodeURIComponent(did)}&limit=50${cursor ? `&cursor=${cursor}` : ''}`), graph, undefined, variants),
        (body) => body.cursor as string | undefined,
      );
      profiles.add(did, bluesky.handle(request('/xrpc/app.bsky.actor.getProfile', `actor=${encodeURIComponent(did)}`), graph, undefined, variants));
    }
    follows.add('limit too large', bluesky.handle(request('/xrpc/app.bsky.graph.getFollows', `actor=${variants.identity(graph, 1).did}&limit=500`), graph));
    follows.add('429', bluesky.rateLimited(window(Math.ceil(Date.now() / 1000) + 60)));
    for (const status of [500, 502, 503, 504]) follows.add(`${status}`, bluesky.serverError(status));

    const invalid = [
      ...follows.all.map(({ what, res }) => ({ what, problems: xrpcAnswerProblems('app.bsky.graph.getFollows', res.status, res.body) })),
      ...profiles.all.map(({ what, res }) => ({ what, problems: xrpcAnswerProblems('app.bsky.actor.getProfile', res.status, res.body) })),
    ].filter((a) => a.problems.length > 0);
    expect(invalid.slice(0, 5)).toEqual([]);
    expect(follows.all.length).toBeGreaterThan(1000);

    const pages = follows.all.filter((a) => a.res.status === 200).map((a) => JSON.parse(a.res.body) as { follows: Record<string, any>[]; cursor?: string });
    const views = pages.flatMap((p) => p.follows);
    const some = (what: string, found: boolean) => expect(found, what).toBe(true);
    some(
      'an empty page that keeps a cursor',
      pages.some((p) => p.follows.length === 0 && p.cursor !== undefined),
    );
    some(
      'a short page that keeps a cursor',
      pages.some((p) => p.follows.length > 0 && p.follows.length < 50 && p.cursor !== undefined),
    );
    some(
      'full profile views',
      views.some((v) => v.associated !== undefined && v.viewer !== undefined && v.verification !== undefined && v.description !== undefined && v.labels.length > 0),
    );
    some(
      'did:web',
      views.some((v) => v.did.startsWith('did:web:') && !v.did.includes('%3A')),
    );
    some(
      'did:web with a port',
      views.some((v) => v.did.startsWith('did:web:') && v.did.includes('%3A')),
    );
    some(
      'handle.invalid',
      views.some((v) => v.handle === 'handle.invalid'),
    );
    some(
      '502 UpstreamFailure',
      follows.all.some((a) => a.res.status === 502 && a.res.body.includes('UpstreamFailure')),
    );
    some(
      '504 UpstreamTimeout',
      follows.all.some((a) => a.res.status === 504 && a.res.body.includes('UpstreamTimeout')),
    );
    some(
      'Retry-After on a 429',
      follows.all.some((a) => a.res.status === 429 && a.res.headers?.['retry-after'] !== undefined),
    );
    // Deactivated and taken-down accounts are followed in the graph but left out of every list.
    const listed = new Set(views.map((v) => v.did));
    for (let i = 0; i < graph.size; i++) if (graph.status(i) !== 'ok') expect(listed.has(variants.identity(graph, i).did)).toBe(false);
  });
});
