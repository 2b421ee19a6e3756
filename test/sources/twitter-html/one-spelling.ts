import { NO_LIST, SCREEN_NAME, TRUNCATED, type FollowingPageParse } from '../../../src/sources/twitter-html/page.ts';

/*
 * The scanner friendfleet read pages with before issue 13, kept as the property tests' negative control:
 * it looks for the markup as fixed strings (`<table class="user-item">`, `<a name="`), so another valid
 * spelling of the same page reads as a list with no accounts. The spelling tests must fail it.
 */
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

export function parseAssumingOneSpelling(html: string): FollowingPageParse {
  if (html.lastIndexOf('</html>') === -1) return TRUNCATED;
  const list = html.indexOf(LIST);
  if (list !== -1) {
    const more = html.indexOf(MORE, list);
    const listEnd = more === -1 ? html.length : more;
    const names: string[] = [];
    let items = 0;
    for (let i = html.indexOf(ITEM, list); i !== -1 && i < listEnd; i = html.indexOf(ITEM, i + ITEM.length)) items++;
    for (let i = html.indexOf(CELL, list); i !== -1 && i < listEnd; i = html.indexOf(CELL, i + CELL.length)) {
      const anchor = html.indexOf('<a ', i);
      const name = attribute(html, anchor, html.indexOf('>', anchor), 'name');
      if (name === undefined || !SCREEN_NAME.test(name)) return { kind: 'unrecognised', reason: 'bad cell' };
      names.push(name);
    }
    if (items !== names.length) return { kind: 'unrecognised', reason: 'items and cells differ' };
    if (more === -1) return { kind: 'list', names, nextCursor: undefined };
    const anchor = html.indexOf('<a ', more);
    const href = attribute(html, anchor, html.indexOf('>', anchor), 'href');
    const nextCursor = href === undefined ? undefined : new URL(href.replaceAll('&amp;', '&'), 'http://x.invalid').searchParams.get('cursor') || undefined;
    return nextCursor ? { kind: 'list', names, nextCursor } : { kind: 'unrecognised', reason: 'no cursor' };
  }
  if (html.includes('<div class="protected">')) return { kind: 'protected' };
  if (html.includes('<div class="account-suspended">')) return { kind: 'suspended' };
  if (html.includes('<div class="not-found">')) return { kind: 'not_found' };
  return NO_LIST;
}
