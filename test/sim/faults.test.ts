import { describe, expect, it } from 'vitest';
import { errors, request } from 'undici';
import { didOfId } from '../../src/sim/did.ts';
import { BrokenUsers } from '../../src/sim/faults.ts';
import { SimGraph } from '../../src/sim/graph.ts';
import { parseGetFollows } from '../../src/sources/bluesky/parse.ts';
import { parseFollowingAnswer } from '../../src/sources/twitter-api/parse.ts';
import { parseFollowingPage } from '../../src/sources/twitter-html/parse.ts';
import { useSim } from '../support/sim.ts';
import { fetchTruth } from '../support/truth.ts';

/** The first users (in index order) with `ok` status and more than one page of follows. */
function multiPageUsers(graph: SimGraph, n: number, where: (i: number) => boolean = () => true): number[] {
  const out: number[] = [];
  for (let i = 0; i < graph.size && out.length < n; i++) if (graph.status(i) === 'ok' && graph.followingCount(i) > 60 && where(i)) out.push(i);
  return out;
}

async function page(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const res = await request(url, { headers });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

describe('broken users', () => {
  it('are a deterministic share of users, each broken one way', () => {
    const a = new BrokenUsers(7, 0.1);
    const b = new BrokenUsers(7, 0.1);
    const kinds = Array.from({ length: 20_000 }, (_, i) => a.kindOf(i));
    expect(kinds).toEqual(Array.from({ length: 20_000 }, (_, i) => b.kindOf(i)));
    const share = kinds.filter(Boolean).length / kinds.length;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
    expect(new Set(kinds.filter(Boolean))).toEqual(new Set(['cursor-loop', 'markup', 'endless-empty']));
    expect(new BrokenUsers(7, 0).kindOf(3)).toBeUndefined();
  });
});

describe('the sim serves broken pages, stalls and 429 storms', async () => {
  const broken = await useSim({ users: 3000, seed: 4, brokenShare: 0.3 });
  const faults = new BrokenUsers(4, 0.3);

  it('sends a looping user back to the same page from the second page on, and says so in the truth', async () => {
    const [i] = multiPageUsers(broken.graph, 1, (k) => faults.kindOf(k) === 'cursor-loop');
    const name = broken.graph.screenName(i!);
    const first = parseFollowingPage((await page(`${broken.url}/${name}/following`)).body);
    expect(first.kind).toBe('list');
    const cursor = (first as { nextCursor: string }).nextCursor;
    const second = parseFollowingPage((await page(`${broken.url}/${name}/following?cursor=${cursor}`)).body);
    expect(second).toMatchObject({ kind: 'list', nextCursor: cursor });
    expect((await fetchTruth(broken.url, broken.graph.idOf(i!).toString())).broken).toBe('cursor-loop');
  });

  it('renders a redesigned list for a markup-broken user, which the parser refuses rather than reading 0 friends', async () => {
    const [i] = multiPageUsers(broken.graph, 1, (k) => faults.kindOf(k) === 'markup');
    const res = await page(`${broken.url}/${broken.graph.screenName(i!)}/following`);
    expect(res.status).toBe(200);
    expect(parseFollowingPage(res.body)).toEqual({ kind: 'unrecognised', reason: 'no user list or known notice on page (markup changed?)' });
    expect((await fetchTruth(broken.url, broken.graph.idOf(i!).toString())).broken).toBe('markup');
    expect(broken.stats().faults.markup).toBeGreaterThan(0);
  });

  // The JSON protocols: small pages, so that a looping user needs only a few dozen follows.
  const api = async (i: number, token?: string) => {
    const res = await page(`${broken.url}/2/users/${broken.graph.idOf(i)}/following?max_results=20${token ? `&pagination_token=${token}` : ''}`, { authorization: 'Bearer t' });
    return parseFollowingAnswer(res.status, res.body, broken.graph.idOf(i).toString());
  };
  const xrpc = async (i: number, cursor?: string) => {
    const res = await page(`${broken.url}/xrpc/app.bsky.graph.getFollows?actor=${didOfId(broken.graph.idOf(i))}&limit=20${cursor ? `&cursor=${cursor}` : ''}`);
    return parseGetFollows(res.status, res.body);
  };

  it('loops the X API v2 next_token and the Bluesky cursor from the second page on', async () => {
    const [i] = multiPageUsers(broken.graph, 1, (k) => faults.kindOf(k) === 'cursor-loop');
    const first = await api(i!);
    const token = (first as { nextToken: string }).nextToken;
    expect(await api(i!, token)).toMatchObject({ kind: 'page', nextToken: token });
    const firstPage = await xrpc(i!);
    const cursor = (firstPage as { cursor: string }).cursor;
    expect(await xrpc(i!, cursor)).toMatchObject({ kind: 'follows', cursor });
    // The truth names the user whether it is asked by ID or by DID.
    expect((await fetchTruth(broken.url, didOfId(broken.graph.idOf(i!)))).broken).toBe('cursor-loop');
  });

  it('answers a markup-broken user in a JSON shape the clients refuse, even when the list is empty', async () => {
    const [i] = multiPageUsers(broken.graph, 1, (k) => faults.kindOf(k) === 'markup');
    expect(await api(i!)).toEqual({ kind: 'error', error: 'invalid_response', message: 'answer has neither data, errors nor an empty meta (format changed?)' });
    expect(await xrpc(i!)).toEqual({ kind: 'error', error: 'invalid_response', message: 'getFollows answer without a follows array (format changed?)' });
    const empty = Array.from({ length: broken.graph.size }, (_, k) => k).find((k) => broken.graph.status(k) === 'ok' && broken.graph.followingCount(k) === 0 && faults.kindOf(k) === 'markup');
    expect(empty).toBeDefined();
    expect(await api(empty!)).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect(await xrpc(empty!)).toMatchObject({ kind: 'error', error: 'invalid_response' });
    expect((await fetchTruth(broken.url, didOfId(broken.graph.idOf(i!)))).broken).toBe('markup');
  });

  it('serves an endless-empty user empty pages with a new cursor each, for ever, on every protocol', async () => {
    const [i] = multiPageUsers(broken.graph, 1, (k) => faults.kindOf(k) === 'endless-empty');
    const name = broken.graph.screenName(i!);
    let html = parseFollowingPage((await page(`${broken.url}/${name}/following`)).body) as { names: string[]; nextCursor: string };
    let token = ((await api(i!)) as { nextToken: string }).nextToken;
    let cursor = ((await xrpc(i!)) as { cursor: string }).cursor;
    const seen = new Set<string>();
    for (let k = 0; k < 15; k++) {
      html = parseFollowingPage((await page(`${broken.url}/${name}/following?cursor=${html.nextCursor}`)).body) as typeof html;
      const apiPage = (await api(i!, token)) as { accounts: unknown[]; nextToken: string };
      const xrpcPage = (await xrpc(i!, cursor)) as { accounts: unknown[]; cursor: string };
      expect([html.names.length, apiPage.accounts.length, xrpcPage.accounts.length]).toEqual([0, 0, 0]);
      for (const c of [html.nextCursor, apiPage.nextToken, xrpcPage.cursor]) {
        expect(seen.has(c)).toBe(false);
        seen.add(c);
      }
      token = apiPage.nextToken;
      cursor = xrpcPage.cursor;
    }
    expect((await fetchTruth(broken.url, broken.graph.idOf(i!).toString())).broken).toBe('endless-empty');
  });

  it('leaves unbroken users alone', async () => {
    const [i] = multiPageUsers(broken.graph, 1, (k) => faults.kindOf(k) === undefined);
    expect(parseFollowingPage((await page(`${broken.url}/${broken.graph.screenName(i!)}/following`)).body).kind).toBe('list');
    expect((await api(i!)).kind).toBe('page');
    expect((await xrpc(i!)).kind).toBe('follows');
    expect((await fetchTruth(broken.url, broken.graph.idOf(i!).toString())).broken).toBeUndefined();
    expect((await fetchTruth(broken.url, didOfId(broken.graph.idOf(i!)))).broken).toBeUndefined();
  });

  it('stalls an answer until the client gives up', async () => {
    const stalling = await useSim({ users: 100, seed: 4, faultRate: 1, faultKinds: ['stall'], stallMs: 5000 });
    const name = stalling.graph.screenName(multiPageUsers(stalling.graph, 1)[0]!);
    const t0 = Date.now();
    await expect(request(`${stalling.url}/${name}/following`, { headersTimeout: 300 })).rejects.toBeInstanceOf(errors.HeadersTimeoutError);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(stalling.stats().faults.stall).toBe(1);
  });

  it.each([
    ['storm', true],
    ['storm-bare', false],
  ] as const)('refuses every request during a %s, with reset headers: %s', async (kind, headers) => {
    const storming = await useSim({ users: 100, seed: 4, faultRate: 1, faultKinds: [kind], stormMs: 1500 });
    const name = storming.graph.screenName(multiPageUsers(storming.graph, 1)[0]!);
    const t0 = Date.now();
    const answers = [];
    for (let k = 0; k < 5; k++) answers.push(await page(`${storming.url}/${name}/following`));
    expect(answers.map((a) => a.status)).toEqual([429, 429, 429, 429, 429]);
    expect(storming.stats().faults[kind]).toBe(1);
    if (headers) {
      expect(answers[0]!.headers['x-rate-limit-remaining']).toBe('0');
      const reset = Number(answers[0]!.headers['x-rate-limit-reset']) * 1000;
      expect(reset).toBeGreaterThanOrEqual(t0 + 1500);
      expect(reset).toBeLessThan(t0 + 3500);
    } else {
      expect(answers[0]!.headers['x-rate-limit-reset']).toBeUndefined();
      expect(answers[0]!.headers['retry-after']).toBeUndefined();
    }
  });
});
