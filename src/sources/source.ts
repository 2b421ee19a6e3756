/**
 * The contract between the collector and a wire format. A source fetches one page of one user's
 * follows and knows nothing about batches, concurrency, budgets or storage; the collector knows nothing
 * about HTML or JSON.
 */

import type { RateInfo } from '../core/rate.ts';

// Sources parse it from their headers; it lives in core because SourceError carries it too.
export type { RateInfo };

export type SourceName = 'twitter-html' | 'twitter-api' | 'bluesky' | 'bluesky-repo';

export const SOURCE_NAMES: readonly SourceName[] = ['twitter-html', 'twitter-api', 'bluesky', 'bluesky-repo'];

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
  /** The host `Source.routing` found for the user: the page is asked of it. */
  readonly host?: string | undefined;
  /** Accounts still wanted of this user (MAX_FRIENDS less those collected; Infinity without a cap). */
  readonly room?: number | undefined;
}

/**
 * How a source whose users live on different hosts, each counting requests on its own (a PDS per
 * Bluesky repository), finds a user's host. The collector keeps a budget lane per host, sends each
 * user's pages to its host's lane, and the lookup itself to the lane of the host that answers it.
 */
export interface HostRouting {
  /**
   * Hosts that state no request limit (the PLC directory): their lanes assume none until an answer
   * states one, where the other hosts' start from the source's documented budget.
   */
  readonly unstatedLimits: readonly string[];
  /** The user's host when it is known without a request (looked up earlier in the run). */
  known(user: UserRef): string | undefined;
  /**
   * The host a lookup of the user is asked of (the PLC directory, or a did:web DID's own host): the
   * lane the lookup is budgeted on. Throws a `SourceError` for a user whose host can never be found.
   */
  lookupHost(user: UserRef): string;
  /** Looks the user's host up: one request, to `lookupHost(user)`; rejects with a `SourceError`. */
  lookUp(user: UserRef, signal?: AbortSignal): Promise<{ host: string; rate: RateInfo | undefined }>;
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
  /** Set by a source whose users live on different hosts: pages then go to each user's host (`FetchOptions.host`). */
  readonly routing?: HostRouting | undefined;
  fetchPage(user: UserRef, cursor: string | undefined, options?: FetchOptions): Promise<FollowPage>;
  close(): Promise<void>;
}
