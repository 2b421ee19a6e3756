import type { RateInfo } from './source.ts';
import { header, type HttpResponse } from './http.ts';

/**
 * Reads Twitter-style `x-rate-limit-limit/remaining/reset` headers (reset in epoch seconds).
 * Returns undefined when the response does not carry them.
 */
export function twitterRateInfo(headers: HttpResponse['headers']): RateInfo | undefined {
  const remaining = header(headers, 'x-rate-limit-remaining');
  const reset = header(headers, 'x-rate-limit-reset');
  if (remaining === undefined || reset === undefined) return undefined;
  const r = Number(remaining);
  const t = Number(reset);
  if (!Number.isFinite(r) || !Number.isFinite(t)) return undefined;
  const limit = Number(header(headers, 'x-rate-limit-limit'));
  return { limit: Number.isFinite(limit) && limit > 0 ? limit : undefined, remaining: r, resetAt: t * 1000 };
}

/** Epoch ms named by a 429's reset header, or undefined when the source did not say. */
export function resetFromHeaders(headers: HttpResponse['headers'], now: number = Date.now()): number | undefined {
  const reset = Number(header(headers, 'x-rate-limit-reset'));
  if (Number.isFinite(reset) && reset > 0) return reset * 1000;
  const retryAfter = header(headers, 'retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return now + seconds * 1000;
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return date;
  }
  return undefined;
}

/**
 * Reads atproto's `ratelimit-limit/remaining/reset` headers (xrpc-server's RateLimit-*). atproto sends
 * the reset as epoch seconds rounded down, so a second is added: waiting for the stated second could
 * come back before the window ended. A reset below 1e9 is read as seconds from now (the IETF draft's
 * form, which other AppViews may use).
 */
export function blueskyRateInfo(headers: HttpResponse['headers'], now: number = Date.now()): RateInfo | undefined {
  const remaining = Number(header(headers, 'ratelimit-remaining'));
  const reset = Number(header(headers, 'ratelimit-reset'));
  if (header(headers, 'ratelimit-remaining') === undefined || !Number.isFinite(remaining) || !Number.isFinite(reset)) return undefined;
  const limit = Number(header(headers, 'ratelimit-limit'));
  const resetAt = reset < 1e9 ? now + reset * 1000 : (reset + 1) * 1000;
  return { limit: Number.isFinite(limit) && limit > 0 ? limit : undefined, remaining, resetAt };
}
