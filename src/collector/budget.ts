import type { RateInfo } from '../sources/source.ts';

/**
 * Every request to a source passes through one budget. A budget counts requests against the
 * source's window, learns the window from response headers, and pauses every request (not only the
 * one that saw it) when the source says the budget is spent.
 */
export interface RequestBudget {
  /** Runs `fn` when the budget allows one more request. Rejects once the budget is closed. */
  schedule<T>(fn: () => Promise<T>): Promise<T>;
  /** Feeds what a response said about the budget (limit, remaining, reset) into the budget. */
  observe(rate: RateInfo, now?: number): void;
  /** No request starts before `until` (epoch ms): a 429 said so. */
  pauseUntil(until: number): void;
  /** Requests waiting for budget. */
  waiting(): number;
  /** Rejects waiting requests and stops the window clock. */
  close(): Promise<void>;
}

export interface BudgetOptions {
  /**
   * Requests allowed per window (RATE_LIMIT). Undefined: unlimited until a response states a limit
   * in its rate-limit headers, which is then adopted.
   */
  limit?: number | undefined;
  /** Window length in ms (RATE_WINDOW), used until the source's own reset times are known. */
  windowMs: number;
  /**
   * Wait this long past a source's stated reset before spending the next window: reset headers are
   * whole seconds and clocks differ. Default 250 ms.
   */
  resetMarginMs?: number | undefined;
}

export class BudgetClosedError extends Error {
  constructor() {
    super('request budget closed');
  }
}

/**
 * A budget for one process: a reservoir of requests left in the current window, refilled at the
 * window's end. Windows align to the source's own reset times as soon as a response carries them,
 * and the source's `remaining` count only ever lowers the reservoir.
 *
 * Why not bottleneck here: its local datastore passes every job through several serial
 * `setTimeout(0)` hops, which Node clamps to 1 ms, so it tops out near 420 jobs/s whatever the
 * concurrency (measured in bench/budget.ts). A worker must sustain thousands of pages a second, so the
 * local budget admits a request with no timer at all; bottleneck keeps the fleet-wide budget, where
 * the shared source budget is tens of requests a second.
 */
export class LocalBudget implements RequestBudget {
  private limit: number | undefined;
  private readonly windowMs: number;
  private readonly margin: number;
  /** Requests left in this window; null when unlimited. */
  private reservoir: number | null;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private head = 0;
  private inFlight = 0;
  private refillAt: number | undefined;
  /** Whether refillAt came from the source (known) or from our own clock (assumed). */
  private refillKnown = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: BudgetOptions) {
    this.limit = options.limit;
    this.windowMs = options.windowMs;
    this.margin = options.resetMarginMs ?? 250;
    this.reservoir = options.limit ?? null;
    if (this.limit !== undefined) this.scheduleRefill(Date.now() + this.windowMs, false);
  }

  async schedule<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new BudgetClosedError();
    if (this.reservoir === null || (this.reservoir > 0 && this.waiting() === 0)) {
      if (this.reservoir !== null) this.reservoir--;
    } else {
      await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    }
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  observe(rate: RateInfo, now: number = Date.now()): void {
    if (this.closed) return;
    if (this.limit === undefined) {
      if (rate.limit === undefined) {
        if (rate.remaining <= 0 && rate.resetAt > now) this.pauseUntil(rate.resetAt);
        return;
      }
      this.limit = rate.limit;
    }
    // Requests still in flight were sent after the source counted this one; they will spend too.
    const allowance = Math.max(0, rate.remaining - this.inFlight);
    const windowEnd = rate.resetAt + this.margin;
    if (this.refillAt === undefined || !this.refillKnown || windowEnd > this.refillAt + 1000) {
      this.scheduleRefill(windowEnd, true);
      this.setReservoir(allowance);
    } else if (windowEnd >= this.refillAt - 1000) {
      if (this.reservoir === null || allowance < this.reservoir) this.setReservoir(allowance);
    }
    // Otherwise the answer belongs to a window already refilled: it says nothing about this one.
  }

  pauseUntil(until: number): void {
    if (this.closed) return;
    this.setReservoir(0);
    this.scheduleRefill(until + this.margin, true);
  }

  waiting(): number {
    return this.waiters.length - this.head;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const error = new BudgetClosedError();
    while (this.waiting() > 0) this.waiters[this.head++]!.reject(error);
  }

  private setReservoir(value: number | null): void {
    this.reservoir = value;
    this.admit();
  }

  /** Lets waiting requests go while the reservoir allows, first come first served. */
  private admit(): void {
    while (this.waiting() > 0 && (this.reservoir === null || this.reservoir > 0)) {
      if (this.reservoir !== null) this.reservoir--;
      this.waiters[this.head++]!.resolve();
    }
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
  }

  private scheduleRefill(at: number, known: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.refillAt = at;
    this.refillKnown = known;
    this.timer = setTimeout(() => this.refill(), Math.max(0, at - Date.now()));
  }

  private refill(): void {
    this.timer = undefined;
    if (this.closed) return;
    this.setReservoir(this.limit ?? null);
    if (this.limit !== undefined) this.scheduleRefill((this.refillAt ?? Date.now()) + this.windowMs, false);
    else this.refillAt = undefined;
  }
}
