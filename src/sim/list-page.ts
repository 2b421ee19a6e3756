import type { BrokenKind, BrokenUsers } from './faults.ts';
import type { SimGraph } from './graph.ts';
import type { VariantUsers } from './variants.ts';

export interface ListPage {
  /** The accounts on the page, as graph indexes. */
  targets: number[];
  /** The cursor of the next page, undefined on the last one. */
  next: number | undefined;
  /** The list position the page starts at (per-page choices are made by it). */
  position: number;
  /** How the page is broken, for a user the sim breaks for good. */
  fault: BrokenKind | undefined;
}

export interface ListPageOptions {
  broken?: BrokenUsers | undefined;
  variants?: VariantUsers | undefined;
  /** Which follow targets the list shows (default: the graph's `isListed`). */
  listed?: ((target: number) => boolean) | undefined;
}

/**
 * One page of user `index`'s follow list from `cursor` (undefined for the first page), with `limit`
 * accounts at most. Cursors are integers each protocol writes in its own form: the list position, or
 * for a variant user position × 2, + 1 once the empty page at that position was served. A broken
 * user's pages loop (`cursor-loop`: the next cursor is the page's own) or, after the first, come empty
 * with a new cursor each time, for ever (`endless-empty`).
 */
export function listPage(graph: SimGraph, index: number, cursor: number | undefined, limit: number, options: ListPageOptions = {}): ListPage {
  const variant = options.variants?.has(index) ?? false;
  const position = cursor === undefined ? 0 : variant ? Math.floor(cursor / 2) : cursor;
  const fault = options.broken?.pageFault(index);
  if (fault === 'endless-empty' && cursor !== undefined) return { targets: [], next: cursor + (variant ? 2 : 1), position, fault };
  const shape = options.variants?.pageShape(index, position) ?? 'full';
  if (shape === 'empty' && (cursor === undefined || cursor % 2 === 0)) return { targets: [], next: position * 2 + 1, position, fault };
  const { targets, next: listNext } = graph.followsPage(index, position, shape === 'short' ? Math.max(1, Math.ceil(limit / 3)) : limit, options.listed);
  const next = fault === 'cursor-loop' && cursor !== undefined ? cursor : listNext === undefined ? undefined : variant ? listNext * 2 : listNext;
  return { targets, next, position, fault };
}
