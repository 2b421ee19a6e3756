import { Parser } from 'htmlparser2';
import { answerOf, hasHtmlEnd, NOTICES, TRUNCATED, type FollowingPageParse, type PageReading } from './page.ts';

/** An element still open while the page is read, with what it is to the reading. */
interface OpenElement {
  list: boolean;
  more: boolean;
  cell: boolean;
}

const PLAIN: OpenElement = { list: false, more: false, cell: false };
const WHITESPACE = /[\t\n\f\r ]+/;

function classesOf(attribs: Record<string, string>): string[] {
  const value = attribs.class;
  return value === undefined ? [] : value.split(WHITESPACE);
}

/**
 * Reads any spelling of a following page with htmlparser2's tokenizer and tree rules, without building
 * the tree: an element stack says whether a tag is inside a `div.user-list` or `div.w-button-more` and
 * whether an `a` is the child of a screen-name cell. htmlparser2 reports the same elements, with the same
 * implied ends, as it hands cheerio's DOM (parse-dom.ts), so both read every page alike
 * (test/sources/twitter-html/spellings.test.ts) at a fraction of the cost.
 */
export function parseFollowingPageTokens(html: string): FollowingPageParse {
  if (!hasHtmlEnd(html)) return TRUNCATED;
  const reading: PageReading & { notices: Set<string> } = { lists: 0, items: 0, names: [], moreButtons: 0, moreHref: undefined, notices: new Set() };
  const stack: OpenElement[] = [];
  let inList = 0;
  let inMore = 0;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        const parent = stack.length === 0 ? PLAIN : stack[stack.length - 1]!;
        let open = PLAIN;
        if (name === 'div') {
          const classes = classesOf(attribs);
          const list = classes.includes('user-list');
          const more = classes.includes('w-button-more');
          if (list) reading.lists++;
          if (more) reading.moreButtons++;
          for (const notice of NOTICES) if (classes.includes(notice)) reading.notices.add(notice);
          if (list || more) open = { list, more, cell: false };
        } else if (name === 'table') {
          if (inList > 0 && classesOf(attribs).includes('user-item')) reading.items++;
        } else if (name === 'td') {
          const classes = classesOf(attribs);
          if (classes.includes('info') && classes.includes('fifty') && classes.includes('screenname')) open = { list: false, more: false, cell: true };
        } else if (name === 'a') {
          if (inList > 0 && parent.cell && attribs.name !== undefined) reading.names.push(attribs.name);
          if (inMore > 0 && reading.moreHref === undefined && attribs.href !== undefined) reading.moreHref = attribs.href;
        }
        if (open.list) inList++;
        if (open.more) inMore++;
        stack.push(open);
      },
      onclosetag() {
        const open = stack.pop();
        if (open?.list) inList--;
        if (open?.more) inMore--;
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return answerOf(reading);
}
