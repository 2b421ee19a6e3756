import type { RateInfo } from '../sources/source.ts';
import { BudgetClosedError, LocalBudget, type BudgetOptions, type RequestBudget } from './budget.ts';

/**
 * One budget per source credential (X API v2 counts its 300 requests per 15 minutes per bearer token),
 * seen by the collector as one budget. Each credential is a lane with its own `LocalBudget`: its own
 * window, remaining count and 429 pause, fed only by the responses to its own requests.
 *
 * Requests are handed out round-robin over the lanes that have budget now (a, b, c, a, ...; a lane
 * that is spent or paused is skipped), and wait in one first-come-first-served queue when none has,
 * taking whichever lane refills first. So several tokens add up: three tokens move three times as
 * many requests, and one token's 429 pauses that token only.
 */
export class CredentialBudgets implements RequestBudget {
  private readonly lanes: LocalBudget[];
  private readonly queue: { resolve: (lane: number) => void; reject: (e: unknown) => void }[] = [];
  private head = 0;
  /** The lane the round-robin tries first for the next request. */
  private next = 0;
  private closed = false;

  constructor(credentials: number, options: BudgetOptions) {
    if (!Number.isInteger(credentials) || credentials < 1) throw new RangeError('at least one credential is needed');
    this.lanes = Array.from({ length: credentials }, () => new LocalBudget({ ...options, onAvailable: () => this.drain() }));
  }

  async schedule<T>(fn: (lane: number) => Promise<T>, lane?: number): Promise<T> {
    if (this.closed) throw new BudgetClosedError();
    if (lane !== undefined) return this.laneAt(lane).schedule(() => fn(lane));
    let taken = this.waiting() === 0 ? this.take() : undefined;
    taken ??= await new Promise<number>((resolve, reject) => this.queue.push({ resolve, reject }));
    return this.lanes[taken]!.runTaken(fn, taken);
  }

  observe(rate: RateInfo, lane = 0, now: number = Date.now()): void {
    this.laneAt(lane).observe(rate, 0, now);
  }

  pauseUntil(until: number, lane = 0): void {
    this.laneAt(lane).pauseUntil(until);
  }

  waiting(): number {
    let n = this.queue.length - this.head;
    for (const lane of this.lanes) n += lane.waiting();
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new BudgetClosedError();
    while (this.head < this.queue.length) this.queue[this.head++]!.reject(error);
    await Promise.all(this.lanes.map((l) => l.close()));
  }

  private laneAt(lane: number): LocalBudget {
    const budget = this.lanes[lane];
    if (!budget) throw new RangeError(`no budget lane ${lane} (${this.lanes.length} credentials)`);
    return budget;
  }

  /** Takes one request from the first lane in round-robin order that has budget now. */
  private take(): number | undefined {
    for (let i = 0; i < this.lanes.length; i++) {
      const k = (this.next + i) % this.lanes.length;
      if (this.lanes[k]!.tryTake()) {
        this.next = (k + 1) % this.lanes.length;
        return k;
      }
    }
    return undefined;
  }

  /** A lane has budget again: hand it to the requests waiting longest. */
  private drain(): void {
    while (this.head < this.queue.length) {
      const k = this.take();
      if (k === undefined) break;
      this.queue[this.head++]!.resolve(k);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** The budget for a source with `credentials` independent budgets: one `LocalBudget` when it has one. */
export function createBudget(credentials: number, options: BudgetOptions): RequestBudget {
  return credentials === 1 ? new LocalBudget(options) : new CredentialBudgets(credentials, options);
}
