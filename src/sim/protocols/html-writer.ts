/**
 * Writes an HTML tree in one of many valid spellings, as other servers, templates and minifiers write the
 * same page: tag and attribute case, quote styles, attribute and class order, whitespace inside tags,
 * comments between elements, character references in attribute values, `<img>` or `<img />`. A browser
 * (and any real HTML parser) builds the same elements from every spelling; a parser that knows one
 * spelling does not. The canonical spelling writes exactly what the sim's pages always were.
 */

export interface HtmlElement {
  readonly tag: string;
  readonly attrs: readonly (readonly [string, string])[];
  readonly children: readonly HtmlNode[];
}

/** An element, or text (written with `&` and `<` escaped). */
export type HtmlNode = HtmlElement | string;

export function el(tag: string, attrs: readonly (readonly [string, string])[], ...children: HtmlNode[]): HtmlElement {
  return { tag, attrs, children };
}

type Case = 'lower' | 'upper' | 'mixed';

/** How a page is spelled. `seed` drives every per-tag and per-attribute choice of the `mixed` options. */
export interface HtmlSpelling {
  readonly seed: number;
  readonly tagCase: Case;
  readonly attributeCase: Case;
  readonly quotes: 'double' | 'single' | 'bare' | 'mixed';
  readonly attributeOrder: 'as-written' | 'reversed' | 'shuffled';
  /** Whitespace and newlines inside tags: after the name, between attributes, around `=`, before `>`. */
  readonly spaceInTags: boolean;
  /** Comments between elements, some holding markup the page's parser must not read. */
  readonly comments: boolean;
  /** Characters of attribute values written as numeric character references. */
  readonly references: boolean;
  /** Newlines and indentation between elements. */
  readonly indent: boolean;
  /** `<img ... />` for void elements. */
  readonly selfClosing: boolean;
  readonly doctype: '<!DOCTYPE html>' | '<!doctype html>' | '<!DOCTYPE HTML>';
  // Structure: what the page's template puts in (read by the page builders, not by the writer).
  /** More classes on elements, in any order. */
  readonly extraClasses: boolean;
  /** More attributes (`role="presentation"`, `data-*`, `rel`). */
  readonly extraAttributes: boolean;
  /** A user item of two rows (avatar and names, then a bio) and a `tbody`. */
  readonly bioRows: boolean;
  /** A wrapper `div` around the list's items. */
  readonly wrappers: boolean;
  /** The more-button's link absolute, with another query parameter beside the cursor. */
  readonly fullHref: boolean;
}

export const CANONICAL_SPELLING: HtmlSpelling = {
  seed: 0,
  tagCase: 'lower',
  attributeCase: 'lower',
  quotes: 'double',
  attributeOrder: 'as-written',
  spaceInTags: false,
  comments: false,
  references: false,
  indent: false,
  selfClosing: false,
  doctype: '<!DOCTYPE html>',
  extraClasses: false,
  extraAttributes: false,
  bioRows: false,
  wrappers: false,
  fullHref: false,
};

const VOID = new Set(['img', 'meta', 'br', 'input', 'link']);
/** Elements whose content is text to the tokenizer: no comment or indentation goes inside them. */
const TEXT_ONLY = new Set(['title', 'textarea', 'script', 'style']);
/** Comments a scanner looking for fixed strings would misread; a DOM never sees their content as markup. */
const COMMENTS = [
  ' user list ',
  ' <div class="user-list"> ',
  ' <table class="user-item"><tr><td class="info fifty screenname"><a name="decoy"></a></td></tr></table> ',
  ' <div class="w-button-more"><a href="/x/following?cursor=1">more</a></div> ',
  ' <div class="protected"> ',
  '',
];
const REFERABLE = /[A-Za-z0-9/?=.:_-]/;
const SPACES = [' ', '\n', '\n  ', '\t', '  ', '\r\n    '];

/** mulberry32: a small seeded generator, so that a spelling writes the same page every time. */
function generator(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

function shuffled<T>(items: readonly T[], pick: (n: number) => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
}

class Writer {
  private readonly s: HtmlSpelling;
  private readonly pick: (n: number) => number;
  private out = '';

  constructor(spelling: HtmlSpelling) {
    this.s = spelling;
    this.pick = generator(spelling.seed);
  }

  document(root: HtmlElement): string {
    this.out = `${this.s.doctype}\n`;
    this.maybeComment();
    this.element(root, 0);
    this.out += '\n';
    return this.out;
  }

  private cased(name: string, mode: Case): string {
    if (mode === 'lower') return name;
    if (mode === 'upper') return name.toUpperCase();
    let out = '';
    for (const c of name) out += this.pick(2) === 0 ? c.toUpperCase() : c;
    return out;
  }

  private space(): string {
    return this.s.spaceInTags ? SPACES[this.pick(SPACES.length)]! : ' ';
  }

  /** Some of the value's plain characters as decimal or hexadecimal character references. */
  private withReferences(raw: string): string {
    let text = '';
    for (const c of raw) {
      if (REFERABLE.test(c) && this.pick(3) === 0) text += this.pick(2) === 0 ? `&#${c.codePointAt(0)};` : `&#x${c.codePointAt(0)!.toString(16).toUpperCase()};`;
      else text += c === '&' ? '&amp;' : c;
    }
    return text;
  }

  private value(raw: string): string {
    const text = this.s.references ? this.withReferences(raw) : raw.includes('&') ? raw.replaceAll('&', '&amp;') : raw;
    const quotes = this.s.quotes === 'mixed' ? (['double', 'single', 'bare'] as const)[this.pick(3)]! : this.s.quotes;
    if (quotes === 'bare' && /^[^\t\n\f\r "'=<>`]+$/.test(text)) return text;
    if (quotes === 'single') return `'${text.replaceAll("'", '&#39;')}'`;
    return `"${text.replaceAll('"', '&quot;')}"`;
  }

  private attributes(attrs: readonly (readonly [string, string])[]): string {
    const order = this.s.attributeOrder === 'reversed' ? [...attrs].reverse() : this.s.attributeOrder === 'shuffled' ? shuffled(attrs, this.pick) : attrs;
    let out = '';
    for (const [name, value] of order) {
      const eq = this.s.spaceInTags && this.pick(4) === 0 ? ' = ' : '=';
      out += `${this.space()}${this.cased(name, this.s.attributeCase)}${eq}${this.value(value)}`;
    }
    return out;
  }

  private maybeComment(): void {
    if (this.s.comments && this.pick(4) === 0) this.out += `<!--${COMMENTS[this.pick(COMMENTS.length)]}-->`;
  }

  private element(node: HtmlElement, depth: number): void {
    const name = this.cased(node.tag, this.s.tagCase);
    const end = this.s.spaceInTags && this.pick(3) === 0 ? this.space() : '';
    if (VOID.has(node.tag)) {
      this.out += `<${name}${this.attributes(node.attrs)}${end}${this.s.selfClosing ? (this.pick(2) === 0 ? ' />' : '/>') : '>'}`;
      return;
    }
    this.out += `<${name}${this.attributes(node.attrs)}${end}>`;
    const textOnly = TEXT_ONLY.has(node.tag);
    for (const child of node.children) {
      if (!textOnly) this.between(depth + 1);
      if (typeof child === 'string') this.out += escapeText(child);
      else this.element(child, depth + 1);
    }
    if (!textOnly) this.between(depth);
    const close = this.s.tagCase === 'mixed' ? this.cased(node.tag, 'mixed') : name;
    this.out += `</${close}${this.s.spaceInTags && this.pick(4) === 0 ? this.space() : ''}>`;
  }

  private between(depth: number): void {
    if (this.s.indent && this.pick(2) === 0) this.out += `\n${'  '.repeat(depth)}`;
    this.maybeComment();
  }
}

/** The document `<!DOCTYPE>` + `root`, in `spelling`. */
export function writeHtml(root: HtmlElement, spelling: HtmlSpelling = CANONICAL_SPELLING): string {
  return new Writer(spelling).document(root);
}
