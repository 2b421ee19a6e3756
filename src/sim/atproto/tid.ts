/**
 * atproto TIDs (timestamp identifiers, the record keys of follows, posts and likes): 13 characters of
 * base32-sortable, 53 bits of microseconds since the epoch then 10 bits of clock id, so that TIDs
 * sort as strings in time order (atproto spec "Record Key", tid format).
 */

const ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';

/** The TID of `micros` (an integer below 2^53) and `clock` (0-1023). */
export function tid(micros: number, clock: number): string {
  let out = '';
  // 11 characters carry the 55 bits above the clock id; the top two are always zero.
  let v = micros;
  for (let i = 0; i < 11; i++) {
    out = ALPHABET[v % 32]! + out;
    v = Math.floor(v / 32);
  }
  return out + ALPHABET[(clock >>> 5) & 31]! + ALPHABET[clock & 31]!;
}

/** The time a TID names, as an ISO date (a record's `createdAt`). */
export function tidDate(value: string): string {
  let micros = 0;
  for (const c of value.slice(0, 11)) micros = micros * 32 + ALPHABET.indexOf(c);
  return new Date(Math.floor(micros / 1000)).toISOString();
}
