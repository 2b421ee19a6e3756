import type { UserStatus } from './result.ts';

/** A point-in-time copy of a run's counters, plus derived rates. */
export interface StatsSnapshot {
  elapsedMs: number;
  /** Users in the bucket still to collect when the run started (undefined until known). */
  usersPlanned: number | undefined;
  usersStarted: number;
  /** Users with a final result handed to the sink. */
  usersDone: number;
  /** Users whose row the sink has durably stored. */
  usersSaved: number;
  byStatus: Record<UserStatus, number>;
  friends: number;
  pages: number;
  requests: number;
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
  /**
   * Milliseconds requests waited for the rate-limit budget (the window's remaining count, a pause after
   * a 429), summed over requests: per second of a run, how many requests the limit held back on average.
   */
  rateLimitWaitMs: number;
  deadLetters: number;
  /** `ok` users whose users-table row gave a following count (`expected_count`). */
  okWithExpected: number;
  /** Of those, users whose list is shorter than that count beyond the tolerance (completeness.ts). */
  shortLists: number;
  rssMb: number;
}

/**
 * The one set of counters a run keeps. The progress bar, the periodic log line, the runs table and
 * the trial summary all read it, so they can never disagree (Crawlee's `Statistics` habit).
 */
export class RunStats {
  readonly startedAt: number;
  usersPlanned: number | undefined;
  usersStarted = 0;
  usersDone = 0;
  usersSaved = 0;
  readonly byStatus: Record<UserStatus, number> = { ok: 0, protected: 0, not_found: 0, suspended: 0, failed: 0 };
  friends = 0;
  pages = 0;
  requests = 0;
  retries = 0;
  rateLimited = 0;
  rateLimitWaitMs = 0;
  deadLetters = 0;
  okWithExpected = 0;
  shortLists = 0;

  constructor(now: number = Date.now()) {
    this.startedAt = now;
  }

  snapshot(now: number = Date.now()): StatsSnapshot {
    return {
      elapsedMs: now - this.startedAt,
      usersPlanned: this.usersPlanned,
      usersStarted: this.usersStarted,
      usersDone: this.usersDone,
      usersSaved: this.usersSaved,
      byStatus: { ...this.byStatus },
      friends: this.friends,
      pages: this.pages,
      requests: this.requests,
      retries: this.retries,
      rateLimited: this.rateLimited,
      rateLimitWaitMs: this.rateLimitWaitMs,
      deadLetters: this.deadLetters,
      okWithExpected: this.okWithExpected,
      shortLists: this.shortLists,
      rssMb: Math.round(process.memoryUsage.rss() / 1048576),
    };
  }
}
