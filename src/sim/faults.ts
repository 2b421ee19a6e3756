import { hash3, unit } from './hash.ts';
import { InternalError } from '../core/errors.ts';

/**
 * Faults the sim injects into protocol responses, each a way real sources fail, picked per request:
 * - `error`: a 500, 502, 503 or 504 answer, in the body each service sends for it;
 * - `reset`: the connection is destroyed before any byte of the answer;
 * - `truncate`: headers promise the full body, half of it arrives, then the connection closes;
 * - `stall`: nothing is sent for the stall time (30 s by default), then the answer (if the client still
 *   waits): the client's request timeout must fire;
 * - `storm`: a 429 storm begins: for the storm time every request is refused with 429, stating
 *   `x-rate-limit-remaining: 0` and the storm's end as `x-rate-limit-reset`;
 * - `storm-bare`: the same storm with bare 429s: no rate-limit headers, no `retry-after`.
 */
export type FaultKind = 'error' | 'reset' | 'truncate' | 'stall' | 'storm' | 'storm-bare';

export const FAULT_KINDS: readonly FaultKind[] = ['error', 'reset', 'truncate', 'stall', 'storm', 'storm-bare'];

/** The faults `--fault-rate` injects unless `--faults` names others: the ones a retry gets through quickly. */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = ['error', 'reset', 'truncate'];

export class FaultPlan {
  readonly rate: number;
  readonly kinds: readonly FaultKind[];
  private readonly random: () => number;

  constructor(rate: number, kinds: readonly FaultKind[] = DEFAULT_FAULT_KINDS, random: () => number = Math.random) {
    if (!(rate >= 0 && rate <= 1)) throw new InternalError('fault rate must be within [0, 1]');
    if (rate > 0 && kinds.length === 0) throw new InternalError('at least one fault kind is needed');
    this.rate = rate;
    this.kinds = kinds;
    this.random = random;
  }

  /** The fault to inject into the next response, or undefined for a clean one. */
  pick(): FaultKind | undefined {
    if (this.rate === 0 || this.random() >= this.rate) return undefined;
    return this.kinds[Math.floor(this.random() * this.kinds.length)];
  }
}

/**
 * How a broken user's follow pages are broken, for good (no retry helps):
 * - `cursor-loop`: every page after the first names itself as the next page, so a client that follows
 *   cursors blindly never ends;
 * - `markup`: the list pages come in a markup the client does not know (a redesign), which must fail
 *   the user with the parser's reason, never read as "0 friends";
 * - `endless-empty`: every page after the first is empty and names a new next page, for ever, so a
 *   client that follows cursors over empty pages without a bound never ends.
 */
export type BrokenKind = 'cursor-loop' | 'markup' | 'endless-empty';

export const BROKEN_KINDS: readonly BrokenKind[] = ['cursor-loop', 'markup', 'endless-empty'];

/**
 * Users whose pages are broken, chosen by a hash of (seed, user) so that the truth endpoint can name
 * them and a check can expect `failed` for exactly those. Only users whose lists are readable (status
 * `ok`) can be broken; protocols ask `pageFault` when they render a list page.
 */
export class BrokenUsers {
  readonly share: number;
  readonly kinds: readonly BrokenKind[];
  /** List pages served broken, by kind. */
  readonly served: Partial<Record<BrokenKind, number>> = {};
  private readonly seed: number;

  constructor(seed: number, share: number, kinds: readonly BrokenKind[] = BROKEN_KINDS) {
    if (!(share >= 0 && share <= 1)) throw new InternalError('broken-user share must be within [0, 1]');
    if (share > 0 && kinds.length === 0) throw new InternalError('at least one broken kind is needed');
    this.seed = seed;
    this.share = share;
    this.kinds = kinds;
  }

  /** How user `index`'s pages are broken, if they are. */
  kindOf(index: number): BrokenKind | undefined {
    if (this.share === 0) return undefined;
    const h = hash3(this.seed ^ 0x6b726f6b, index, 0x62726b6e);
    if (unit(h) >= this.share) return undefined;
    return this.kinds[hash3(this.seed, index, 0x6b696e64) % this.kinds.length];
  }

  /** `kindOf`, counted as a broken page served when there is one (protocols call it per list page). */
  pageFault(index: number): BrokenKind | undefined {
    const kind = this.kindOf(index);
    if (kind) this.served[kind] = (this.served[kind] ?? 0) + 1;
    return kind;
  }
}
