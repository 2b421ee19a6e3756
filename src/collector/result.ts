import type { FollowedAccount, UserRef } from '../sources/source.ts';

/** Every user ends in exactly one of these. Only `failed` carries an error and is retried by a later run. */
export type UserStatus = 'ok' | 'protected' | 'not_found' | 'suspended' | 'failed';

export const USER_STATUSES: readonly UserStatus[] = ['ok', 'protected', 'not_found', 'suspended', 'failed'];

/** Statuses that end a user's collection for good: a later run skips these users. */
export const TERMINAL_STATUSES: readonly UserStatus[] = ['ok', 'protected', 'not_found', 'suspended'];

/** The outcome of collecting one user. */
export interface UserResult {
  readonly user: UserRef;
  readonly status: UserStatus;
  /** Followed accounts, capped at MAX_FRIENDS; empty unless `ok`. */
  readonly accounts: readonly FollowedAccount[];
  /** True when the cap was reached and the source had more. */
  readonly truncated: boolean;
  /** Pages read (successful page responses). */
  readonly pages: number;
  /** Why the user failed (`failed`), or what the source said (other non-ok statuses). */
  readonly error: string | undefined;
  /** For a `failed` user that never reached the source: its connection failure, `CODE at ORIGIN` (the circuit breaker's input). */
  readonly connection?: string | undefined;
  readonly startAt: Date;
  readonly endAt: Date;
}
