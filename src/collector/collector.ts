import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { AbandonedError, CircuitOpenError, InternalError, SourceError } from '../core/errors.ts';
import type { Source, UserRef } from '../sources/source.ts';
import type { BackoffOptions } from '../core/backoff.ts';
import type { RequestBudget } from './budget.ts';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.ts';
import { collectUser } from './collect-user.ts';
import { HostGate } from './host-gate.ts';
import type { UserResult } from './result.ts';
import { isShortList } from './completeness.ts';
import type { RunStats } from './stats.ts';

export interface CollectorOptions {
  /** Users in flight at once (MAX_THREADS). */
  maxThreads: number;
  maxFriends: number;
  maxRetries: number;
  maxRateLimitWaits: number;
  backoff: BackoffOptions;
  /** When a streak of users failing on one connection-level error stops the run. */
  circuit: CircuitBreakerOptions;
}

export interface CollectorDeps {
  source: Source;
  /** Lanes by credential, or by host for a source with `routing`. */
  budget: RequestBudget<number | string>;
  stats: RunStats;
  log: Logger;
  /**
   * Takes a finished user's result. The user keeps its concurrency slot until this resolves, so a
   * sink that cannot keep up slows fetching down instead of piling results up in memory.
   */
  onResult: (result: UserResult) => Promise<void>;
}

/** Users read ahead into the per-host queues, per user in flight. */
const READ_AHEAD = 10;

/**
 * Runs users through `collectUser` with at most `maxThreads` in flight, reading the users iterator
 * only as fast as slots free up (memory stays bounded whatever the bucket size).
 *
 * Shutdown is two-step: `stop()` takes no new users and lets in-flight ones finish; `abort()` also
 * cancels in-flight requests (and closes the budget, so none waits for it), and those users are
 * abandoned without a row (the next run redoes them).
 */
export class Collector {
  private readonly deps: CollectorDeps;
  private readonly options: CollectorOptions;
  private readonly abortController = new AbortController();
  private stopped = false;
  private failure: Error | undefined;
  /** Per-host queues, for a source whose users live on different hosts. */
  private readonly gate: HostGate | undefined;
  private readonly breaker: CircuitBreaker;

  constructor(deps: CollectorDeps, options: CollectorOptions) {
    this.deps = deps;
    this.options = options;
    this.breaker = new CircuitBreaker(options.circuit);
    if (deps.source.routing) this.gate = new HostGate({ maxInFlight: options.maxThreads, busy: (host) => deps.budget.waiting(host) > 0 });
  }

  stop(): void {
    this.stopped = true;
    // Users waiting for their host have not started: they are left to the next run, as unread ones are.
    this.gate?.close(new AbandonedError('run is stopping'));
  }

  abort(reason = 'shutdown'): void {
    this.stopped = true;
    this.abortController.abort(new AbandonedError(reason));
    // Requests still waiting for the budget are in flight too, and a spent window can last 15 minutes:
    // closing the budget rejects them, so their users are abandoned now rather than when it refills.
    void this.deps.budget.close();
    this.gate?.close(new AbandonedError(reason));
  }

  get abandoning(): boolean {
    return this.abortController.signal.aborted;
  }

  /** Collects every user the iterator yields (in batches), until done or stopped. */
  async run(batches: AsyncIterable<readonly UserRef[]>): Promise<void> {
    if (this.gate) return this.runByHost(batches, this.gate);
    const limit = pLimit(this.options.maxThreads);
    const inFlight = new Set<Promise<void>>();
    for await (const batch of batches) {
      if (this.stopped) break;
      // p-limit holds the batch until slots free up; the next batch is read once the last user of
      // this one has started, so users leave the table as fast as slots free and no faster.
      const lastStarted = Promise.withResolvers<void>();
      batch.forEach((user, i) => {
        const task = limit(() => {
          if (i === batch.length - 1) lastStarted.resolve();
          return this.collectOne(user);
        }).finally(() => inFlight.delete(task));
        inFlight.add(task);
      });
      if (batch.length === 0) lastStarted.resolve();
      await lastStarted.promise;
    }
    await this.finish(inFlight);
  }

  /**
   * `run` for a source whose users live on different hosts: users are read ahead into the per-host
   * queues while fewer than `maxThreads` are in flight (looked up or collected) and fewer than
   * READ_AHEAD times that wait, so every host with users left has some waiting.
   */
  private async runByHost(batches: AsyncIterable<readonly UserRef[]>, gate: HostGate): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let wake: (() => void) | undefined;
    const readAhead = READ_AHEAD * this.options.maxThreads;
    outer: for await (const batch of batches) {
      for (const user of batch) {
        while (!this.stopped && (gate.inFlight >= this.options.maxThreads || gate.waiting >= readAhead)) {
          await new Promise<void>((resolve) => (wake = resolve));
        }
        if (this.stopped) break outer;
        const task = this.collectRouted(user, gate).finally(() => {
          inFlight.delete(task);
          const w = wake;
          wake = undefined;
          w?.();
        });
        inFlight.add(task);
      }
    }
    await this.finish(inFlight);
  }

  /** Waits for the users in flight, then stores what the circuit breaker still holds, or throws the run's failure. */
  private async finish(inFlight: Set<Promise<void>>): Promise<void> {
    await Promise.all(inFlight);
    // Users of an unfinished streak were collected like any other: stored unless the run is abandoning its users.
    if (this.failure === undefined && !this.abandoning) for (const result of this.breaker.drain()) await this.store(result);
    if (this.failure !== undefined) throw this.failure;
  }

  /** `collectOne` through the per-host queues: in flight while looked up and while collected and stored, not while waiting. */
  private async collectRouted(user: UserRef, gate: HostGate): Promise<void> {
    let phase: 'lookup' | 'waiting' | 'running' = 'lookup';
    gate.beginLookup();
    const admit = async (host: string) => {
      phase = 'waiting';
      gate.endLookup();
      await gate.enter(host);
      phase = 'running';
    };
    try {
      await this.collectOne(user, admit);
    } finally {
      if (phase === 'lookup') gate.endLookup();
      else if (phase === 'running') gate.leave();
    }
  }

  private async collectOne(user: UserRef, admit?: (host: string) => Promise<void>): Promise<void> {
    if (this.stopped) return;
    const { stats } = this.deps;
    stats.usersStarted++;
    let result: UserResult;
    try {
      result = await collectUser(user, { ...this.deps, admit }, this.options, this.abortController.signal);
    } catch (error) {
      if (error instanceof AbandonedError) return;
      // The source refuses our credentials: no user can succeed, so stop rather than fail them all.
      if (error instanceof SourceError && error.kind === 'unauthorized') return this.fail(error, 'source refused the credentials; stopping');
      throw error;
    }
    const released = this.breaker.pass(result);
    // The source cannot be reached: every further user would fail the same way, so stop rather than fail them all.
    if (this.breaker.open) this.fail(this.breaker.open, 'source cannot be reached; stopping');
    for (const r of released) await this.store(r);
  }

  /** Stores one user's result and counts it; a sink failure stops the run. */
  private async store(result: UserResult): Promise<void> {
    const { stats } = this.deps;
    try {
      await this.deps.onResult(result);
    } catch (error) {
      // The sink failed: nothing more can be stored, so stop taking users and report it at the end.
      return this.fail(error, 'sink failed; stopping');
    }
    stats.usersDone++;
    stats.byStatus[result.status]++;
    stats.friends += result.accounts.length;
    if (result.status === 'ok' && result.user.friendsCount !== undefined) {
      stats.okWithExpected++;
      if (isShortList(result)) stats.shortLists++;
    }
  }

  /** Stops the run for good: in-flight users are abandoned and `run` rejects with the first failure. */
  private fail(error: unknown, msg: string): void {
    if (this.failure === undefined) {
      this.failure = error instanceof Error ? error : new InternalError(String(error));
      // An open circuit is an expected stop, said in full by the CLI's one line: its stack would only add noise.
      this.deps.log.error(error instanceof CircuitOpenError ? { code: error.code, connection: error.connection, users: error.users } : { err: error }, msg);
    }
    this.abort(msg);
  }
}
