/** What a response said about the caller's request budget. */
export interface RateInfo {
  /** Requests allowed per window, when stated. */
  readonly limit?: number | undefined;
  /** Requests left in the current window. */
  readonly remaining: number;
  /** Epoch milliseconds at which the window resets. */
  readonly resetAt: number;
}
