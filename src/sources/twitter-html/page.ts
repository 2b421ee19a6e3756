/** What one legacy mobile "following" page says. */
export type FollowingPageParse =
  { kind: 'list'; names: string[]; nextCursor: string | undefined } | { kind: 'protected' } | { kind: 'suspended' } | { kind: 'not_found' } | { kind: 'unrecognised'; reason: string };

export const SCREEN_NAME = /^[A-Za-z0-9_]{1,15}$/;

/** The cursor of a more-button link (`/name/following?cursor=C`, entities already decoded), or undefined if it has none. */
export function cursorOfHref(href: string): string | undefined {
  return new URL(href, 'http://page.invalid').searchParams.get('cursor') || undefined;
}

/**
 * True when the page holds an `</html>` end tag, in any case: the legacy site always sent one, so a page
 * without it was cut short (a body truncated with intact framing), whatever its list says so far.
 */
export function hasHtmlEnd(html: string): boolean {
  return HTML_END.test(html);
}

const HTML_END = /<\/html[\t\n\f\r ]*>/i;

export const TRUNCATED: FollowingPageParse = { kind: 'unrecognised', reason: 'page is truncated (no </html>)' };
export const NO_LIST: FollowingPageParse = { kind: 'unrecognised', reason: 'no user list or known notice on page (markup changed?)' };
export const NO_CURSOR: FollowingPageParse = { kind: 'unrecognised', reason: 'more-button link has no cursor' };

/**
 * What a page says once its elements are read (the same rules for the DOM oracle and the tokenizer):
 * - a `div.user-list` anywhere makes it a list page: its accounts are the `a[name]` children of
 *   `td.info.fifty.screenname` cells inside a list, one per `table.user-item`;
 * - a `div.w-button-more` says more follow: its first `a[href]` carries the cursor, and a more-button
 *   without one is unreadable, never the last page;
 * - otherwise a `div.protected`, `div.account-suspended` or `div.not-found` notice says why there is no list.
 */
export interface PageReading {
  lists: number;
  items: number;
  names: string[];
  moreButtons: number;
  moreHref: string | undefined;
  notices: ReadonlySet<string>;
}

export function answerOf(r: PageReading): FollowingPageParse {
  if (r.lists > 0) {
    const bad = r.names.find((n) => !SCREEN_NAME.test(n));
    if (bad !== undefined) return { kind: 'unrecognised', reason: `unexpected screen name ${JSON.stringify(bad)} on page` };
    if (r.items !== r.names.length) return { kind: 'unrecognised', reason: `${r.items} user items but ${r.names.length} screen-name cells (markup changed?)` };
    if (r.moreButtons === 0) return { kind: 'list', names: r.names, nextCursor: undefined };
    const nextCursor = r.moreHref === undefined ? undefined : cursorOfHref(r.moreHref);
    return nextCursor ? { kind: 'list', names: r.names, nextCursor } : NO_CURSOR;
  }
  if (r.notices.has('protected')) return { kind: 'protected' };
  if (r.notices.has('account-suspended')) return { kind: 'suspended' };
  if (r.notices.has('not-found')) return { kind: 'not_found' };
  return NO_LIST;
}

/** Classes of `div`s that are notices instead of a list. */
export const NOTICES = ['protected', 'account-suspended', 'not-found'] as const;
