/**
 * The contract between the collector and a wire format. A source fetches one page of one user's
 * follows and knows nothing about batches, concurrency, budgets or storage; the collector knows nothing
 * about HTML or JSON.
 */

export type SourceName = 'twitter-html' | 'twitter-api' | 'bluesky';

export const SOURCE_NAMES: readonly SourceName[] = ['twitter-html', 'twitter-api', 'bluesky'];

/** The user whose follows are fetched. */
export interface UserRef {
  /** Canonical ID (decimal string, or an opaque string such as a DID). */
  readonly id: string;
  /** Screen name or handle, when the users table has it. Required by the HTML source. */
  readonly screenName?: string | undefined;
  /**
   * How many accounts the users table says this user follows (`friends_count`, as Twitter's user objects
   * carried), when it says; stored beside the list as `expected_count`.
   */
  readonly friendsCount?: number | undefined;
}

/** One followed account as the source reports it. */
export interface FollowedAccount {
  /** The account's ID, when the source gives one (the HTML pages do not). */
  readonly id?: string | undefined;
  readonly screenName: string;
}

/** What a response said about the caller's request budget. */
export interface RateInfo {
  /** Requests allowed per window, when stated. */
  readonly limit?: number | undefined;
  /** Requests left in the current window. */
  readonly remaining: number;
  /** Epoch milliseconds at which the window resets. */
  readonly resetAt: number;
}

export interface FollowPage {
  readonly accounts: readonly FollowedAccount[];
  /** Opaque cursor of the next page; undefined on the last page. */
  readonly nextCursor: string | undefined;
  /** Budget information from the response headers, when the source sends it. */
  readonly rate?: RateInfo | undefined;
}

export interface FetchOptions {
  /** Aborts the request (shutdown); the source rethrows the abort as is. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Which of the source's credentials to send (0 to `credentials` - 1): the budget lane the request
   * was admitted on. Default 0.
   */
  readonly credential?: number | undefined;
  /**
   * Passes a further request made for the same page through the budget, on the same credential
   * (Bluesky asks for the profile to learn why an actor is missing). Default: sent unbudgeted.
   */
  readonly followUp?: (<T>(send: () => Promise<T>) => Promise<T>) | undefined;
}

/**
 * A source of follow lists. `fetchPage` resolves with a page, or rejects with a `SourceError` whose
 * `kind` says what happened (see errors.ts); it never resolves an unreadable page as an empty one.
 */
export interface Source {
  readonly name: SourceName;
  /** Accounts on a full page (20 for the HTML site). */
  readonly pageSize: number;
  /**
   * Credentials with a request budget each (X API bearer tokens); 1 for a source limited per client
   * address. The collector keeps one budget lane per credential and says which to use.
   */
  readonly credentials: number;
  fetchPage(user: UserRef, cursor: string | undefined, options?: FetchOptions): Promise<FollowPage>;
  close(): Promise<void>;
}
