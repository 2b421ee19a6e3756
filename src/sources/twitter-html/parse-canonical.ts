import type { FollowingPageParse } from './page.ts';

/*
 * The one spelling the fast path knows, byte for byte: the list page as the sim renders it
 * (src/sim/protocols/twitter-html.ts). Free text may hold no `<` or `&`, names are [A-Za-z0-9_]{1,15}
 * and the cursor is digits, so a page that matches has one DOM reading, and this is it.
 */
const HEAD = '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>';
const LIST_START = /[^<&]*<\/title><\/head>\n<body><div id="container"><div id="main_content">\n<div class="user-list">\n/y;
const ITEM =
  /<table class="user-item"><tr><td class="avatar"><a href="\/([A-Za-z0-9_]{1,15})"><img alt="[^"&]*" src="\/i\/avatar_normal\.png"><\/a><\/td><td class="info fifty screenname"><a name="\1" href="\/\1"><strong class="fullname">[^<&]*<\/strong><span class="username"><span>@<\/span>\1<\/span><\/a><\/td><td class="info fifty follow"><span class="w-button-follow">Follow<\/span><\/td><\/tr><\/table>\n/y;
const LIST_END = /<\/div>\n(?:<div class="w-button-more"><a href="\/[A-Za-z0-9_]{1,15}\/following\?cursor=([0-9]{1,30})">Show more people<\/a><\/div>)?\n<\/div><\/div><\/body><\/html>\n$/y;

/**
 * Reads a list page in exactly the canonical spelling, or returns undefined the moment one byte differs
 * from it (then the tokenizer reads the page, parse-tokens.ts). It proves the whole page, head to
 * `</html>`, so no other markup, comment or notice can hide in it.
 */
export function parseCanonicalPage(html: string): FollowingPageParse | undefined {
  if (!html.startsWith(HEAD)) return undefined;
  LIST_START.lastIndex = HEAD.length;
  if (!LIST_START.test(html)) return undefined;
  const names: string[] = [];
  let at = LIST_START.lastIndex;
  for (;;) {
    ITEM.lastIndex = at;
    const item = ITEM.exec(html);
    if (item === null) break;
    names.push(item[1]!);
    at = ITEM.lastIndex;
  }
  LIST_END.lastIndex = at;
  const end = LIST_END.exec(html);
  if (end === null) return undefined;
  return { kind: 'list', names, nextCursor: end[1] };
}
