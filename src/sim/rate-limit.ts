import type { RateWindowState } from './protocol.ts';

/**
 * Fixed windows aligned to the epoch, counted per client, as Twitter's and Bluesky's limits are: a
 * client may make `limit` requests in each window; the reset header names the window's end.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { window: number; count: number }>();
  readonly limit: number;
  readonly windowMs: number;

  constructor(limit: number, windowMs: number) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Counts one request by `client` at `now` and says whether it is allowed. */
  hit(client: string, now: number): { allowed: boolean; state: RateWindowState } {
    const window = Math.floor(now / this.windowMs);
    let entry = this.windows.get(client);
    if (!entry || entry.window !== window) {
      entry = { window, count: 0 };
      this.windows.set(client, entry);
    }
    entry.count++;
    const allowed = entry.count <= this.limit;
    return {
      allowed,
      state: {
        limit: this.limit,
        remaining: Math.max(0, this.limit - entry.count),
        resetSeconds: Math.ceil(((window + 1) * this.windowMs) / 1000),
        resetAtMs: (window + 1) * this.windowMs,
        windowSeconds: Math.round(this.windowMs / 1000),
      },
    };
  }
}
