import Queue from 'yocto-queue';
import { BudgetClosedError } from '../core/errors.ts';
import type { RateInfo } from '../core/rate.ts';

/**
 * Every request to a source passes through one budget. A budget counts requests against the
 * source's window, learns the window from response headers, and pauses every request (not only the
 * one that saw it) when the source says the budget is spent. The collector sees one `Lanes` (lanes.ts):
 * a budget per lane, such as a source credential, each a `LaneBudget`.
 */
export interface RequestBudget<L = number> {
  /**
   * Runs `fn` when the budget allows one more request, passing the lane (the source credential) the
   * request was admitted on; with `lane`, waits for that lane (a follow-up request that must use the
   * same credential). Rejects once the budget is closed.
   */
  schedule<T>(fn: (lane: L) => Promise<T>, lane?: L): Promise<T>;
  /** Feeds what a response on `lane` (default: the first) said about its budget (limit, remaining, reset). */
  observe(rate: RateInfo, lane?: L, now?: number): void;
  /** No request starts on `lane` (default: the first) before `until` (epoch ms): a 429 said so. */
  pauseUntil(until: number, lane?: L): void;
  /** Requests waiting for budget, on `lane` alone when given. */
  waiting(lane?: L): number;
  /** Rejects waiting requests and stops the window clock. */
  close(): Promise<void>;
}

/**
 * The budget of one lane (one credential, one host), local or shared by a fleet. Besides waiting its
 * turn (`schedule`), it can say whether a request may start now (`tryTake`), so that `Lanes` hands a
 * request to a lane that has budget rather than queue it behind one that is spent or paused; it calls
 * the `onAvailable` it was made with when requests may start again.
 */
export interface LaneBudget {
  schedule<T>(fn: () => Promise<T>): Promise<T>;
  /** Takes one request's place now, if the lane can start it without waiting behind others. */
  tryTake(): boolean;
  /** Runs a request whose place `tryTake` took. */
  runTaken<T>(fn: () => Promise<T>): Promise<T>;
  observe(rate: RateInfo, now?: number): void;
  pauseUntil(until: number): void;
  waiting(): number;
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
   * remaining count), so that `Lanes` can hand its waiting requests to this lane.
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

/**
 * The budget of one lane (one credential) of one process: a reservoir
 * of requests left in the current window, refilled at the window's end. Windows align to the source's
 * own reset times as soon as a response carries them, and the source's `remaining` count only ever
 * lowers the reservoir.
 *
 * Not bottleneck: its local datastore tops out near 420 requests a second, far below a worker's
 * thousands of pages (docs/decisions.md, 2026-11-23); bottleneck keeps the fleet-wide budget.
 */
export class LocalBudget implements LaneBudget {
  private limit: number | undefined;
  /** Whether a limit stated by the source replaces `limit` (RATE_LIMIT was not set). */
  private readonly adoptStated: boolean;
  private readonly windowMs: number;
  private readonly margin: number;
  /** Requests left in this window; null when unlimited. */
  private reservoir: number | null;
  private readonly waiters = new Queue<{ resolve: () => void; reject: (e: unknown) => void }>();
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

  async schedule<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new BudgetClosedError();
    if (!this.tryTake()) await new Promise<void>((resolve, reject) => this.waiters.enqueue({ resolve, reject }));
    return this.runTaken(fn);
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
  async runTaken<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  observe(rate: RateInfo, now: number = Date.now()): void {
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
      // Our own count is exact unless someone else spends from the window too; answers come back out
      // of order, so `remaining` alone undercounts (docs/decisions.md, 2026-11-23).
      if (this.limit - rate.remaining > this.sentInWindow && allowance < this.reservoir) this.setReservoir(allowance);
    } else if (newWindow || this.reservoir === null || allowance < this.reservoir) {
      this.setReservoir(allowance);
      // What the source counted, and what we may have sent since, taken as all ours.
      this.sentInWindow = this.limit - allowance;
      this.countFromWindowStart = true;
    }
  }

  pauseUntil(until: number): void {
    if (this.closed) return;
    this.setReservoir(0);
    this.scheduleRefill(until + this.margin, true);
  }

  waiting(): number {
    return this.waiters.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const error = new BudgetClosedError();
    for (const waiter of this.waiters.drain()) waiter.reject(error);
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
      this.waiters.dequeue()!.resolve();
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
