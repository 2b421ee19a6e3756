/**
 * Faults the fake injects, changeable while it runs (`fake.faults`, or PUT /_fake/faults from another
 * process). Shares are per call, spread evenly over the calls (see FaultSchedule).
 */
export interface FakeFaults {
  /** Share of insertAll calls answered 500 or 503 (alternately) without storing anything. */
  insertErrorRate: number;
  /** Share of insertAll calls in which some rows fail with a retryable per-row error (backendError). */
  partialFailureRate: number;
  /** In a partial failure, the share of the request's rows that fail (rounded to whole rows). */
  partialRowShare: number;
  /** Share of insertAll calls whose rows are stored but whose answer is a 503: the client cannot know. */
  lostResponseRate: number;
  /** Milliseconds every insertAll call waits before it is answered. */
  delayMs: number;
  /** While true, insertAll calls are held unanswered (and unstored) until the stall ends. */
  stalled: boolean;
  /** insertAll bodies above this many bytes get 413, as BigQuery's 10 MB request limit. */
  maxRequestBytes: number;
  /** Rows with these user_id values are rejected as invalid (reason `invalid`). */
  invalidUserIds: string[];
  /** Share of jobs.query / jobs.insert / getQueryResults calls answered 503. */
  queryErrorRate: number;
  /**
   * Share of insertAll and jobs.query / getQueryResults calls answered 403 `rateLimitExceeded`, a
   * short-term limit: "retrying the operation after a few seconds. Use exponential backoff"
   * (cloud.google.com/bigquery/docs/troubleshoot-quotas).
   */
  rateLimitRate: number;
  /**
   * Share of insertAll calls answered 403 `quotaExceeded`, a longer-term limit (same page); for
   * streaming, the bytes-per-second quota (cloud.google.com/bigquery/quotas#streaming_inserts).
   */
  quotaExceededRate: number;
}

export const NO_FAULTS: FakeFaults = {
  insertErrorRate: 0,
  partialFailureRate: 0,
  partialRowShare: 0.2,
  lostResponseRate: 0,
  delayMs: 0,
  stalled: false,
  maxRequestBytes: 10 * 1024 * 1024,
  invalidUserIds: [],
  queryErrorRate: 0,
  rateLimitRate: 0,
  quotaExceededRate: 0,
};

/**
 * Which calls get a fault of rate r: spread evenly (call n is hit when floor(n·r + phase) moves on),
 * so "10% of insert calls" is exactly every tenth call, whatever the timing of the calls. Random draws
 * would leave a short test without a single fault now and then. Each time the rate changes the count
 * starts again, from a seeded phase that puts the first fault on the first or second call: a scenario
 * whose run makes only a few calls (its rows fit in three or four requests) still meets its fault.
 */
export class FaultSchedule {
  private calls = 0;
  private phase = 0;
  private rate = 0;
  private readonly draw: () => number;

  constructor(draw: () => number) {
    this.draw = draw;
  }

  hit(rate: number): boolean {
    if (rate !== this.rate) {
      this.rate = rate;
      this.calls = 0;
      this.phase = Math.max(0, 1 - rate * (1 + this.draw()));
    }
    this.calls++;
    return Math.floor(this.calls * rate + this.phase) > Math.floor((this.calls - 1) * rate + this.phase);
  }
}
