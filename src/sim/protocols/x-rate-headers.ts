import type { RateWindowState } from '../protocol.ts';

/** Twitter's and X's `x-rate-limit-limit/remaining/reset` headers (reset in epoch seconds). */
export function xRateLimitHeaders(state: RateWindowState): Record<string, string> {
  return {
    'x-rate-limit-limit': String(state.limit),
    'x-rate-limit-remaining': String(state.remaining),
    'x-rate-limit-reset': String(state.resetSeconds),
  };
}
