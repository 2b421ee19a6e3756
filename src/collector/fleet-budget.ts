import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { BudgetClosedError, FleetLimiterError } from '../core/errors.ts';
import type { RateInfo } from '../core/rate.ts';
import type { LaneBudget } from './budget.ts';

export interface FleetBudgetOptions {
  /** redis://[:password@]host:port (RATE_LIMIT_REDIS_URL). Never logged. */
  redisUrl: string;
  /** The limiter's name: workers with the same id share one budget (RATE_LIMIT_ID). */
  id: string;
  /** Requests per window for the whole fleet (RATE_LIMIT). */
  limit: number;
  /** The window in ms (RATE_WINDOW). */
  windowMs: number;
  /** Workers sharing the budget (RATE_LIMIT_WORKERS): without Redis each one takes limit / workers. */
  workers: number;
  log: Logger;
  /** How long a worker waits for Redis at start before it uses its local share. Default 5 s. */
  connectTimeoutMs?: number;
  /** Time between attempts to reach Redis again. Default 1 s. */
  reconnectMs?: number;
  /** Called when requests may start again: the limiter is ready, or a hold ended (see `Lanes`). */
  onAvailable?: (() => void) | undefined;
}

type Settled = FleetBudgetOptions & Required<Pick<FleetBudgetOptions, 'connectTimeoutMs' | 'reconnectMs'>>;

type Route = 'shared' | 'local';

/** An attempt that no longer applies (its route changed, a hold began): it is scheduled again. */
const REROUTE = Symbol('reroute');

/** A request waiting in one route's limiter, which can be taken back before it starts. */
interface Ticket {
  readonly route: Route;
  /** Takes the request back (it will be scheduled again); false once it has started. */
  cancel(): boolean;
}

/**
 * One request budget for a whole fleet, kept in Redis by bottleneck's cluster mode: every worker
 * schedules through the limiter `id`, which starts requests at least `window / limit` apart fleet-wide.
 * Spacing, unlike a reservoir refilled on the limiter's clock, never puts more than `limit` requests in
 * any window of the source, however the source aligns its windows. `maxConcurrent = workers` bounds how
 * far ahead the fleet reserves turns (a worker that dies wastes at most its own), and each reservation
 * expires after a window, so a killed worker's turns are released.
 *
 * Without Redis (unreachable at start, or lost mid-run) each worker falls back to its local share,
 * `limit / workers` per window, spaced evenly, and logs it; when Redis is back it shares again. At each
 * change of route the worker starts nothing for `transitionHoldMs`: the workers' changes differ by up to
 * `reconnectMs`, and the new route's first requests must not crowd the old route's last ones into one
 * window (see `transitionHold`). A request admitted by a route that no longer applies is scheduled again,
 * never sent twice.
 *
 * A 429, or a response saying 0 remaining, holds this worker's requests until the source's reset; the
 * other workers learn it from their own next answer.
 */
export class FleetBudget implements LaneBudget {
  private readonly options: Settled;
  private readonly log: Logger;
  /** Fleet spacing (ms between two requests of the fleet) and a worker's spacing on its local share. */
  private readonly sharedSpacingMs: number;
  private readonly localSpacingMs: number;
  readonly transitionHoldMs: number;
  private route: Route = 'local';
  private shared: SharedLimiter | undefined;
  private local: Bottleneck;
  private readonly tickets = new Set<Ticket>();
  /** No request starts before this (epoch ms): a change of route, or the source said its budget is spent. */
  private holdUntil = 0;
  private closed = false;
  private readonly closing = new AbortController();
  /** Settles once Redis answered, or the connect timeout passed: requests wait for it. */
  private readonly started: Promise<void>;
  private resolveStart!: () => void;
  private isStarted = false;
  /** Fires `onAvailable` when the current hold ends. */
  private holdTimer: NodeJS.Timeout | undefined;
  /** Requests given to this lane that have not started (waiting for Redis, a hold or the limiter). */
  private queued = 0;
  /** Whether requests have gone through the local share: then a switch to Redis holds first. */
  private usedLocal = false;
  private readonly connectTimer: NodeJS.Timeout;

  constructor(options: FleetBudgetOptions) {
    this.options = { connectTimeoutMs: 5000, reconnectMs: 1000, ...options };
    this.log = options.log;
    this.sharedSpacingMs = Math.ceil(options.windowMs / options.limit) + 1;
    this.localSpacingMs = Math.ceil((options.windowMs * options.workers) / options.limit) + 1;
    this.transitionHoldMs = transitionHold(options.limit, options.windowMs, options.workers, this.options.reconnectMs);
    this.local = new Bottleneck({ minTime: this.localSpacingMs });
    this.started = new Promise<void>((resolve) => (this.resolveStart = resolve));
    this.connectTimer = setTimeout(() => {
      this.log.warn(this.describe(), 'fleet rate limit: Redis unreachable at start; using a local share of the budget');
      this.usedLocal = true;
      this.settleStart();
    }, this.options.connectTimeoutMs);
    this.connect();
  }

  /** Which route requests take now (for tests and logs). */
  get currentRoute(): Route {
    return this.route;
  }

  schedule<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++;
    return this.run(fn);
  }

  /**
   * Whether this lane takes a request now: Redis answered (or the wait for it ended), no hold is on,
   * and no request of this worker waits in its limiter. One at a time is enough to keep the limiter's
   * turns taken, and the rest wait in `Lanes` for whichever lane starts one first.
   */
  tryTake(): boolean {
    if (!this.isStarted || this.closed || Date.now() < this.holdUntil || this.queued > 0) return false;
    this.queued++;
    return true;
  }

  /** Runs a request whose place `tryTake` took. */
  runTaken<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(fn);
  }

  /** Runs a request counted in `queued`, which it leaves when it starts (or fails to). */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    let waiting = true;
    const leave = () => {
      if (!waiting) return;
      waiting = false;
      this.queued--;
      this.options.onAvailable?.();
    };
    try {
      await this.started;
      for (;;) {
        if (this.closed) throw new BudgetClosedError();
        const hold = this.holdUntil - Date.now();
        if (hold > 0) {
          await sleep(hold, undefined, { signal: this.closing.signal }).catch(() => undefined);
          continue;
        }
        const outcome = await this.attempt(() => {
          leave();
          return fn();
        });
        if (outcome !== REROUTE) return outcome;
      }
    } finally {
      leave();
    }
  }

  observe(rate: RateInfo, now: number = Date.now()): void {
    if (rate.remaining <= 0 && rate.resetAt > now) this.pauseUntil(rate.resetAt);
  }

  pauseUntil(until: number): void {
    if (this.closed) return;
    // Reset headers are whole seconds and clocks differ: start a little after the stated reset.
    this.holdFor(until + 250);
  }

  waiting(): number {
    return this.tickets.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    clearTimeout(this.holdTimer);
    this.resolveStart();
    this.closing.abort();
    for (const ticket of [...this.tickets]) ticket.cancel();
    this.shared?.dispose();
    this.shared = undefined;
    await this.local.stop({ dropWaitingJobs: true }).catch(() => undefined);
  }

  /**
   * One try through the current route. The request starts only if, when the limiter lets it go, the
   * route still applies and no hold is on; the limiter's job ends when the request starts (spacing
   * counts starts), and the attempt settles with the request's own outcome.
   */
  private attempt<T>(fn: () => Promise<T>): Promise<T | typeof REROUTE> {
    const route = this.route;
    const shared = this.shared;
    return new Promise((resolve, reject) => {
      const ticket: Ticket = {
        route,
        cancel: () => {
          if (!this.tickets.delete(ticket)) return false;
          resolve(REROUTE);
          return true;
        },
      };
      this.tickets.add(ticket);
      const job = async () => {
        if (!this.tickets.has(ticket)) return;
        if (this.route !== route || Date.now() < this.holdUntil || this.closed) {
          ticket.cancel();
          return;
        }
        this.tickets.delete(ticket);
        fn().then(resolve, reject);
      };
      if (route === 'local') {
        this.local.schedule(job).catch(() => ticket.cancel());
        return;
      }
      shared!.limiter.schedule({ expiration: this.options.windowMs }, job).catch(() => {
        // Redis failed this job (gone, or going): take the request back and stop using this connection.
        if (ticket.cancel() && this.shared === shared) this.lost(shared!);
      });
    });
  }

  /** Opens a connection and a cluster-mode limiter; shares through it once Redis answers. */
  private connect(): void {
    if (this.closed) return;
    const shared = new SharedLimiter(this.options, this.sharedSpacingMs, () => this.lost(shared));
    this.shared = shared;
    shared.ready.then(
      () => {
        if (this.closed || this.shared !== shared) return;
        clearTimeout(this.connectTimer);
        const atStart = !this.usedLocal;
        this.switchTo('shared', !atStart);
        this.log.info(this.describe(), atStart ? 'fleet rate limit: sharing the budget through Redis' : 'fleet rate limit: Redis is back; sharing the budget again');
        this.settleStart();
      },
      () => {
        // The limiter could not start on this connection (Redis went away while it did): try again.
        if (this.shared !== shared) return;
        shared.dispose();
        setTimeout(() => this.shared === shared && this.connect(), this.options.reconnectMs).unref();
      },
    );
  }

  /** Redis went away under `shared`: requests take the local share, and a new connection waits for Redis. */
  private lost(shared: SharedLimiter): void {
    if (this.closed || this.shared !== shared) return;
    shared.dispose();
    if (this.route === 'shared') {
      this.switchTo('local', true);
      this.log.warn(this.describe(), 'fleet rate limit: Redis unreachable; using a local share of the budget');
    }
    this.connect();
  }

  private switchTo(route: Route, hold: boolean): void {
    if (route === 'local') {
      // A fresh local limiter: requests queued in the old one were taken back with their tickets.
      void this.local.stop({ dropWaitingJobs: true }).catch(() => undefined);
      this.local = new Bottleneck({ minTime: this.localSpacingMs });
      this.usedLocal = true;
    }
    this.route = route;
    if (hold) this.holdFor(Date.now() + this.transitionHoldMs);
    for (const ticket of [...this.tickets]) if (ticket.route !== route) ticket.cancel();
  }

  /** Requests start no earlier than `until`; lanes hear when they may again. */
  private holdFor(until: number): void {
    if (until <= this.holdUntil) return;
    this.holdUntil = until;
    clearTimeout(this.holdTimer);
    this.holdTimer = setTimeout(() => this.options.onAvailable?.(), until - Date.now());
    this.holdTimer.unref();
  }

  /** Requests may go: Redis answered, or the wait for it ended. */
  private settleStart(): void {
    this.resolveStart();
    if (this.isStarted || this.closed) return;
    this.isStarted = true;
    this.options.onAvailable?.();
  }

  private describe() {
    return {
      limiter: this.options.id,
      limit: this.options.limit,
      windowMs: this.options.windowMs,
      workers: this.options.workers,
      localShare: this.options.limit / this.options.workers,
      holdMs: this.transitionHoldMs,
    };
  }
}

/**
 * How long a worker starts nothing when it changes route. With fleet spacing m = window / limit, N
 * workers, and workers noticing a change up to `reconnectMs` apart: in a window that holds the end of
 * one route and the start of the other, the old route spent at most (its part of the window) / m + 1
 * (shared) or + N (N local shares, spacing N·m each), and the new route, starting `hold` later, at
 * most (its part of the window − hold + skew) / m + N or + 1. Both together stay within `limit` when
 * hold ≥ skew + (N + 1)·m. A hold longer than a window plus the skew is never needed: no window then
 * holds both routes.
 */
export function transitionHold(limit: number, windowMs: number, workers: number, reconnectMs: number): number {
  return Math.ceil(Math.min(windowMs, ((workers + 1) * windowMs) / limit) + reconnectMs);
}

/**
 * Bottleneck's cluster mode on one connection of its own. Commands fail at once while Redis is away
 * (no offline queue, nothing re-sent), so requests never wait on a Redis that is gone: the owner sees
 * the connection close and moves them to the local share.
 */
class SharedLimiter {
  readonly limiter: Bottleneck;
  readonly ready: Promise<void>;
  private readonly connection: Bottleneck.IORedisConnection;
  private readonly client: Redis;
  private disposed = false;

  constructor(options: Settled, spacingMs: number, onClose: () => void) {
    this.client = new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => options.reconnectMs,
      connectTimeout: Math.max(1000, options.reconnectMs),
    });
    // Connection errors surface as 'close' below; without a listener ioredis would print them.
    this.client.on('error', () => undefined);
    this.connection = new Bottleneck.IORedisConnection({ client: this.client, Redis });
    this.connection.on('error', () => undefined);
    const settings = { minTime: spacingMs, maxConcurrent: options.workers };
    this.limiter = new Bottleneck({
      id: options.id,
      datastore: 'ioredis',
      connection: this.connection,
      clearDatastore: false,
      ...settings,
      // The limiter's keys expire after a day without use.
      timeout: 86_400_000,
    });
    this.limiter.on('error', () => undefined);
    // The first worker to connect stores its settings for every worker; a fleet restarted with a new
    // RATE_LIMIT must not keep the old one, so each worker writes its own (they are the fleet's).
    this.ready = this.limiter
      .ready()
      .then(() => this.limiter.updateSettings(settings))
      .then(() => {
        if (this.disposed) throw new FleetLimiterError('the limiter was disposed while it started');
        if (this.client.status === 'ready') this.client.once('close', onClose);
        else throw new FleetLimiterError(`Redis connection ${this.client.status}`);
      });
  }

  /** Drops this limiter's waiting requests and closes its connections, without waiting for Redis. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    void this.connection.disconnect(false);
  }
}
