/**
 * Cost of reading one legacy HTML following page (up to 20 accounts), by path and by page: the fast
 * path that proves a page is in the canonical spelling, htmlparser2's tokenizer that reads any spelling,
 * the parser friendfleet uses (the first, else the second), and cheerio's DOM (the oracle, with
 * htmlparser2; and with its default parse5). Canonical pages are the sim's; variant pages are the same
 * lists written in the spellings the sim serves to variant users. `agrees_with_dom` checks every
 * candidate against the DOM reading on every fixture and every page measured (the fast path where it
 * answers; it declines every variant page).
 * Run: node bench/parse.ts [--quick]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as cheerio from 'cheerio';
import { SimGraph } from '../src/sim/graph.ts';
import { twitterHtml } from '../src/sim/protocols/twitter-html.ts';
import { VariantUsers } from '../src/sim/variants.ts';
import type { FollowingPageParse } from '../src/sources/twitter-html/page.ts';
import { parseFollowingPage } from '../src/sources/twitter-html/parse.ts';
import { parseCanonicalPage } from '../src/sources/twitter-html/parse-canonical.ts';
import { parseFollowingPageDom } from '../src/sources/twitter-html/parse-dom.ts';
import { parseFollowingPageTokens } from '../src/sources/twitter-html/parse-tokens.ts';
import { printTable, writeResults } from './table.ts';

const graph = new SimGraph({ users: 10_000, seed: 1 });
const everyone = new VariantUsers(graph.seed, 1);
const canonical: string[] = [];
const variant: string[] = [];
for (let i = 0; canonical.length < 200; i++) {
  if (graph.status(i) !== 'ok' || graph.followingCount(i) < 20) continue;
  const req = { pathname: `/${graph.screenName(i)}/following`, query: new URLSearchParams(), headers: {}, remoteAddress: '' };
  canonical.push(twitterHtml.handle(req, graph).body);
  // The same user's first page as a variant user gets it (asked again past an upstream error, not empty).
  for (let tries = 0; tries < 3; tries++) {
    const body = twitterHtml.handle(req, graph, undefined, everyone).body;
    const read = parseFollowingPageDom(body);
    if (read.kind === 'list' && read.names.length > 0) {
      variant.push(body);
      break;
    }
  }
}
const fixtureDir = new URL('../test/fixtures/twitter-html/', import.meta.url);
const fixtures = readdirSync(fixtureDir).map((f) => readFileSync(new URL(f, fixtureDir), 'utf8'));

/** Same kind, names and cursor as the DOM reading (reasons of unreadable pages may be worded differently). */
function agreesWithDom(parse: (html: string) => FollowingPageParse | undefined, pages: readonly string[]): boolean {
  return [...fixtures, ...pages].every((html) => {
    const a = parse(html);
    if (a === undefined) return true;
    const b = parseFollowingPageDom(html);
    return a.kind === 'unrecognised' ? b.kind === 'unrecognised' : isDeepStrictEqual(a, b);
  });
}

function microsPerPage(parse: (html: string) => unknown, pages: readonly string[], rounds: number): number {
  // Warm up until V8 has optimised the parser, so the first row is not charged for it.
  for (let r = 0; r < 3; r++) for (const p of pages) parse(p);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of pages) parse(p);
  return ((performance.now() - t0) * 1000) / (rounds * pages.length);
}

const rounds = process.argv.includes('--quick') ? 3 : 20;
const bytes = (pages: readonly string[]) => Math.round(pages.reduce((n, p) => n + p.length, 0) / pages.length);
const parsers: { parser: string; parse: (html: string) => FollowingPageParse | undefined; cost: number }[] = [
  { parser: 'fast path (canonical only)', parse: parseCanonicalPage, cost: 10 },
  { parser: 'htmlparser2 tokenizer', parse: parseFollowingPageTokens, cost: 1 },
  { parser: 'friendfleet (used)', parse: parseFollowingPage, cost: 1 },
  { parser: 'cheerio + htmlparser2 (DOM oracle)', parse: parseFollowingPageDom, cost: 0.5 },
];
const rows = [];
for (const [pagesName, pages] of [
  ['canonical', canonical],
  ['variant', variant],
] as const) {
  for (const { parser, parse, cost } of parsers) {
    // The fast path declines a variant page: its cost there is what the used parser pays before the tokenizer.
    const fastShare = pages.filter((p) => parseCanonicalPage(p) !== undefined).length / pages.length;
    rows.push({
      pages: pagesName,
      parser,
      us_per_page: Number(microsPerPage(parse, pages, Math.max(1, Math.round(rounds * cost))).toFixed(1)),
      fast_path_share: parser === 'friendfleet (used)' ? Number(fastShare.toFixed(2)) : null,
      agrees_with_dom: agreesWithDom(parse, pages),
      page_bytes: bytes(pages),
    });
  }
  rows.push({
    pages: pagesName,
    parser: 'cheerio + parse5 (default)',
    us_per_page: Number(microsPerPage((h) => cheerio.load(h)('td.info.fifty.screenname > a[name]').length, pages, Math.max(1, rounds >> 1)).toFixed(1)),
    fast_path_share: null,
    agrees_with_dom: null,
    page_bytes: bytes(pages),
  });
}
printTable('Reading one following page', rows);
writeResults('parse', rows);
