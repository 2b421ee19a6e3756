import { didOfId, handleOf, webDidOfId } from './did.ts';
import type { SimGraph } from './graph.ts';
import { hash3, unit } from './hash.ts';
import type { HtmlSpelling } from './protocols/html-writer.ts';
import { InternalError } from '../core/errors.ts';

/** How one list page of a variant user is cut: as usual, short, or empty with a cursor to the rest. */
export type PageShape = 'full' | 'short' | 'empty';

const Salt = { Member: 0x76617231, Shape: 0x76617232, Spelling: 0x76617233, Identity: 0x76617234, Upstream: 0x76617235 } as const;

const CASES = ['lower', 'upper', 'mixed'] as const;
const QUOTES = ['double', 'single', 'bare', 'mixed'] as const;
const ORDERS = ['as-written', 'reversed', 'shuffled'] as const;
const DOCTYPES = ['<!DOCTYPE html>', '<!doctype html>', '<!DOCTYPE HTML>'] as const;

/**
 * Users (`--variant-users`, a share chosen by a hash of (seed, user)) whose answers take the other shapes
 * the real services document and send, which most sim users never see:
 * - list pages cut short, or empty while their cursor says more follow (X: `result_count: 0` with a
 *   `next_token`; Bluesky: a page whose follows were all hidden; the HTML site: a list with only a
 *   more-button), and a 502/503/504 before the first answer of some pages;
 * - on the HTML site, pages in other valid spellings (html-writer.ts);
 * - on X, every user field, `previous_token`, `includes` and problems about other resources beside
 *   `data`, problem types under api.x.com with `status`;
 * - on Bluesky, full profile views, `did:web` identities (some with a port) and `handle.invalid`.
 * The graph (who follows whom, statuses) is the same; a correct collector stores the same rows.
 */
export class VariantUsers {
  readonly share: number;
  private readonly seed: number;
  /** Pages whose first request got an upstream error already (the retry gets the page). */
  private readonly failedOnce = new Set<string>();

  constructor(seed: number, share: number) {
    if (!(share >= 0 && share <= 1)) throw new InternalError('variant-user share must be within [0, 1]');
    this.seed = seed;
    this.share = share;
  }

  has(index: number): boolean {
    return this.share > 0 && unit(hash3(this.seed ^ Salt.Member, index, 1)) < this.share;
  }

  /** The shape of the page of user `index` starting at list position `position`. */
  pageShape(index: number, position: number): PageShape {
    if (!this.has(index)) return 'full';
    const h = hash3(this.seed ^ Salt.Shape, index, position) % 4;
    return h === 0 ? 'empty' : h === 1 ? 'short' : 'full';
  }

  /** The spelling of the HTML page of user `index` at `position`, or undefined for the canonical one. */
  spelling(index: number, position: number): HtmlSpelling | undefined {
    if (!this.has(index)) return undefined;
    const h = (k: number) => hash3(this.seed ^ Salt.Spelling, index, position * 32 + k);
    const bit = (k: number) => (h(k) & 1) === 1;
    return {
      seed: h(0),
      tagCase: CASES[h(1) % 3]!,
      attributeCase: CASES[h(2) % 3]!,
      quotes: QUOTES[h(3) % 4]!,
      attributeOrder: ORDERS[h(4) % 3]!,
      spaceInTags: bit(5),
      comments: bit(6),
      references: bit(7),
      indent: bit(8),
      selfClosing: bit(9),
      doctype: DOCTYPES[h(10) % 3]!,
      extraClasses: bit(11),
      extraAttributes: bit(12),
      bioRows: bit(13),
      wrappers: bit(14),
      fullHref: bit(15),
    };
  }

  /**
   * The Bluesky identity of account `index`: a `did:plc` and a `.bsky.social` handle, or for some
   * variant accounts a `did:web` (every other one with a port, `%3A`) or a handle that failed
   * verification (`handle.invalid`, as the AppView shows it).
   */
  identity(graph: SimGraph, index: number): { did: string; handle: string } {
    const id = graph.idOf(index);
    const handle = handleOf(graph.screenName(index));
    if (!this.has(index)) return { did: didOfId(id), handle };
    // A few: did:web sorts after did:plc, so many of them would fill the last buckets of a DID table.
    const h = hash3(this.seed ^ Salt.Identity, index, 0) % 16;
    if (h === 0 || h === 1) return { did: webDidOfId(id, h === 1), handle };
    if (h === 2 || h === 3) return { did: didOfId(id), handle: 'handle.invalid' };
    return { did: didOfId(id), handle };
  }

  /**
   * Whether this request is the first for a page that answers an upstream error once (some pages of
   * variant users): true once per (protocol, user, position), then false, as a retry succeeds.
   */
  failsOnce(protocol: string, index: number, position: number): boolean {
    if (!this.has(index) || hash3(this.seed ^ Salt.Upstream, index, position) % 5 !== 0) return false;
    const key = `${protocol}:${index}:${position}`;
    if (this.failedOnce.has(key)) return false;
    this.failedOnce.add(key);
    return true;
  }

  /** Which upstream error a page fails with once: 502, 503 or 504, by user and position. */
  upstreamStatus(index: number, position: number): 502 | 503 | 504 {
    return ([502, 503, 504] as const)[hash3(this.seed ^ Salt.Upstream, index, position + 1) % 3]!;
  }
}
