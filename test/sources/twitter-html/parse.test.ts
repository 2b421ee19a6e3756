import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFollowingPage } from '../../../src/sources/twitter-html/parse.ts';
import { parseCanonicalPage } from '../../../src/sources/twitter-html/parse-canonical.ts';
import { parseFollowingPageTokens } from '../../../src/sources/twitter-html/parse-tokens.ts';
import { parseFollowingPageDom } from '../../../src/sources/twitter-html/parse-dom.ts';
import { SimGraph } from '../../../src/sim/graph.ts';
import { twitterHtml } from '../../../src/sim/protocols/twitter-html.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/twitter-html/${name}`, import.meta.url), 'utf8');

describe.each([
  ['parser', parseFollowingPage],
  ['tokenizer', parseFollowingPageTokens],
  ['DOM', parseFollowingPageDom],
])('%s parse of fixture pages', (_name, parseFollowingPage) => {
  it('reads names and the next cursor from a page with a more button', () => {
    expect(parseFollowingPage(fixture('list-with-more.html'))).toEqual({
      kind: 'list',
      names: ['biz', 'ev', 'Noah_G'],
      nextCursor: '1598765432109876543',
    });
  });

  it('reads the last page (no more button) including digit-only and 15-character names', () => {
    expect(parseFollowingPage(fixture('list-last-page.html'))).toEqual({ kind: 'list', names: ['1', 'a_very_long_nam'], nextCursor: undefined });
  });

  it('reads an empty list as an empty list (the user follows nobody)', () => {
    expect(parseFollowingPage(fixture('list-empty.html'))).toEqual({ kind: 'list', names: [], nextCursor: undefined });
  });

  it('recognises protected, suspended and not-found notices', () => {
    expect(parseFollowingPage(fixture('protected.html'))).toEqual({ kind: 'protected' });
    expect(parseFollowingPage(fixture('suspended.html'))).toEqual({ kind: 'suspended' });
    expect(parseFollowingPage(fixture('not-found.html'))).toEqual({ kind: 'not_found' });
  });

  it('never reads a truncated or re-designed page as "0 friends"', () => {
    const truncated = parseFollowingPage(fixture('truncated.html'));
    expect(truncated.kind).toBe('unrecognised');
    expect(truncated).toMatchObject({ reason: expect.stringContaining('truncated') });
    const changed = parseFollowingPage(fixture('changed-markup.html'));
    expect(changed).toMatchObject({ kind: 'unrecognised', reason: expect.stringContaining('markup changed') });
    expect(parseFollowingPage(fixture('bad-name.html'))).toMatchObject({ kind: 'unrecognised', reason: expect.stringContaining('not a name') });
    expect(parseFollowingPage(fixture('cell-changed.html'))).toMatchObject({ kind: 'unrecognised', reason: expect.stringContaining('markup changed') });
  });

  it('has a case for every fixture file', () => {
    expect(readdirSync(new URL('../../fixtures/twitter-html/', import.meta.url)).sort()).toEqual([
      'bad-name.html',
      'cell-changed.html',
      'changed-markup.html',
      'list-empty.html',
      'list-last-page.html',
      'list-with-more.html',
      'not-found.html',
      'protected.html',
      'suspended.html',
      'truncated.html',
    ]);
  });
});

describe('parseFollowingPage on pages the sim renders canonically', () => {
  it('reads back exactly the names the sim put on every page of a user, as the DOM parse does', () => {
    const graph = new SimGraph({ users: 5000, seed: 7 });
    const index = Array.from({ length: 5000 }, (_, i) => i).find((i) => graph.status(i) === 'ok' && graph.followingCount(i) > 100)!;
    const name = graph.screenName(index);
    const names: string[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 1000; guard++) {
      const res = twitterHtml.handle({ pathname: `/${name}/following`, query: new URLSearchParams(cursor ? { cursor } : {}), headers: {}, remoteAddress: '127.0.0.1' }, graph);
      const parsed = parseFollowingPage(res.body);
      expect(parseFollowingPageDom(res.body)).toEqual(parsed);
      // The sim's canonical pages are the one spelling the fast path knows.
      expect(parseCanonicalPage(res.body)).toEqual(parsed);
      if (parsed.kind !== 'list') throw new Error(`unexpected ${parsed.kind}`);
      names.push(...parsed.names);
      if (!parsed.nextCursor) break;
      cursor = parsed.nextCursor;
    }
    expect(names).toEqual(graph.allFollows(index).map((t) => graph.screenName(t)));
  });
});
