import * as cheerio from 'cheerio';
import { answerOf, hasHtmlEnd, NOTICES, TRUNCATED, type FollowingPageParse } from './page.ts';

/**
 * The reference reading of a following page through a DOM (cheerio with htmlparser2) and CSS
 * selectors, which match any spelling of the markup (tag and attribute case, quotes, class order,
 * extra attributes, comments, entities) as a browser's would. Production reads the same pages without
 * building a tree (parse.ts); this one stays as its oracle in tests and benchmarks.
 */
export function parseFollowingPageDom(html: string): FollowingPageParse {
  if (!hasHtmlEnd(html)) return TRUNCATED;
  const $ = cheerio.load(html, { xml: { xmlMode: false, decodeEntities: true } });
  const list = $('div.user-list');
  return answerOf({
    lists: list.length,
    items: list.find('table.user-item').length,
    names: list
      .find('td.info.fifty.screenname > a[name]')
      .map((_, el) => $(el).attr('name') ?? '')
      .get(),
    moreButtons: $('div.w-button-more').length,
    moreHref: $('div.w-button-more a[href]').first().attr('href'),
    notices: new Set(NOTICES.filter((n) => $(`div.${n}`).length > 0)),
  });
}
