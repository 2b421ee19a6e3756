/**
 * Faults the sim injects into protocol responses, each a way real sources fail:
 * - `error`: a 500 or 503 answer;
 * - `reset`: the connection is destroyed before any byte of the answer;
 * - `truncate`: headers promise the full body, half of it arrives, then the connection closes.
 */
export type FaultKind = 'error' | 'reset' | 'truncate';

export const FAULT_KINDS: readonly FaultKind[] = ['error', 'reset', 'truncate'];

export class FaultPlan {
  readonly rate: number;
  readonly kinds: readonly FaultKind[];
  private readonly random: () => number;

  constructor(rate: number, kinds: readonly FaultKind[] = FAULT_KINDS, random: () => number = Math.random) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('fault rate must be within [0, 1]');
    if (rate > 0 && kinds.length === 0) throw new RangeError('at least one fault kind is needed');
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
