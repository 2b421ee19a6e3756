import { BudgetClosedError } from '../core/errors.ts';

export interface HostGateOptions {
  /** Users collected at once, lookups included (MAX_THREADS). */
  maxInFlight: number;
  /** Whether a host's budget lane has requests waiting: it is kept busy already, up to its own limit. */
  busy: (host: string) => boolean;
}

/**
 * Per-host queues between finding a user's host and collecting the user, as crawlers keep per-host
 * queues (Nutch, StormCrawler): a user starts only while its host's budget lane has no request
 * waiting, so users of a slow, failing or rate-limited host wait in their host's queue, holding no
 * slot, while the other hosts' users go ahead. Hosts with waiting users take turns.
 *
 * The users-in-flight bound counts users being collected and users whose host is being looked up;
 * users waiting in a queue hold nothing but their place (the collector bounds how many it reads ahead).
 */
export class HostGate {
  private readonly options: HostGateOptions;
  private running = 0;
  private lookups = 0;
  private waitingCount = 0;
  private readonly queues = new Map<string, { resolve: () => void; reject: (e: unknown) => void }[]>();
  /** Hosts with users waiting, in turn. */
  private readonly turn: string[] = [];
  private next = 0;
  private closed = false;
  private closedWith: Error = new BudgetClosedError();

  constructor(options: HostGateOptions) {
    this.options = options;
  }

  /** Users being collected or looked up: the users-in-flight bound applies to these. */
  get inFlight(): number {
    return this.running + this.lookups;
  }

  /** Users waiting for their host. */
  get waiting(): number {
    return this.waitingCount;
  }

  beginLookup(): void {
    this.lookups++;
  }

  endLookup(): void {
    this.lookups--;
    this.pump();
  }

  /** Resolves when the user may start on `host`; rejects once the gate is closed (shutdown). */
  enter(host: string): Promise<void> {
    if (this.closed) return Promise.reject(this.closedWith);
    if (!this.queues.has(host) && this.inFlight < this.options.maxInFlight && !this.options.busy(host)) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(host);
      if (!queue) {
        queue = [];
        this.queues.set(host, queue);
        this.turn.push(host);
      }
      queue.push({ resolve, reject });
      this.waitingCount++;
    });
  }

  /** A user of `host` is done: the next waiting users may start. */
  leave(): void {
    this.running--;
    this.pump();
  }

  /** Starts waiting users, hosts in turn, while the bound allows and their hosts can take them. */
  pump(): void {
    let passed = 0;
    while (!this.closed && this.turn.length > 0 && passed < this.turn.length && this.inFlight < this.options.maxInFlight) {
      this.next %= this.turn.length;
      const host = this.turn[this.next]!;
      if (this.options.busy(host)) {
        this.next++;
        passed++;
        continue;
      }
      const queue = this.queues.get(host)!;
      const waiter = queue.shift()!;
      this.waitingCount--;
      if (queue.length === 0) {
        this.queues.delete(host);
        this.turn.splice(this.next, 1);
      } else {
        this.next++;
      }
      passed = 0;
      this.running++;
      waiter.resolve();
    }
  }

  /** Rejects every waiting user, and any that comes later, with `error` (they are abandoned: the next run takes them). */
  close(error: Error = new BudgetClosedError()): void {
    if (this.closed) return;
    this.closed = true;
    this.closedWith = error;
    for (const queue of this.queues.values()) for (const waiter of queue) waiter.reject(error);
    this.queues.clear();
    this.turn.length = 0;
    this.waitingCount = 0;
  }
}
