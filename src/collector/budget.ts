import type { RateInfo } from '../sources/source.ts';

/**
 * Every request to a source passes through one budget. A budget counts requests against the
 * source's window, learns the window from response headers, and pauses every request (not only the
 * one that saw it) when the source says the budget is spent.
 */
export interface RequestBudget {
  /**
   * Runs `fn` when the budget allows one more request, passing the lane (the source credential) the
   * request was admitted on; with `lane`, waits for that lane (a follow-up request that must use the
   * same credential). Rejects once the budget is closed.
   */
  schedule<T>(fn: (lane: number) => Promise<T>, lane?: number): Promise<T>;
  /** Feeds what a response on `lane` (default 0) said about its budget (limit, remaining, reset). */
  observe(rate: RateInfo, lane?: number, now?: number): void;
  /** No request starts on `lane` (default 0) before `until` (epoch ms): a 429 said so. */
  pauseUntil(until: number, lane?: number): void;
  /** Requests waiting for budget. */
  waiting(): number;
  /** Rejects waiting requests and stops the window clock. */
  close(): Promise<void>;
}

export interface BudgetOptions {
  /**
   * Requests allowed per window (RATE_LIMIT). Undefined: `assumedLimit`, or unlimited, until a
   * response states a limit in its rate-limit headers, which is then adopted.
   */
  limit?: number | undefined;
  /**
   * The source's documented budget (300 per 15 minutes for X API v2 follows), used from the first
   * request when RATE_LIMIT is not set, so that the opening burst does not run into 429s; a limit the
   * source states in its headers replaces it.
   */
  assumedLimit?: number | undefined;
  /** Window length in ms (RATE_WINDOW), used until the source's own reset times are known. */
  windowMs: number;
  /**
   * Wait this long past a source's stated reset before spending the next window: reset headers are
   * whole seconds and clocks differ. Default 250 ms.
   */
  resetMarginMs?: number | undefined;
  /**
   * Called whenever requests may start again after the reservoir ran dry (a refill, a larger
   * remaining count), so that a composite budget can hand its waiting requests to this one.
   */
  onAvailable?: (() => void) | undefined;
}

/**
 * Answers whose resets are this close belong to the same window. A source states one reset per
 * window, in whole seconds, and windows are at least a second long (RATE_WINDOW's minimum), so
 * resets a second apart are different windows: an opening burst that straddles a window boundary
 * must move the budget on to the new window, not be taken for the same one.
 */
const SAME_WINDOW_MS = 500;

export class BudgetClosedError extends Error {
  constructor() {
    super('request budget closed');
  }
}

/**
 * A budget for one credential of one process (several credentials: `CredentialBudgets`): a reservoir
 * of requests left in the current window, refilled at the window's end. Windows align to the source's
 * own reset times as soon as a response carries them, and the source's `remaining` count only ever
 * lowers the reservoir.
 *
 * Why not bottleneck here: its local datastore passes every job through several serial
 * `setTimeout(0)` hops, which Node clamps to 1 ms, so it tops out near 420 jobs/s whatever the
 * concurrency (measured in bench/budget.ts). A worker must sustain thousands of pages a second, so the
 * local budget admits a request with no timer at all; bottleneck keeps the fleet-wide budget, where
 * the shared source budget is tens of requests a second.
 */
export class LocalBudget implements RequestBudget {
  private limit: number | undefined;
  /** Whether a limit stated by the source replaces `limit` (RATE_LIMIT was not set). */
  private readonly adoptStated: boolean;
  private readonly windowMs: number;
  private readonly margin: number;
  /** Requests left in this window; null when unlimited. */
  private reservoir: number | null;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private head = 0;
  private inFlight = 0;
  /** Requests admitted since the current window began (see `observe`). */
  private sentInWindow = 0;
  /**
   * Whether `sentInWindow` counts from the start of the source's window: the window began with a
   * refill at a reset the source stated (or was adopted from an answer, counting conservatively).
   */
  private countFromWindowStart = false;
  private refillAt: number | undefined;
  /** Whether refillAt came from the source (known) or from our own clock (assumed). */
  private refillKnown = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly onAvailable: (() => void) | undefined;

  constructor(options: BudgetOptions) {
    this.limit = options.limit ?? options.assumedLimit;
    this.adoptStated = options.limit === undefined;
    this.windowMs = options.windowMs;
    this.margin = options.resetMarginMs ?? 250;
    this.onAvailable = options.onAvailable;
    this.reservoir = this.limit ?? null;
    if (this.limit !== undefined) this.scheduleRefill(Date.now() + this.windowMs, false);
  }

  async schedule<T>(fn: (lane: number) => Promise<T>): Promise<T> {
    if (this.closed) throw new BudgetClosedError();
    if (!this.tryTake()) await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    return this.runTaken(fn, 0);
  }

  /** Takes one request from the reservoir now, if it has one and nobody waits before us. */
  tryTake(): boolean {
    if (this.closed) return false;
    if (this.reservoir === null) return true;
    if (this.reservoir > 0 && this.waiting() === 0) {
      this.reservoir--;
      this.sentInWindow++;
      return true;
    }
    return false;
  }

  /** Runs a request whose budget `tryTake` already took, counting it as in flight. */
  async runTaken<T>(fn: (lane: number) => Promise<T>, lane: number): Promise<T> {
    this.inFlight++;
    try {
      return await fn(lane);
    } finally {
      this.inFlight--;
    }
  }

  observe(rate: RateInfo, _lane = 0, now: number = Date.now()): void {
    if (this.closed) return;
    if (this.adoptStated && rate.limit !== undefined) this.limit = rate.limit;
    if (this.limit === undefined) {
      if (rate.remaining <= 0 && rate.resetAt > now) this.pauseUntil(rate.resetAt);
      return;
    }
    // Requests in flight may have been sent after the source counted this one, and would spend too.
    const allowance = Math.max(0, rate.remaining - this.inFlight);
    const windowEnd = rate.resetAt + this.margin;
    const sameWindow = this.refillAt !== undefined && Math.abs(windowEnd - this.refillAt) <= SAME_WINDOW_MS;
    const newWindow = !sameWindow && (this.refillAt === undefined || !this.refillKnown || windowEnd > this.refillAt + SAME_WINDOW_MS);
    if (!sameWindow && !newWindow) return; // An answer from a window already refilled says nothing about this one.
    if (newWindow || !this.refillKnown) this.scheduleRefill(windowEnd, true);
    if (this.countFromWindowStart && this.reservoir !== null) {
      // Our own count of the window is exact unless someone else spends from it too, which shows as the
      // source having counted more than we sent. Answers come back out of order (latency jitter), so
      // taking every request in flight off `remaining` would also take off those the source had
      // already counted: that left a quarter of each window unspent (bench/rate-limited.ts).
      if (this.limit - rate.remaining > this.sentInWindow && allowance < this.reservoir) this.setReservoir(allowance);
    } else if (newWindow || this.reservoir === null || allowance < this.reservoir) {
      this.setReservoir(allowance);
      // What the source counted, and what we may have sent since, taken as all ours.
      this.sentInWindow = this.limit - allowance;
      this.countFromWindowStart = true;
    }
  }

  pauseUntil(until: number, _lane = 0): void {
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
      this.sentInWindow++;
      this.waiters[this.head++]!.resolve();
    }
    if (this.head > 1024 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.head = 0;
    }
    if (this.onAvailable && this.waiting() === 0 && (this.reservoir === null || this.reservoir > 0)) this.onAvailable();
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
    this.sentInWindow = 0;
    // Refilled at a reset the source stated, the count starts with the source's new window.
    this.countFromWindowStart = this.refillKnown;
    this.setReservoir(this.limit ?? null);
    if (this.limit !== undefined) this.scheduleRefill((this.refillAt ?? Date.now()) + this.windowMs, false);
    else this.refillAt = undefined;
  }
}
