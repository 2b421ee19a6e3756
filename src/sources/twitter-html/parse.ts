import { cursorOfHref, NO_LIST, SCREEN_NAME, TRUNCATED, type FollowingPageParse } from './page.ts';

const LIST = '<div class="user-list">';
const ITEM = '<table class="user-item">';
const CELL = '<td class="info fifty screenname">';
const MORE = '<div class="w-button-more">';

function attribute(html: string, from: number, to: number, name: string): string | undefined {
  const at = html.indexOf(` ${name}="`, from);
  if (at === -1 || at > to) return undefined;
  const start = at + name.length + 3;
  const end = html.indexOf('"', start);
  return end === -1 || end > to ? undefined : html.slice(start, end);
}

/**
 * Reads a legacy mobile following page by scanning for its fixed markup: accounts are
 * `<td class="info fifty screenname">` cells holding `<a name="{screen_name}">`; a
 * `<div class="w-button-more">` link carries the next cursor. It costs a few percent of what
 * a DOM parse does (bench/parse.ts), and answers as the DOM reading does (parse-dom.ts) on every fixture.
 *
 * It never reads an unexpected page as an empty list: a page without `</html>` was cut short, a list
 * whose user items and name cells do not pair up changed markup, and a page with neither a list nor
 * a known notice is unrecognised.
 */
export function parseFollowingPage(html: string): FollowingPageParse {
  if (html.lastIndexOf('</html>') === -1) return TRUNCATED;
  const list = html.indexOf(LIST);
  if (list !== -1) {
    const more = html.indexOf(MORE, list);
    const listEnd = more === -1 ? html.length : more;
    const names: string[] = [];
    let items = 0;
    for (let i = html.indexOf(ITEM, list); i !== -1 && i < listEnd; i = html.indexOf(ITEM, i + ITEM.length)) items++;
    for (let i = html.indexOf(CELL, list); i !== -1 && i < listEnd; i = html.indexOf(CELL, i + CELL.length)) {
      const cellEnd = html.indexOf('</td>', i);
      const anchor = html.indexOf('<a ', i);
      const name = anchor === -1 || cellEnd === -1 || anchor > cellEnd ? undefined : attribute(html, anchor, html.indexOf('>', anchor), 'name');
      if (name === undefined) return { kind: 'unrecognised', reason: 'screen-name cell without <a name> (markup changed?)' };
      if (!SCREEN_NAME.test(name)) return { kind: 'unrecognised', reason: `unexpected screen name ${JSON.stringify(name)} on page` };
      names.push(name);
    }
    if (items !== names.length) return { kind: 'unrecognised', reason: `${items} user items but ${names.length} screen-name cells (markup changed?)` };
    if (more === -1) return { kind: 'list', names, nextCursor: undefined };
    const anchor = html.indexOf('<a ', more);
    const href = anchor === -1 ? undefined : attribute(html, anchor, html.indexOf('>', anchor), 'href');
    const nextCursor = href === undefined ? undefined : cursorOfHref(href);
    return nextCursor ? { kind: 'list', names, nextCursor } : { kind: 'unrecognised', reason: 'more-button link has no cursor' };
  }
  if (html.includes('<div class="protected">')) return { kind: 'protected' };
  if (html.includes('<div class="account-suspended">')) return { kind: 'suspended' };
  if (html.includes('<div class="not-found">')) return { kind: 'not_found' };
  return NO_LIST;
}
