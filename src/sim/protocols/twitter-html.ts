import { hash3 } from '../hash.ts';
import type { BrokenUsers } from '../faults.ts';
import type { SimGraph } from '../graph.ts';
import { listPage } from '../list-page.ts';
import { displayName } from '../profile.ts';
import type { SimProtocol, SimRequest, SimResponse } from '../protocol.ts';
import type { VariantUsers } from '../variants.ts';
import { followingPageTree, type FollowingPageContent } from './html-pages.ts';
import { writeHtml, type HtmlSpelling } from './html-writer.ts';
import { xRateLimitHeaders } from './x-rate-headers.ts';

/** The legacy mobile site listed 20 accounts per following page. */
export const HTML_PAGE_SIZE = 20;

const HTML = 'text/html; charset=utf-8';

function page(title: string, main: string): string {
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>' + title + '</title></head>\n<body><div id="container"><div id="main_content">\n' + main + '\n</div></div></body></html>\n'
  );
}

function userItem(name: string): string {
  const display = displayName(name);
  return (
    '<table class="user-item"><tr><td class="avatar"><a href="/' +
    name +
    '"><img alt="' +
    display +
    '" src="/i/avatar_normal.png"></a></td><td class="info fifty screenname"><a name="' +
    name +
    '" href="/' +
    name +
    '"><strong class="fullname">' +
    display +
    '</strong><span class="username"><span>@</span>' +
    name +
    '</span></a></td><td class="info fifty follow"><span class="w-button-follow">Follow</span></td></tr></table>\n'
  );
}

/**
 * The same list in a markup the legacy parser does not know, as after a site redesign: accounts are
 * `<li class="account" data-screen-name>` items and the next page a `data-cursor` button.
 */
function redesignedList(names: readonly string[], owner: string, next: number | undefined): string {
  let items = '';
  for (const name of names) items += `<li class="account" data-screen-name="${name}"><a href="/${name}">@${name}</a></li>\n`;
  const more = next === undefined ? '' : `<button class="load-more" data-owner="${owner}" data-cursor="${next}">Show more</button>`;
  return `<ul class="follows">\n${items}</ul>\n${more}`;
}

/**
 * Cursors look like the site's opaque 64-bit numbers: the raw list position in the high bits and a
 * check hash of (user, position) in the low 32, so a cursor replayed against another user is refused.
 */
export function encodeCursor(seed: number, index: number, position: number): string {
  return ((BigInt(position) << 32n) | BigInt(hash3(seed ^ 0x243f6a88, index, position))).toString();
}

export function decodeCursor(seed: number, index: number, cursor: string): number | undefined {
  if (!/^[0-9]{1,30}$/.test(cursor)) return undefined;
  const v = BigInt(cursor);
  const position = Number(v >> 32n);
  if (!Number.isSafeInteger(position)) return undefined;
  return Number(v & 0xffffffffn) === hash3(seed ^ 0x243f6a88, index, position) ? position : undefined;
}

const NOT_FOUND: SimResponse = {
  status: 404,
  contentType: HTML,
  body: page('Page not found', '<div class="not-found"><h1>Sorry, that page doesn\u2019t exist!</h1></div>'),
};

/** A page in its canonical spelling (the strings above), or written from its tree in a variant one. */
function render(content: FollowingPageContent, spelling: HtmlSpelling | undefined, canonical: () => string): string {
  return spelling === undefined ? canonical() : writeHtml(followingPageTree(content, spelling), spelling);
}

/**
 * The legacy mobile HTML site the reference scraper read (mobile.twitter.com, before 2020):
 * `GET /{screen_name}/following[?cursor=C]`. Suspended accounts redirect to /account/suspended, missing
 * ones answer 404, protected ones answer 200 with a notice instead of the list. Variant users'
 * pages (`--variant-users`) come in other valid spellings of the same markup (html-writer.ts), some
 * empty with a more-button, some short, some after a 502/503/504 first.
 */
export const twitterHtml: SimProtocol = {
  name: 'twitter-html',

  matches(pathname) {
    return /^\/[A-Za-z0-9_]{1,15}\/following$/.test(pathname) || pathname === '/account/suspended';
  },

  handle(request: SimRequest, graph: SimGraph, broken?: BrokenUsers, variants?: VariantUsers): SimResponse {
    if (request.pathname === '/account/suspended') {
      return {
        status: 200,
        contentType: HTML,
        body: page('Account suspended', '<div class="account-suspended"><h1>Account suspended</h1><p>This account has been suspended.</p></div>'),
      };
    }
    const name = request.pathname.slice(1, -'/following'.length);
    const index = graph.indexOfName(name);
    if (index === undefined) return NOT_FOUND;
    const status = graph.status(index);
    if (status === 'not_found') return variants?.has(index) ? { ...NOT_FOUND, body: render({ kind: 'not_found' }, variants.spelling(index, 0), () => NOT_FOUND.body) } : NOT_FOUND;
    if (status === 'suspended') {
      return { status: 302, contentType: HTML, headers: { location: '/account/suspended' }, body: '' };
    }
    const screenName = graph.screenName(index);
    const title = `People followed by ${displayName(screenName)} (@${screenName})`;
    if (status === 'protected') {
      const canonical = () =>
        page(title, `<div class="protected"><p>This account\u2019s Tweets are protected.</p><p>Only confirmed followers have access to @${screenName}\u2019s Tweets and complete profile.</p></div>`);
      return { status: 200, contentType: HTML, body: render({ kind: 'protected', owner: screenName, title }, variants?.spelling(index, 0), canonical) };
    }
    const rawCursor = request.query.get('cursor');
    let cursor: number | undefined;
    if (rawCursor !== null && rawCursor !== '-1') {
      cursor = decodeCursor(graph.seed, index, rawCursor);
      if (cursor === undefined) {
        return { status: 400, contentType: HTML, body: page('Error', '<div class="error">Invalid cursor</div>') };
      }
    }
    if (variants?.failsOnce('twitter-html', index, cursor ?? 0)) return twitterHtml.serverError(variants.upstreamStatus(index, cursor ?? 0));
    const { targets, next, position, fault } = listPage(graph, index, cursor, HTML_PAGE_SIZE, { broken, variants });
    const names = targets.map((t) => graph.screenName(t));
    if (fault === 'markup') return { status: 200, contentType: HTML, body: page(title, redesignedList(names, screenName, next)) };
    const nextCursor = next === undefined ? undefined : encodeCursor(graph.seed, index, next);
    const spelling = variants?.spelling(index, position);
    if (spelling) {
      const content: FollowingPageContent = { kind: 'list', owner: screenName, title, accounts: names.map((name) => ({ name, display: displayName(name) })), nextCursor };
      return { status: 200, contentType: HTML, body: writeHtml(followingPageTree(content, spelling), spelling) };
    }
    let items = '';
    for (const name of names) items += userItem(name);
    const more = nextCursor === undefined ? '' : `<div class="w-button-more"><a href="/${screenName}/following?cursor=${nextCursor}">Show more people</a></div>`;
    return { status: 200, contentType: HTML, body: page(title, `<div class="user-list">\n${items}</div>\n${more}`) };
  },

  clientKey(request) {
    return request.remoteAddress;
  },

  rateLimitHeaders: xRateLimitHeaders,

  rateLimited() {
    return { status: 429, contentType: HTML, body: page('Rate limit exceeded', '<div class="error">Rate limit exceeded</div>') };
  },

  serverError(status) {
    return { status, contentType: HTML, body: page('Something is technically wrong', '<div class="error">Something is technically wrong.</div>') };
  },
};
