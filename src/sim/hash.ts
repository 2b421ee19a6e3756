import { InternalError } from '../core/errors.ts';

/**
 * 32-bit integer hashing for the simulated graph. Every property of a simulated user is a pure function
 * of (seed, user index, salt), so the graph is never materialised and a 3.6M-user sim starts instantly.
 */

/** murmur3's finaliser: a fast bijective avalanche on 32-bit integers. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of (seed, a, b) as an unsigned 32-bit integer. */
export function hash3(seed: number, a: number, b: number): number {
  let h = mix32((seed ^ 0x9e3779b9) >>> 0);
  h = mix32((h ^ (a >>> 0)) >>> 0);
  h = mix32((h + Math.imul(b | 0, 0x27d4eb2f)) >>> 0);
  // a may exceed 2^32 for huge graphs; fold its high part in as well.
  if (a > 0xffffffff) h = mix32((h ^ Math.floor(a / 0x100000000)) >>> 0);
  return h;
}

/** Uniform in (0, 1): never exactly 0, so it is safe under a logarithm. */
export function unit(h: number): number {
  return (h + 0.5) / 0x100000000;
}

/** A standard normal deviate from two independent hashes (Box-Muller). */
export function normal(h1: number, h2: number): number {
  return Math.sqrt(-2 * Math.log(unit(h1))) * Math.cos(2 * Math.PI * unit(h2));
}

/**
 * A keyed bijection on [0, n): a balanced Feistel network over the smallest even number of bits that
 * covers n, with cycle-walking to stay inside the domain. Used to scramble which digits a screen name
 * carries, so that names do not reveal account age.
 */
export class Permutation {
  readonly n: number;
  private readonly halfBits: number;
  private readonly mask: number;
  private readonly seed: number;

  constructor(n: number, seed: number) {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 40) throw new InternalError(`permutation domain ${n} out of range`);
    this.n = n;
    this.seed = seed;
    let bits = Math.max(2, Math.ceil(Math.log2(n)));
    if (bits % 2 === 1) bits += 1;
    this.halfBits = bits / 2;
    this.mask = 2 ** this.halfBits - 1;
  }

  forward(x: number): number {
    let y = x;
    do y = this.encrypt(y);
    while (y >= this.n);
    return y;
  }

  inverse(y: number): number {
    let x = y;
    do x = this.decrypt(x);
    while (x >= this.n);
    return x;
  }

  private round(r: number, v: number): number {
    return hash3(this.seed, v, r + 101) & this.mask;
  }

  private encrypt(x: number): number {
    const half = 2 ** this.halfBits;
    let l = Math.floor(x / half);
    let r = x % half;
    for (let i = 0; i < 4; i++) {
      const t = r;
      r = (l ^ this.round(i, r)) & this.mask;
      l = t;
    }
    return l * half + r;
  }

  private decrypt(y: number): number {
    const half = 2 ** this.halfBits;
    let l = Math.floor(y / half);
    let r = y % half;
    for (let i = 3; i >= 0; i--) {
      const t = l;
      l = (r ^ this.round(i, l)) & this.mask;
      r = t;
    }
    return l * half + r;
  }
}
