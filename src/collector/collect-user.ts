import { setTimeout as sleep } from 'node:timers/promises';
import { SourceError } from '../errors.ts';
import type { FollowPage, Source, UserRef } from '../sources/source.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import type { RequestBudget } from './budget.ts';
import { FollowList } from './follow-list.ts';
import type { UserResult, UserStatus } from './result.ts';
import type { RunStats } from './stats.ts';

export interface CollectUserOptions {
  /** Stop after this many accounts (MAX_FRIENDS). */
  maxFriends: number;
  /** Retries of one page after transient errors or unreadable pages (MAX_RETRIES). */
  maxRetries: number;
  /** 429 answers tolerated for one page before the user fails (storms without reset headers). */
  maxRateLimitWaits: number;
  backoff: BackoffOptions;
}

export interface CollectUserDeps {
  source: Source;
  budget: RequestBudget;
  stats: RunStats;
}

/** The user was abandoned because the run is shutting down; no row is written for it. */
export class Abandoned extends Error {}

/**
 * Pages in a row that show no account but carry a cursor, followed before the user fails. Every source
 * may send such pages mid-list (X: `result_count: 0` with a `next_token`; Bluesky: a page whose follows
 * were all hidden accounts), so one is followed; a source that keeps sending them would be followed for
 * ever, so past this bound the user is `failed` with the reason, never `ok` with the accounts so far.
 */
export const EMPTY_PAGES_BOUND = 10;

const STATUS_OF_KIND: Partial<Record<SourceError['kind'], UserStatus>> = {
  protected: 'protected',
  not_found: 'not_found',
  suspended: 'suspended',
};

/**
 * Collects one user's follows: pages through the source from the first cursor until the list ends
 * or MAX_FRIENDS is reached, retrying transient failures per page. Always returns a result with a
 * status, unless `signal` aborts, in which case it throws `Abandoned`.
 */
export async function collectUser(
  user: UserRef,
  deps: CollectUserDeps,
  options: CollectUserOptions,
  signal: AbortSignal,
): Promise<UserResult> {
  const startAt = new Date();
  const accounts = new FollowList();
  const seenCursors = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  let emptyInARow = 0;
  let truncated = false;
  const finish = (status: UserStatus, error?: string): UserResult => ({
    user,
    status,
    accounts: status === 'ok' ? accounts.toArray() : [],
    truncated: status === 'ok' && truncated,
    pages,
    error,
    startAt,
    endAt: new Date(),
  });

  try {
    for (;;) {
      const page = await fetchPage(user, cursor, deps, options, signal);
      pages++;
      deps.stats.pages++;
      const room = options.maxFriends - accounts.length;
      accounts.add(page.accounts, room);
      if (accounts.length >= options.maxFriends) {
        truncated = page.accounts.length > room || page.nextCursor !== undefined;
        return finish('ok');
      }
      if (page.nextCursor === undefined) return finish('ok');
      if (seenCursors.has(page.nextCursor)) {
        return finish('failed', `source repeated cursor ${page.nextCursor} after ${pages} pages; stopped to avoid a loop`);
      }
      emptyInARow = page.accounts.length === 0 ? emptyInARow + 1 : 0;
      if (emptyInARow > EMPTY_PAGES_BOUND) {
        return finish('failed', `source sent ${emptyInARow} pages in a row with a cursor but no account (bound ${EMPTY_PAGES_BOUND}); stopped after ${pages} pages`);
      }
      seenCursors.add(unshared(page.nextCursor));
      cursor = page.nextCursor;
    }
  } catch (error) {
    if (signal.aborted) throw new Abandoned('run is shutting down', { cause: error });
    // The source refuses the client, not this user: the run stops (Collector) and the user gets no row.
    if (error instanceof SourceError && error.kind === 'unauthorized') throw error;
    if (error instanceof SourceError) {
      const status = STATUS_OF_KIND[error.kind];
      if (status) return finish(status, error.message);
      return finish('failed', `${error.code}: ${error.message}`);
    }
    return finish('failed', `FF_INTERNAL: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A copy of `s` that shares no memory with the string it was cut from. A cursor read from a page is a
 * slice of a longer string (the link's URL), which V8 keeps whole for as long as the slice lives; a
 * user's cursors live until its last page, so at 2,500 users in flight the URLs behind them were 5 MB
 * of the live heap (heap snapshot of bench/throughput.ts at 2,500). The UTF-16 round trip copies any
 * string exactly, lone surrogates included.
 */
function unshared(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

/** One page, through the budget, with retries for what can be retried. */
async function fetchPage(
  user: UserRef,
  cursor: string | undefined,
  deps: CollectUserDeps,
  options: CollectUserOptions,
  signal: AbortSignal,
): Promise<FollowPage> {
  let attempt = 0;
  let rateWaits = 0;
  for (;;) {
    signal.throwIfAborted();
    // The budget lane (source credential) the request was admitted on: its answer feeds that lane only.
    let lane = 0;
    const followUp = <T>(send: () => Promise<T>): Promise<T> => {
      deps.stats.requests++;
      return deps.budget.schedule(send, lane);
    };
    try {
      deps.stats.requests++;
      const page = await deps.budget.schedule((admitted) => {
        lane = admitted;
        return deps.source.fetchPage(user, cursor, { signal, credential: admitted, followUp });
      });
      if (page.rate) deps.budget.observe(page.rate, lane);
      return page;
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      if (error.rate) deps.budget.observe(error.rate, lane);
      if (error.kind === 'rate_limited') {
        deps.stats.rateLimited++;
        rateWaits++;
        if (rateWaits > options.maxRateLimitWaits) {
          throw new SourceError('rate_limited', `still rate limited after ${options.maxRateLimitWaits} waits`);
        }
        const now = Date.now();
        // Without a reset time, back off as for any other failure rather than hammer the source.
        const until = error.resetAt !== undefined && error.resetAt > now ? error.resetAt : now + backoffDelay(rateWaits, options.backoff);
        deps.budget.pauseUntil(until, lane);
        deps.stats.rateLimitWaitMs += until - now;
        continue;
      }
      if (error.kind !== 'transient' && error.kind !== 'invalid_response') throw error;
      attempt++;
      if (attempt > options.maxRetries) {
        throw new SourceError(error.kind, `${error.message} (gave up after ${options.maxRetries} retries)`, { cause: error });
      }
      deps.stats.retries++;
      await sleep(backoffDelay(attempt, options.backoff), undefined, { signal });
    }
  }
}
