import { setTimeout as sleep } from 'node:timers/promises';
import { AbandonedError, SourceError } from '../core/errors.ts';
import type { RateInfo } from '../core/rate.ts';
import type { FetchOptions, Source, UserRef } from '../sources/source.ts';
import { backoffDelay, type BackoffOptions } from '../core/backoff.ts';
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

/**
 * 429 answers tolerated for one page before the user fails: a bound for a source that keeps refusing
 * without reset headers, far above what a stated reset ever needs.
 */
export const MAX_RATE_LIMIT_WAITS = 1000;

export interface CollectUserDeps {
  source: Source;
  /** Lanes by credential index, or by host for a source with `routing`. */
  budget: RequestBudget<number | string>;
  stats: RunStats;
  /**
   * For a source with `routing`: called once the user's host is known, resolves when the user may
   * start on it (the collector's per-host queues). Default: at once.
   */
  admit?: ((host: string) => Promise<void>) | undefined;
}

/**
 * Pages in a row that show no account but carry a cursor, followed before the user fails. Every source
 * may send such pages mid-list (X: `result_count: 0` with a `next_token`; Bluesky: a page whose follows
 * were all hidden accounts), so one is followed; a source that keeps sending them would be followed for
 * ever, so past this bound the user is `failed` with the reason, never `ok` with the accounts so far.
 */
export const EMPTY_PAGES_BOUND = 10;
/** A budget lane: a credential's index, or a host. */
type Lane = number | string;

/** Longest cursor taken from a source: real ones are tens of characters (X's next_token, Bluesky's getFollows cursor). */
export const MAX_CURSOR_CHARS = 1024;

/** The longest list a cap may ask for (MAX_FRIENDS's largest value); without a cap, lists are bounded as at it. */
const LONGEST_LIST = 10_000_000;

/**
 * Pages one user may take before its list counts as endless: four times the pages MAX_FRIENDS needs
 * at full pages, plus 10, since real pages can be sparse (Bluesky leaves out accounts it hides).
 */
export function maxPagesPerUser(maxFriends: number, pageSize: number): number {
  return 4 * Math.ceil(Math.min(maxFriends, LONGEST_LIST) / pageSize) + 10;
}

const STATUS_OF_KIND: Partial<Record<SourceError['kind'], UserStatus>> = {
  protected: 'protected',
  not_found: 'not_found',
  suspended: 'suspended',
};

/**
 * Collects one user's follows: pages through the source from the first cursor until the list ends
 * or MAX_FRIENDS is reached, retrying transient failures per page. Always returns a result with a
 * status, unless `signal` aborts, in which case it throws `AbandonedError`.
 */
export async function collectUser(user: UserRef, deps: CollectUserDeps, options: CollectUserOptions, signal: AbortSignal): Promise<UserResult> {
  const startAt = new Date();
  const accounts = new FollowList();
  const seenCursors = new Set<string>();
  const maxPages = maxPagesPerUser(options.maxFriends, deps.source.pageSize);
  let cursor: string | undefined;
  let pages = 0;
  let emptyInARow = 0;
  let truncated = false;
  const finish = (status: UserStatus, error?: string, connection?: string): UserResult => ({
    user,
    status,
    accounts: status === 'ok' ? accounts.toArray() : [],
    truncated: status === 'ok' && truncated,
    pages,
    error,
    ...(connection === undefined ? {} : { connection }),
    startAt,
    endAt: new Date(),
  });

  try {
    const routing = deps.source.routing;
    let host: string | undefined;
    if (routing) {
      host = routing.known(user) ?? (await budgeted(deps, options, signal, routing.lookupHost(user), () => routing.lookUp(user, signal))).host;
      await deps.admit?.(host);
    }
    for (;;) {
      const room = options.maxFriends - accounts.length;
      const page = await budgeted(deps, options, signal, host, (admitted, followUp) =>
        deps.source.fetchPage(user, cursor, { signal, credential: typeof admitted === 'number' ? admitted : 0, followUp, host, room }),
      );
      pages++;
      deps.stats.pages++;
      accounts.add(page.accounts, room);
      if (accounts.length >= options.maxFriends) {
        truncated = page.accounts.length > room || page.nextCursor !== undefined;
        return finish('ok');
      }
      if (page.nextCursor === undefined) return finish('ok');
      if (page.nextCursor.length > MAX_CURSOR_CHARS) {
        throw new SourceError('refused', `source gave a cursor of ${page.nextCursor.length} characters after ${pages} pages (at most ${MAX_CURSOR_CHARS} taken)`);
      }
      if (pages >= maxPages) {
        throw new SourceError('refused', `source still had more after ${pages} pages and ${accounts.length} accounts (at most ${maxPages} pages a user at MAX_FRIENDS ${options.maxFriends})`);
      }
      if (seenCursors.has(page.nextCursor)) {
        throw new SourceError('refused', `source repeated cursor ${page.nextCursor} after ${pages} pages; stopped to avoid a loop`);
      }
      emptyInARow = page.accounts.length === 0 ? emptyInARow + 1 : 0;
      if (emptyInARow > EMPTY_PAGES_BOUND) {
        throw new SourceError('refused', `source sent ${emptyInARow} pages in a row with a cursor but no account (bound ${EMPTY_PAGES_BOUND}); stopped after ${pages} pages`);
      }
      seenCursors.add(unshared(page.nextCursor));
      cursor = page.nextCursor;
    }
  } catch (error) {
    if (error instanceof AbandonedError) throw error;
    if (signal.aborted) throw new AbandonedError(undefined, { cause: error });
    // The source refuses the client, not this user: the run stops (Collector) and the user gets no row.
    if (error instanceof SourceError && error.kind === 'unauthorized') throw error;
    if (error instanceof SourceError) {
      const status = STATUS_OF_KIND[error.kind];
      if (status) return finish(status, error.message);
      return finish('failed', `${error.code}: ${error.message}`, error.connection);
    }
    return finish('failed', `FF_INTERNAL: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A copy of `s` that shares no memory with the string it was cut from: a cursor sliced from a page's
 * URL keeps the whole URL alive until the user's last page (docs/decisions.md, 2026-11-23). The UTF-16
 * round trip copies any string exactly, lone surrogates included.
 */
function unshared(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

/**
 * One request through the budget, with retries for what can be retried: `send` runs once admitted on
 * `lane` (any lane of the credentials when undefined), and the rate its answer states feeds that lane.
 */
async function budgeted<T extends { rate?: RateInfo | undefined }>(
  deps: CollectUserDeps,
  options: CollectUserOptions,
  signal: AbortSignal,
  lane: Lane | undefined,
  send: (admitted: Lane, followUp: NonNullable<FetchOptions['followUp']>) => Promise<T>,
): Promise<T> {
  let attempt = 0;
  let rateWaits = 0;
  for (;;) {
    signal.throwIfAborted();
    // The lane (credential or host) the request was admitted on: its answer feeds that lane only.
    let used: Lane = lane ?? 0;
    const followUp = <U>(more: () => Promise<U>): Promise<U> => {
      deps.stats.requests++;
      const asked = performance.now();
      return deps.budget.schedule(() => {
        deps.stats.rateLimitWaitMs += performance.now() - asked;
        return more();
      }, used);
    };
    try {
      deps.stats.requests++;
      const asked = performance.now();
      const answer = await deps.budget.schedule((admitted) => {
        deps.stats.rateLimitWaitMs += performance.now() - asked;
        used = admitted;
        return send(admitted, followUp);
      }, lane);
      if (answer.rate) deps.budget.observe(answer.rate, used);
      return answer;
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      if (error.rate) deps.budget.observe(error.rate, used);
      if (error.kind === 'rate_limited') {
        deps.stats.rateLimited++;
        rateWaits++;
        if (rateWaits > options.maxRateLimitWaits) {
          throw new SourceError('rate_limited', `still rate limited after ${options.maxRateLimitWaits} waits`);
        }
        const now = Date.now();
        // Without a reset time, back off as for any other failure rather than hammer the source.
        const until = error.resetAt !== undefined && error.resetAt > now ? error.resetAt : now + backoffDelay(rateWaits, options.backoff);
        // The pause is counted in rateLimitWaitMs as the retry (and every other request) waits it out.
        deps.budget.pauseUntil(until, used);
        continue;
      }
      if (error.kind !== 'transient' && error.kind !== 'invalid_response') throw error;
      attempt++;
      if (attempt > options.maxRetries) {
        throw new SourceError(error.kind, `${error.message} (gave up after ${options.maxRetries} retries)`, { connection: error.connection, cause: error });
      }
      deps.stats.retries++;
      await sleep(backoffDelay(attempt, options.backoff), undefined, { signal });
    }
  }
}
