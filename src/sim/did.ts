import { hash3, mix32 } from './hash.ts';

/**
 * Bluesky identities of simulated users, derived from their numeric IDs without a lookup table.
 *
 * A real `did:plc` is `did:plc:` + 24 characters of base32 (a-z, 2-7) from a hash of the account's
 * genesis operation, so DIDs look random and say nothing about account age. The sim's DID is the user
 * ID put through a keyed bijection on 64 bits (a 4-round Feistel network over its two 32-bit halves),
 * written as 13 base32 characters, followed by 11 characters of a check hash: reversible, so the sim
 * finds the user of a DID, and unforgeable enough that a made-up DID is "not found".
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const DECODE = new Map([...ALPHABET].map((c, i) => [c, i]));
const DID_PREFIX = 'did:plc:';
const DID = /^did:plc:[a-z2-7]{24}$/;
const KEY = 0x5f3759df;

function round(i: number, half: number): number {
  return hash3(KEY, half, i + 7);
}

/** Feistel over (hi, lo); each round is invertible whatever the round function. */
function scramble(hi: number, lo: number): [number, number] {
  for (let i = 0; i < 4; i++) [hi, lo] = [lo, (hi ^ round(i, lo)) >>> 0];
  return [hi, lo];
}

function unscramble(hi: number, lo: number): [number, number] {
  for (let i = 3; i >= 0; i--) [hi, lo] = [(lo ^ round(i, hi)) >>> 0, hi];
  return [hi, lo];
}

/** The low `count` x 5 bits of the 64-bit value (hi, lo) as base32 characters, most significant first. */
function base32(hi: number, lo: number, count: number): string {
  let out = '';
  for (let k = count - 1; k >= 0; k--) {
    const shift = k * 5;
    let v: number;
    if (shift >= 32) v = (hi >>> (shift - 32)) & 31;
    else if (shift + 5 <= 32) v = (lo >>> shift) & 31;
    else v = ((lo >>> shift) | (hi << (32 - shift))) & 31;
    out += ALPHABET[v];
  }
  return out;
}

function check(hi: number, lo: number): string {
  const a = mix32((hi ^ 0x27d4eb2f) >>> 0);
  const b = mix32((lo + a) >>> 0);
  return base32(a & 0x3fffff, b, 11);
}

/** The DID of the user with this ID (canonical decimal string, or the graph's bigint). */
export function didOfId(id: string | bigint): string {
  const v = BigInt(id);
  const [hi, lo] = scramble(Number(v >> 32n), Number(v & 0xffffffffn));
  return DID_PREFIX + base32(hi, lo, 13) + check(hi, lo);
}

/** Where the sim's `did:web` identities are hosted (a name that never resolves outside the sim). */
const WEB_HOST = 'web.sim.invalid';
const WEB_DID = /^did:web:([a-z2-7]{24})\.web\.sim\.invalid(?:%3A8443)?$/;

/**
 * A `did:web` identity of the user with this ID: the same 24 characters as its `did:plc` as the first
 * label of a sim host name, with a port written `%3A8443` (did:web's encoding of `:`) when asked.
 */
export function webDidOfId(id: string | bigint, withPort: boolean): string {
  return `did:web:${didOfId(id).slice(DID_PREFIX.length)}.${WEB_HOST}${withPort ? '%3A8443' : ''}`;
}

/** The decimal ID behind a sim DID (`did:plc` or `did:web`), or undefined when it is not one the sim issued. */
export function idOfDid(did: string): string | undefined {
  const web = WEB_DID.exec(did);
  if (web) return idOfDid(DID_PREFIX + web[1]!);
  if (!DID.test(did)) return undefined;
  let hi = 0;
  let lo = 0;
  for (let i = DID_PREFIX.length; i < DID_PREFIX.length + 13; i++) {
    const v = DECODE.get(did[i]!)!;
    hi = ((hi << 5) | (lo >>> 27)) >>> 0;
    lo = ((lo << 5) | v) >>> 0;
  }
  // 13 characters carry 65 bits; bit 64 of a 64-bit value is always 0.
  if (DECODE.get(did[DID_PREFIX.length]!)! > 15) return undefined;
  if (check(hi, lo) !== did.slice(DID_PREFIX.length + 13)) return undefined;
  const [h, l] = unscramble(hi, lo);
  return ((BigInt(h) << 32n) | BigInt(l)).toString();
}

/**
 * The Bluesky handle of a screen name: handles are lower-case DNS names, so the name's underscores
 * become hyphens (sim names never start or end with one) under the `bsky.social` service domain.
 */
export function handleOf(screenName: string): string {
  return `${screenName.toLowerCase().replaceAll('_', '-')}.bsky.social`;
}

/** The screen name a sim handle was made from, or undefined when it is not a sim handle. */
export function screenNameOfHandle(handle: string): string | undefined {
  const m = /^([a-z0-9-]{1,15})\.bsky\.social$/.exec(handle.toLowerCase());
  return m ? m[1]!.replaceAll('-', '_') : undefined;
}
