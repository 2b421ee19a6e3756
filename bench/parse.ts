/**
 * Cost of reading one legacy HTML following page (20 accounts, as the sim renders them): the scanner
 * friendfleet uses, cheerio with htmlparser2 (the DOM oracle), and cheerio's default parse5.
 * Run: node bench/parse.ts
 */
import * as cheerio from 'cheerio';
import { SimGraph } from '../src/sim/graph.ts';
import { twitterHtml } from '../src/sim/protocols/twitter-html.ts';
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

function microsPerPage(parse: (html: string) => unknown, rounds: number): number {
  for (const p of pages) parse(p);
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of pages) parse(p);
  return ((performance.now() - t0) * 1000) / (rounds * pages.length);
}

const rounds = process.argv.includes('--quick') ? 3 : 20;
const rows = [
  { parser: 'scanner (used)', us_per_page: microsPerPage(parseFollowingPage, rounds * 10) },
  { parser: 'cheerio + htmlparser2', us_per_page: microsPerPage(parseFollowingPageDom, rounds) },
  { parser: 'cheerio + parse5 (default)', us_per_page: microsPerPage((h) => cheerio.load(h)('td.info.fifty.screenname > a[name]').length, rounds) },
].map((r) => ({ ...r, us_per_page: Number(r.us_per_page.toFixed(1)), page_bytes: pages[0]!.length }));
printTable('Parsing one following page', rows);
writeResults('parse', rows);
