import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { SourceError } from '../errors.ts';
import type { Source, UserRef } from '../sources/source.ts';
import type { BackoffOptions } from './backoff.ts';
import type { RequestBudget } from './budget.ts';
import { Abandoned, collectUser } from './collect-user.ts';
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
}

export interface CollectorDeps {
  source: Source;
  budget: RequestBudget;
  stats: RunStats;
  log: Logger;
  /**
   * Takes a finished user's result. The user keeps its concurrency slot until this resolves, so a
   * sink that cannot keep up slows fetching down instead of piling results up in memory.
   */
  onResult: (result: UserResult) => Promise<void>;
}

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
  private failure: unknown;

  constructor(deps: CollectorDeps, options: CollectorOptions) {
    this.deps = deps;
    this.options = options;
  }

  stop(): void {
    this.stopped = true;
  }

  abort(reason = 'shutdown'): void {
    this.stopped = true;
    this.abortController.abort(new Error(reason));
    // Requests still waiting for the budget are in flight too, and a spent window can last 15 minutes:
    // closing the budget rejects them, so their users are abandoned now rather than when it refills.
    void this.deps.budget.close();
  }

  get abandoning(): boolean {
    return this.abortController.signal.aborted;
  }

  /** Collects every user the iterator yields (in batches), until done or stopped. */
  async run(batches: AsyncIterable<readonly UserRef[]>): Promise<void> {
    const limit = pLimit(this.options.maxThreads);
    let wake: (() => void) | undefined;
    const inFlight = new Set<Promise<void>>();
    const release = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };

    outer: for await (const batch of batches) {
      for (const user of batch) {
        while (!this.stopped && limit.activeCount + limit.pendingCount >= this.options.maxThreads) {
          await new Promise<void>((resolve) => (wake = resolve));
        }
        if (this.stopped) break outer;
        const task = limit(() => this.collectOne(user)).finally(() => {
          inFlight.delete(task);
          release();
        });
        inFlight.add(task);
      }
    }
    await Promise.all(inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  private async collectOne(user: UserRef): Promise<void> {
    if (this.stopped) return;
    const { stats } = this.deps;
    stats.usersStarted++;
    let result: UserResult;
    try {
      result = await collectUser(user, this.deps, this.options, this.abortController.signal);
    } catch (error) {
      if (error instanceof Abandoned) return;
      // The source refuses our credentials: no user can succeed, so stop rather than fail them all.
      if (error instanceof SourceError && error.kind === 'unauthorized') return this.fail(error, 'source refused the credentials; stopping');
      throw error;
    }
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
      this.failure = error;
      this.deps.log.error({ err: error }, msg);
    }
    this.abort(msg);
  }
}
