import type { FollowingPageParse } from './page.ts';
import { parseCanonicalPage } from './parse-canonical.ts';
import { parseFollowingPageTokens } from './parse-tokens.ts';

/**
 * Reads a legacy mobile following page, in any valid HTML spelling, as the DOM reading does
 * (parse-dom.ts): the canonical spelling through a fast path that proves the page is in that exact form,
 * every other through htmlparser2's tokenizer.
 *
 * It never reads an unexpected page as an empty list: a page without `</html>` was cut short, a list
 * whose user items and name cells do not pair up changed markup, a more-button without a cursor is not
 * the last page, and a page with neither a list nor a known notice is unrecognised.
 */
export function parseFollowingPage(html: string): FollowingPageParse {
  return parseCanonicalPage(html) ?? parseFollowingPageTokens(html);
}
