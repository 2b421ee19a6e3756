/**
 * Cost of reading one legacy HTML following page (20 accounts, as the sim renders them): the scanner
 * friendfleet uses, the cheapest other correct reading we could write (one regular expression over the
 * list), cheerio with htmlparser2 (the DOM oracle), and cheerio's default parse5. `agrees_with_dom`
 * checks each candidate against the DOM reading on every fixture page and every sampled sim page: the
 * faster of the correct ones is the one in src/.
 * Run: node bench/parse.ts [--quick]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as cheerio from 'cheerio';
import { SimGraph } from '../src/sim/graph.ts';
import { twitterHtml } from '../src/sim/protocols/twitter-html.ts';
import { cursorOfHref, NO_LIST, SCREEN_NAME, TRUNCATED, type FollowingPageParse } from '../src/sources/twitter-html/page.ts';
import { parseFollowingPage } from '../src/sources/twitter-html/parse.ts';
import { parseFollowingPageDom } from '../src/sources/twitter-html/parse-dom.ts';
import { printTable, writeResults } from './table.ts';

const graph = new SimGraph({ users: 10_000, seed: 1 });
const pages: string[] = [];
for (let i = 0; pages.length < 200; i++) {
  if (graph.status(i) !== 'ok' || graph.followingCount(i) < 20) continue;
  const req = { pathname: `/${graph.screenName(i)}/following`, query: new URLSearchParams(), headers: {}, remoteAddress: '' };
  pages.push(twitterHtml.handle(req, graph).body);
}
const fixtureDir = new URL('../test/fixtures/twitter-html/', import.meta.url);
const fixtures = readdirSync(fixtureDir).map((f) => readFileSync(new URL(f, fixtureDir), 'utf8'));

const ANCHOR_NAME = /<td class="info fifty screenname"><a name="([^"]*)"/g;
const MORE_HREF = /<div class="w-button-more"><a href="([^"]*)"/;

/** The candidate: the list read with one regular expression instead of the scanner's indexOf walk. */
function parseWithRegex(html: string): FollowingPageParse {
  if (html.lastIndexOf('</html>') === -1) return TRUNCATED;
  const list = html.indexOf('<div class="user-list">');
  if (list === -1) {
    if (html.includes('<div class="protected">')) return { kind: 'protected' };
    if (html.includes('<div class="account-suspended">')) return { kind: 'suspended' };
    if (html.includes('<div class="not-found">')) return { kind: 'not_found' };
    return NO_LIST;
  }
  const more = html.indexOf('<div class="w-button-more">', list);
  const body = html.slice(list, more === -1 ? html.length : more);
  const names = Array.from(body.matchAll(ANCHOR_NAME), (m) => m[1]!);
  const bad = names.find((n) => !SCREEN_NAME.test(n));
  if (bad !== undefined) return { kind: 'unrecognised', reason: `unexpected screen name ${JSON.stringify(bad)} on page` };
  const items = body.split('<table class="user-item">').length - 1;
  if (items !== names.length) return { kind: 'unrecognised', reason: `${items} user items but ${names.length} screen-name cells (markup changed?)` };
  if (more === -1) return { kind: 'list', names, nextCursor: undefined };
  const href = MORE_HREF.exec(html.slice(more))?.[1];
  const nextCursor = href === undefined ? undefined : cursorOfHref(href);
  return nextCursor ? { kind: 'list', names, nextCursor } : { kind: 'unrecognised', reason: 'more-button link has no cursor' };
}

/** Same kind, names and cursor as the DOM reading (reasons of unreadable pages may be worded differently). */
function agreesWithDom(parse: (html: string) => FollowingPageParse): boolean {
  return [...fixtures, ...pages].every((html) => {
    const a = parse(html);
    const b = parseFollowingPageDom(html);
    return a.kind === 'unrecognised' ? b.kind === 'unrecognised' : isDeepStrictEqual(a, b);
  });
}

function microsPerPage(parse: (html: string) => unknown, rounds: number): number {
  for (const p of pages) parse(p);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of pages) parse(p);
  return ((performance.now() - t0) * 1000) / (rounds * pages.length);
}

const rounds = process.argv.includes('--quick') ? 3 : 20;
const rows = [
  { parser: 'scanner (used)', us_per_page: microsPerPage(parseFollowingPage, rounds * 10), agrees_with_dom: agreesWithDom(parseFollowingPage) },
  { parser: 'one regular expression', us_per_page: microsPerPage(parseWithRegex, rounds * 10), agrees_with_dom: agreesWithDom(parseWithRegex) },
  { parser: 'cheerio + htmlparser2', us_per_page: microsPerPage(parseFollowingPageDom, rounds), agrees_with_dom: true },
  { parser: 'cheerio + parse5 (default)', us_per_page: microsPerPage((h) => cheerio.load(h)('td.info.fifty.screenname > a[name]').length, rounds), agrees_with_dom: null },
].map((r) => ({ ...r, us_per_page: Number(r.us_per_page.toFixed(1)), page_bytes: pages[0]!.length }));
printTable('Parsing one following page', rows);
writeResults('parse', rows);
