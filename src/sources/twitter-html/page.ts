/** What one legacy mobile "following" page says. */
export type FollowingPageParse =
  | { kind: 'list'; names: string[]; nextCursor: string | undefined }
  | { kind: 'protected' }
  | { kind: 'suspended' }
  | { kind: 'not_found' }
  | { kind: 'unrecognised'; reason: string };

export const SCREEN_NAME = /^[A-Za-z0-9_]{1,15}$/;

/** The cursor of a more-button link (`/name/following?cursor=C`), or undefined if it has none. */
export function cursorOfHref(href: string): string | undefined {
  return new URL(href.replaceAll('&amp;', '&'), 'http://page.invalid').searchParams.get('cursor') || undefined;
}

export const TRUNCATED: FollowingPageParse = { kind: 'unrecognised', reason: 'page is truncated (no </html>)' };
export const NO_LIST: FollowingPageParse = { kind: 'unrecognised', reason: 'no user list or known notice on page (markup changed?)' };
