import { el, type HtmlElement, type HtmlNode, type HtmlSpelling } from './html-writer.ts';

/** What a following page shows, whatever its spelling. */
export type FollowingPageContent =
  | { kind: 'list'; owner: string; title: string; accounts: readonly { name: string; display: string }[]; nextCursor: string | undefined }
  | { kind: 'protected'; owner: string; title: string }
  | { kind: 'not_found' }
  | { kind: 'suspended' };

type Attrs = readonly (readonly [string, string])[];

/**
 * The legacy mobile site's pages as trees, in the template's structure: the sim writes them in the
 * canonical spelling for most users and in variants for some (`--variant-users`), and the property tests
 * write them in generated spellings (test/sources/twitter-html/spellings.test.ts).
 */
export function followingPageTree(content: FollowingPageContent, s: HtmlSpelling): HtmlElement {
  switch (content.kind) {
    case 'list':
      return pageTree(content.title, listNodes(content, s));
    case 'protected':
      return pageTree(content.title, [
        el(
          'div',
          attrs(s, [['class', classes(s, 'protected', 'notice')]]),
          el('p', [], 'This account\u2019s Tweets are protected.'),
          el('p', [], `Only confirmed followers have access to @${content.owner}\u2019s Tweets and complete profile.`),
        ),
      ]);
    case 'not_found':
      return pageTree('Page not found', [el('div', attrs(s, [['class', classes(s, 'not-found', 'notice')]]), el('h1', [], 'Sorry, that page doesn\u2019t exist!'))]);
    case 'suspended':
      return pageTree('Account suspended', [
        el('div', attrs(s, [['class', classes(s, 'account-suspended', 'notice')]]), el('h1', [], 'Account suspended'), el('p', [], 'This account has been suspended.')),
      ]);
  }
}

function pageTree(title: string, main: readonly HtmlNode[]): HtmlElement {
  return el(
    'html',
    [['lang', 'en']],
    el('head', [], el('meta', [['charset', 'utf-8']]), el('title', [], title)),
    '\n',
    el('body', [], el('div', [['id', 'container']], el('div', [['id', 'main_content']], '\n', ...main, '\n'))),
  );
}

/** A class attribute: the template's classes, or with `extraClasses` more of them, in another order. */
function classes(s: HtmlSpelling, names: string, extra = 'js-stream'): string {
  if (!s.extraClasses) return names;
  const all = [...names.split(' '), ...extra.split(' ')];
  return (s.seed & 1 ? all.reverse() : all).join(s.seed & 2 ? ' \n ' : ' ');
}

function attrs(s: HtmlSpelling, base: Attrs, extra: Attrs = []): Attrs {
  return s.extraAttributes ? [...base, ...extra] : base;
}

function listNodes(content: Extract<FollowingPageContent, { kind: 'list' }>, s: HtmlSpelling): HtmlNode[] {
  const items: HtmlNode[] = ['\n'];
  for (const a of content.accounts) items.push(userItem(a.name, a.display, s), '\n');
  const list = el('div', attrs(s, [['class', classes(s, 'user-list', 'stream')]], [['role', 'list']]), ...(s.wrappers ? ['\n', el('div', [['class', 'stream-items']], ...items)] : items));
  if (content.nextCursor === undefined) return [list, '\n'];
  const path = `/${content.owner}/following`;
  const href = s.fullHref
    ? `https://mobile.twitter.com${path}?${s.seed & 4 ? `lang=en&cursor=${content.nextCursor}` : `cursor=${content.nextCursor}&lang=en`}`
    : `${path}?cursor=${content.nextCursor}`;
  const more = el('div', attrs(s, [['class', classes(s, 'w-button-more')]]), el('a', attrs(s, [['href', href]], [['rel', 'next']]), 'Show more people'));
  return [list, '\n', more];
}

/** One account's `table.user-item`: the screen name is the `name` of the `a` that is a child of the screen-name cell. */
function userItem(name: string, display: string, s: HtmlSpelling): HtmlElement {
  const avatar = el(
    'td',
    attrs(s, [['class', classes(s, 'avatar')]], s.bioRows ? [['rowspan', '2']] : []),
    el(
      'a',
      [['href', `/${name}`]],
      el(
        'img',
        attrs(
          s,
          [
            ['alt', display],
            ['src', '/i/avatar_normal.png'],
          ],
          [['width', '48']],
        ),
      ),
    ),
  );
  const cell = el(
    'td',
    attrs(s, [['class', classes(s, 'info fifty screenname', 'u-truncate')]], [['valign', 'top']]),
    el(
      'a',
      attrs(
        s,
        [
          ['name', name],
          ['href', `/${name}`],
        ],
        [
          ['rel', 'nofollow'],
          ['data-screen-name', name],
        ],
      ),
      el('strong', [['class', 'fullname']], display),
      el('span', [['class', 'username']], el('span', [], '@'), name),
    ),
  );
  const follow = el('td', [['class', classes(s, 'info fifty follow')]], el('span', [['class', 'w-button-follow']], 'Follow'));
  const rows: HtmlNode[] = [el('tr', [], avatar, cell, follow)];
  if (s.bioRows) {
    // A bio that mentions another account: its link is not in a screen-name cell, so it is not a follow.
    rows.push(
      el(
        'tr',
        [],
        el(
          'td',
          [
            ['colspan', '2'],
            ['class', 'bio'],
          ],
          el(
            'span',
            [],
            `Writes about @${name} and `,
            el(
              'a',
              [
                ['href', '/someone_else'],
                ['name', 'someone_else'],
              ],
              '@someone_else',
            ),
          ),
        ),
      ),
    );
  }
  return el(
    'table',
    attrs(
      s,
      [['class', classes(s, 'user-item')]],
      [
        ['role', 'presentation'],
        ['data-user', name],
      ],
    ),
    ...(s.bioRows ? [el('tbody', [], ...rows)] : rows),
  );
}
