import { setTimeout as sleep } from 'node:timers/promises';
import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RateInfo } from '../sources/source.ts';
import type { RequestBudget } from './budget.ts';

export interface FleetBudgetOptions {
  /** redis://[:password@]host:port (RATE_LIMIT_REDIS_URL). Never logged. */
  redisUrl: string;
  /** The limiter every worker sharing one source budget uses (same token, same IP). */
  id: string;
  /** Requests per window for the whole fleet (RATE_LIMIT). */
  limit: number;
  windowMs: number;
  /** Workers sharing the budget: without Redis each takes limit / workers (RATE_LIMIT_WORKERS). */
  workers: number;
  log: Logger;
  /** How long to wait for Redis at start before using the local share. Default 5 s. */
  connectTimeoutMs?: number;
}

/** Workers notice Redis leave or return within this long of each other (the reconnect interval). */
const RECONNECT_MS = 1000;
/** Marks an attempt that its route no longer applies to: it is scheduled again. */
const REROUTE = Symbol('reroute');

type Route = 'shared' | 'local';

/**
 * One rate budget for a whole fleet, kept in Redis by bottleneck's cluster mode: every worker schedules
 * through a limiter with the same id, which spaces requests `window / limit` apart fleet-wide. Spacing,
 * unlike a reservoir refilled on the limiter's own clock, never puts more than `limit` requests into any
 * window of the source, however the source aligns its windows.
 *
 * Without Redis (unreachable at start, or gone mid-run) each worker falls back to a conservative local
 * share, spaced `window / (limit / workers)` apart, and logs it; when Redis is back it shares again.
 * Every change of route holds new requests for one window plus the time workers take to notice the
 * change, so no window of the source mixes shared and local requests; a request admitted under a route
 * that no longer applies is scheduled again instead of sent, and a request never runs twice.
 */
export class FleetBudget implements RequestBudget {
  /** A connection of our own that only watches Redis come and go. */
  private readonly watcher: Redis;
  private shared: SharedLimiter;
  private readonly local: Bottleneck;
  private readonly options: FleetBudgetOptions;
  private readonly log: Logger;
  private readonly windowMs: number;
  private readonly ready: Promise<void>;
  private route: Route = 'local';
  private holdUntil = 0;
  private closed = false;
  private readonly pendingShared = new Set<() => void>();
  private pauseTimer: NodeJS.Timeout | undefined;

  constructor(options: FleetBudgetOptions) {
    this.options = options;
    this.log = options.log;
    this.windowMs = options.windowMs;
    const share = Math.max(1, Math.floor(options.limit / options.workers));
    this.local = new Bottleneck({ minTime: Math.ceil(options.windowMs / share) + 1 });
    this.watcher = connect(options.redisUrl);
    const where = { limiter: options.id, limit: options.limit, windowMs: options.windowMs };
    let firstReady: () => void;
    this.ready = new Promise<void>((resolve) => (firstReady = resolve));
    const connectTimer = setTimeout(() => {
      this.log.warn({ ...where, share }, 'fleet rate limit: Redis unreachable at start; using a local share of the budget');
      firstReady();
    }, options.connectTimeoutMs ?? 5000);
    this.watcher.on('ready', () => {
      if (this.closed || this.route === 'shared') return;
      const atStart = this.holdUntil === 0 && !this.localUsed;
      // A Redis that comes back may have lost the limiter's keys (a restart): start a fresh limiter,
      // which writes its settings again, rather than wait on the old one.
      if (!atStart) this.renewShared();
      this.switchTo('shared', !atStart);
      clearTimeout(connectTimer);
      firstReady();
      this.log.info(where, atStart ? 'fleet rate limit: sharing the budget through Redis' : 'fleet rate limit: Redis is back; sharing the budget again');
    });
    this.watcher.on('close', () => {
      if (this.closed || this.route !== 'shared') return;
      this.switchTo('local', true);
      this.log.warn({ ...where, share }, 'fleet rate limit: Redis unreachable; using a local share of the budget');
    });
    // Connection errors surface as 'close' above; without a listener ioredis would print them.
    this.watcher.on('error', () => undefined);
    this.shared = sharedLimiter(options);
  }

  private renewShared(): void {
    const old = this.shared;
    this.shared = sharedLimiter(this.options);
    old.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    old.client.disconnect();
  }

  private localUsed = false;

  /** Which route requests take now; for tests and logs. */
  get currentRoute(): Route {
    return this.route;
  }

  async schedule<T>(fn: () => Promise<T>): Promise<T> {
    await this.ready;
    for (;;) {
      const hold = this.holdUntil - Date.now();
      if (hold > 0) await sleep(hold);
      if (this.closed) throw new Error('request budget closed');
      const route = this.route;
      const result = await this.attempt(route, fn);
      if (result !== REROUTE) return result;
    }
  }

  /**
   * One try through `route`. The request runs only if, when the limiter lets it go, the route still
   * applies and no hold is on; it resolves with `fn`'s own outcome, not with the limiter's bookkeeping
   * (which waits on Redis).
   */
  private attempt<T>(route: Route, fn: () => Promise<T>): Promise<T | typeof REROUTE> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const job = async () => {
        if (settled || this.route !== route || Date.now() < this.holdUntil) {
          if (!settled) {
            settled = true;
            resolve(REROUTE);
          }
          return;
        }
        settled = true;
        fn().then(resolve, reject);
      };
      if (route === 'local') {
        this.localUsed = true;
        this.local.schedule(job).catch(() => !settled && ((settled = true), resolve(REROUTE)));
        return;
      }
      const reroute = () => {
        this.pendingShared.delete(reroute);
        if (!settled) {
          settled = true;
          resolve(REROUTE);
        }
      };
      this.pendingShared.add(reroute);
      this.shared.limiter.schedule(job).then(
        () => this.pendingShared.delete(reroute),
        () => reroute(),
      );
    });
  }

  private switchTo(route: Route, hold: boolean): void {
    this.route = route;
    if (hold) this.holdUntil = Date.now() + this.windowMs + 2 * RECONNECT_MS;
    if (route === 'local') for (const reroute of [...this.pendingShared]) reroute();
  }

  observe(rate: RateInfo, now: number = Date.now()): void {
    if (rate.remaining <= 0 && rate.resetAt > now) this.pauseUntil(rate.resetAt);
  }

  /** No request starts before `until`: the source said its budget is spent (a 429, or 0 remaining). */
  pauseUntil(until: number): void {
    if (this.closed) return;
    this.holdUntil = Math.max(this.holdUntil, until + 250);
    if (this.route !== 'shared') return;
    // Hold the whole fleet, not only this worker: the shared limiter's reservoir lives in Redis.
    this.shared.limiter.updateSettings({ reservoir: 0 });
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.shared.limiter.updateSettings({ reservoir: null }), Math.max(0, until + 250 - Date.now()));
  }

  waiting(): number {
    return this.local.counts().QUEUED + this.pendingShared.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    for (const reroute of [...this.pendingShared]) reroute();
    await this.local.stop({ dropWaitingJobs: true }).catch(() => undefined);
    this.shared.limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    this.shared.client.disconnect();
    this.watcher.disconnect();
  }
}

interface SharedLimiter {
  limiter: Bottleneck;
  client: Redis;
}

function connect(url: string): Redis {
  return new Redis(url, {
    // While Redis is away, bottleneck's own commands wait for it rather than fail: it does not catch
    // every one of them, and an unhandled rejection would end the worker. Requests do not wait: they
    // move to the local share.
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    retryStrategy: () => RECONNECT_MS,
  });
}

/** Bottleneck's cluster mode on a connection of its own: spacing `window / limit` fleet-wide. */
function sharedLimiter(options: FleetBudgetOptions): SharedLimiter {
  const client = connect(options.redisUrl);
  client.on('error', () => undefined);
  const limiter = new Bottleneck({
    id: options.id,
    datastore: 'ioredis',
    clearDatastore: false,
    connection: new Bottleneck.IORedisConnection({ client, Redis }),
    minTime: Math.ceil(options.windowMs / options.limit) + 1,
    maxConcurrent: null,
    // Redis keys of a limiter no worker touches for a day expire.
    timeout: 86_400_000,
  });
  limiter.on('error', () => undefined);
  return { limiter, client };
}
