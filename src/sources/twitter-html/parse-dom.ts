import * as cheerio from 'cheerio';
import { cursorOfHref, NO_LIST, SCREEN_NAME, TRUNCATED, type FollowingPageParse } from './page.ts';

/**
 * The reference reading of a following page through a DOM (cheerio with htmlparser2). Production
 * uses the scanner in parse.ts, which gives the same answers on every fixture and sim page at a
 * small fraction of the cost (bench/parse.ts); this one stays as its oracle in tests and benchmarks.
 */
export function parseFollowingPageDom(html: string): FollowingPageParse {
  if (html.lastIndexOf('</html>') === -1) return TRUNCATED;
  const $ = cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true } });
  const list = $('div.user-list');
  if (list.length > 0) {
    const names: string[] = [];
    let bad: string | undefined;
    const cells = list.find('td.info.fifty.screenname > a[name]');
    cells.each((_, el) => {
      const name = $(el).attr('name') ?? '';
      if (SCREEN_NAME.test(name)) names.push(name);
      else bad ??= name;
    });
    if (bad !== undefined) return { kind: 'unrecognised', reason: `unexpected screen name ${JSON.stringify(bad)} on page` };
    const items = list.find('table.user-item').length;
    if (items !== names.length) return { kind: 'unrecognised', reason: `${items} user items but ${names.length} screen-name cells (markup changed?)` };
    const href = $('div.w-button-more a').attr('href');
    if (href === undefined) return { kind: 'list', names, nextCursor: undefined };
    const nextCursor = cursorOfHref(href);
    return nextCursor ? { kind: 'list', names, nextCursor } : { kind: 'unrecognised', reason: 'more-button link has no cursor' };
  }
  if ($('div.protected').length > 0) return { kind: 'protected' };
  if ($('div.account-suspended').length > 0) return { kind: 'suspended' };
  if ($('div.not-found').length > 0) return { kind: 'not_found' };
  return NO_LIST;
}
