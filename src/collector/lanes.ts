import Queue from 'yocto-queue';
import { BudgetClosedError, UsageError } from '../core/errors.ts';
import type { RateInfo } from '../core/rate.ts';
import type { LaneBudget, RequestBudget } from './budget.ts';

export interface LanesOptions<K> {
  /**
   * The lanes a request that may use any lane is handed to, in turn (a source's credentials). May be
   * empty when every request names its lane.
   */
  keys: readonly K[];
  /**
   * Makes the budget of the lane `key`: a `LocalBudget`, or a `FleetBudget` shared by every worker.
   * The lane calls `onAvailable` whenever requests may start on it again.
   */
  open: (key: K, onAvailable: () => void) => LaneBudget;
  /**
   * Opens a lane on first use for a key not in `keys` (a host seen for the first time). Default false:
   * a request naming an unknown lane is a RangeError.
   */
  openOnDemand?: boolean;
}

/**
 * One budget made of lanes, each with its own `LaneBudget`: its own window, remaining count and 429
 * pause, fed only by the answers to its own requests (X API v2 counts its 300 requests per 15 minutes
 * per bearer token; a PDS counts per host).
 *
 * A request that names its lane waits for that lane (a follow-up that must use the same credential, a
 * request to a given host). Any other request is handed to the lanes of `keys` in turn (a, b, c, a,
 * ...), skipping a lane that cannot start it now (spent, paused, still connecting), and waits in one
 * first-come-first-served queue when none can, taking whichever lane is available first. So three
 * tokens move three times as many requests, and one token's 429 pauses that token only.
 */
export class Lanes<K> implements RequestBudget<K> {
  private readonly options: LanesOptions<K>;
  private readonly lanes = new Map<K, LaneBudget>();
  private readonly queue = new Queue<{ resolve: (key: K) => void; reject: (e: unknown) => void }>();
  /** The index in `keys` the round-robin tries first for the next request. */
  private next = 0;
  private closed = false;

  constructor(options: LanesOptions<K>) {
    this.options = options;
    for (const key of options.keys) this.open(key);
  }

  async schedule<T>(fn: (lane: K) => Promise<T>, lane?: K): Promise<T> {
    if (this.closed) throw new BudgetClosedError();
    if (lane !== undefined) return this.laneAt(lane).schedule(() => fn(lane));
    if (this.options.keys.length === 0) throw new UsageError('no lane is named, and there are none to take in turn');
    let taken = this.queue.size === 0 ? this.take() : undefined;
    taken ??= await new Promise<K>((resolve, reject) => this.queue.enqueue({ resolve, reject }));
    const key = taken;
    return this.lanes.get(key)!.runTaken(() => fn(key));
  }

  observe(rate: RateInfo, lane?: K, now: number = Date.now()): void {
    this.laneAt(lane ?? this.first()).observe(rate, now);
  }

  pauseUntil(until: number, lane?: K): void {
    this.laneAt(lane ?? this.first()).pauseUntil(until);
  }

  waiting(lane?: K): number {
    if (lane !== undefined) return this.lanes.get(lane)?.waiting() ?? 0;
    let n = this.queue.size;
    for (const lane of this.lanes.values()) n += lane.waiting();
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new BudgetClosedError();
    for (const waiter of this.queue.drain()) waiter.reject(error);
    await Promise.all([...this.lanes.values()].map((l) => l.close()));
  }

  private first(): K {
    const key = this.options.keys[0];
    if (key === undefined) throw new UsageError('no lane is named, and there is no first lane');
    return key;
  }

  private open(key: K): LaneBudget {
    const lane = this.options.open(key, () => this.drain());
    this.lanes.set(key, lane);
    return lane;
  }

  private laneAt(key: K): LaneBudget {
    const lane = this.lanes.get(key);
    if (lane) return lane;
    if (this.options.openOnDemand && !this.closed) return this.open(key);
    throw new UsageError(`no budget lane ${String(key)} (${this.lanes.size} lanes)`);
  }

  /** Takes one request's place on the first lane in turn that can start it now. */
  private take(): K | undefined {
    const keys = this.options.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = (this.next + i) % keys.length;
      if (this.lanes.get(keys[k]!)!.tryTake()) {
        this.next = (k + 1) % keys.length;
        return keys[k];
      }
    }
    return undefined;
  }

  /** A lane can start requests again: hand it to those waiting longest. */
  private drain(): void {
    while (this.queue.size > 0) {
      const key = this.take();
      if (key === undefined) break;
      this.queue.dequeue()!.resolve(key);
    }
  }
}
