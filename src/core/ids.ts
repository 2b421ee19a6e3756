/**
 * User IDs are strings end to end. Twitter IDs reach 1.2e18, far past Number.MAX_SAFE_INTEGER, so a
 * numeric ID is only ever compared or computed on as a BigInt, never as a JS number. Bluesky DIDs and
 * other opaque IDs are compared as strings (code-unit order, which equals byte order for the ASCII
 * that DIDs are made of, and therefore matches SQL VARCHAR ordering).
 */

export type IdKind = 'numeric' | 'opaque';

/** INT64's maximum: the largest ID BigQuery's INT64 and `CAST(user_id AS INT64)` can hold. */
export const MAX_NUMERIC_ID = (1n << 63n) - 1n;

/** Why a raw ID from a users table was rejected. */
export type IdRejection = 'empty' | 'malformed' | 'negative' | 'too_large';

/** How a raw ID was changed on its way to its canonical form. Each is reported, never silent. */
export type IdCorrection = 'whitespace' | 'plus_sign' | 'leading_zeros';

export type NormalisedId = { ok: true; id: string; corrections: IdCorrection[] } | { ok: false; rejection: IdRejection; reason: string };

const DIGITS = /^[0-9]+$/;
const OPAQUE = /^[\x21-\x7e]{1,256}$/;

/**
 * Turns a raw numeric ID into its canonical decimal form: no sign, no leading zeros, no spaces,
 * at most 2^63-1. The canonical form is what NTILE orders and what rows store.
 */
export function normaliseNumericId(raw: string): NormalisedId {
  const corrections: IdCorrection[] = [];
  let s = raw.trim();
  if (s !== raw) corrections.push('whitespace');
  if (s === '') return { ok: false, rejection: 'empty', reason: 'empty user_id' };
  if (s.startsWith('-')) {
    return DIGITS.test(s.slice(1)) && /[1-9]/.test(s)
      ? { ok: false, rejection: 'negative', reason: `negative user_id ${JSON.stringify(raw)}` }
      : { ok: false, rejection: 'malformed', reason: `user_id ${JSON.stringify(raw)} is not a decimal integer` };
  }
  if (s.startsWith('+')) {
    s = s.slice(1);
    corrections.push('plus_sign');
  }
  if (!DIGITS.test(s)) {
    return { ok: false, rejection: 'malformed', reason: `user_id ${JSON.stringify(raw)} is not a decimal integer` };
  }
  const stripped = s.replace(/^0+(?=[0-9])/, '');
  if (stripped !== s) corrections.push('leading_zeros');
  if (BigInt(stripped) > MAX_NUMERIC_ID) {
    return { ok: false, rejection: 'too_large', reason: `user_id ${stripped} is above 2^63-1` };
  }
  return { ok: true, id: stripped, corrections };
}

/** Opaque IDs (DIDs) are kept exactly as given, apart from surrounding whitespace. */
export function normaliseOpaqueId(raw: string): NormalisedId {
  const s = raw.trim();
  const corrections: IdCorrection[] = s === raw ? [] : ['whitespace'];
  if (s === '') return { ok: false, rejection: 'empty', reason: 'empty user_id' };
  if (!OPAQUE.test(s)) {
    return { ok: false, rejection: 'malformed', reason: `user_id ${JSON.stringify(raw)} has spaces, control characters or over 256 characters` };
  }
  return { ok: true, id: s, corrections };
}

export function normaliseId(raw: string, kind: IdKind): NormalisedId {
  return kind === 'numeric' ? normaliseNumericId(raw) : normaliseOpaqueId(raw);
}

/** Orders two canonical IDs of the same kind: negative when a < b. */
export function compareIds(a: string, b: string, kind: IdKind): number {
  if (kind === 'numeric') {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isNumericId(id: string): boolean {
  return DIGITS.test(id);
}
