import { hash3, normal, Permutation, unit } from './hash.ts';
import { idAt } from './id-model.ts';
import { followingCount } from './follow-model.ts';
import { InternalError } from '../core/errors.ts';

export type SimStatus = 'ok' | 'protected' | 'suspended' | 'not_found';

export interface SimUser {
  /** 0 = oldest account; index order is ID order. */
  readonly index: number;
  readonly id: string;
  readonly screenName: string;
  readonly status: SimStatus;
  /** Raw number of follow edges, hidden (suspended/deleted) targets included. */
  readonly followingCount: number;
}

export interface SimGraphOptions {
  /** Number of users in the network. */
  users: number;
  /** Any 32-bit integer; the same seed always gives the same network. */
  seed: number;
}

/** Share of accounts per status, as seen in follow-graph collections (brief: ~2% / 1% / 0.5%). */
export const PROTECTED_SHARE = 0.02;
export const SUSPENDED_SHARE = 0.01;
export const DELETED_SHARE = 0.005;

/** Salts that keep each per-user property's hash independent of the others. */
const Salt = {
  Status: 1,
  Zero: 2,
  Normal1: 3,
  Normal2: 4,
  IdJitter: 5,
  NameLength: 6,
  FollowStart: 7,
  FollowStride: 8,
  NameChars: 16,
} as const;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * A deterministic social network of `users` accounts, generated on demand: every property of user i
 * is a hash of (seed, i), and user i's follow list is an arithmetic progression over the other users
 * modulo n-1 with a per-user start and a stride coprime to n-1 (so targets are distinct). Nothing is
 * materialised, so memory is flat whatever the size.
 */
export class SimGraph {
  readonly size: number;
  readonly seed: number;
  private readonly namePerm: Permutation;

  constructor(options: SimGraphOptions) {
    if (!Number.isInteger(options.users) || options.users < 1) throw new InternalError('users must be a positive integer');
    this.size = options.users;
    this.seed = options.seed | 0;
    this.namePerm = new Permutation(this.size, this.seed ^ 0x5bd1e995);
  }

  private h(index: number, salt: number): number {
    return hash3(this.seed, index, salt);
  }

  idOf(index: number): bigint {
    return idAt(index, this.size, this.h(index, Salt.IdJitter));
  }

  status(index: number): SimStatus {
    const u = unit(this.h(index, Salt.Status));
    if (u < PROTECTED_SHARE) return 'protected';
    if (u < PROTECTED_SHARE + SUSPENDED_SHARE) return 'suspended';
    if (u < PROTECTED_SHARE + SUSPENDED_SHARE + DELETED_SHARE) return 'not_found';
    return 'ok';
  }

  /** Suspended and deleted accounts vanish from other users' follow lists, as on the real site. */
  isListed(index: number): boolean {
    const s = this.status(index);
    return s === 'ok' || s === 'protected';
  }

  followingCount(index: number): number {
    const z = normal(this.h(index, Salt.Normal1), this.h(index, Salt.Normal2));
    return followingCount(index / this.size, unit(this.h(index, Salt.Zero)), z, this.size - 1);
  }

  /**
   * Screen name: a letters-and-underscores prefix plus a scrambled decimal of the index, 1-15 characters
   * of [A-Za-z0-9_]. The trailing digits make the name reversible without a lookup table.
   */
  screenName(index: number): string {
    const digits = String(this.namePerm.forward(index));
    // 3% of names are all digits; the rest carry 1 to (15 - digits) letters.
    const hl = this.h(index, Salt.NameLength);
    const prefixLength = hl % 100 < 3 ? 0 : 1 + ((hl >>> 8) % (15 - digits.length));
    let prefix = '';
    for (let j = 0; j < prefixLength; j++) {
      const c = this.h(index, Salt.NameChars + j);
      prefix += j > 0 && c % 11 === 0 ? '_' : LETTERS[c % LETTERS.length];
    }
    return prefix + digits;
  }

  user(index: number): SimUser {
    return {
      index,
      id: this.idOf(index).toString(),
      screenName: this.screenName(index),
      status: this.status(index),
      followingCount: this.followingCount(index),
    };
  }

  /** Index of the user with this canonical decimal ID, by binary search over the increasing ID map. */
  indexOfId(id: string): number | undefined {
    if (!/^[0-9]{1,19}$/.test(id)) return undefined;
    const target = BigInt(id);
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.idOf(mid);
      if (v === target) return mid;
      if (v < target) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Index of the user with this screen name, case-insensitively as on Twitter. */
  indexOfName(name: string): number | undefined {
    const m = /^[A-Za-z_]*([0-9]{1,12})$/.exec(name);
    if (!m) return undefined;
    const digits = m[1]!;
    if (digits.length > 1 && digits.startsWith('0')) return undefined;
    const p = Number(digits);
    if (p >= this.size) return undefined;
    const index = this.namePerm.inverse(p);
    return this.screenName(index).toLowerCase() === name.toLowerCase() ? index : undefined;
  }

  /** The k-th raw follow target of user `index` (hidden targets included). */
  private targetAt(index: number, k: number, start: number, stride: number, others: number): number {
    const t = (start + k * stride) % others;
    return t >= index ? t + 1 : t;
  }

  private progression(index: number): { start: number; stride: number; others: number } {
    const others = this.size - 1;
    if (others < 1) return { start: 0, stride: 1, others: 1 };
    const start = this.h(index, Salt.FollowStart) % others;
    let stride = others > 1 ? 1 + (this.h(index, Salt.FollowStride) % (others - 1)) : 1;
    while (gcd(stride, others) !== 1) stride = stride + 1 >= others ? 1 : stride + 1;
    return { start, stride, others };
  }

  /**
   * Up to `limit` listed follow targets of `index`, starting at raw position `from`. `next` is the raw
   * position of the next listed target, or undefined when the list is exhausted, so a page is never
   * followed by an empty one. `listed` says which targets a list shows (default `isListed`; Bluesky's
   * AppView also leaves out deactivated accounts).
   */
  followsPage(index: number, from: number, limit: number, listed: (target: number) => boolean = (t) => this.isListed(t)): { targets: number[]; next: number | undefined } {
    const { targets, next } = this.followEntries(index, from, limit, listed);
    return { targets, next };
  }

  /**
   * `followsPage` with each target's raw position beside it: a simulated repository keys its follow
   * records by position (the record key's timestamp), so a page can name where the next one starts.
   */
  followEntries(index: number, from: number, limit: number, listed: (target: number) => boolean = (t) => this.isListed(t)): { positions: number[]; targets: number[]; next: number | undefined } {
    const count = this.followingCount(index);
    const { start, stride, others } = this.progression(index);
    const positions: number[] = [];
    const targets: number[] = [];
    let k = from;
    while (k < count && targets.length < limit) {
      const t = this.targetAt(index, k, start, stride, others);
      if (listed(t)) {
        positions.push(k);
        targets.push(t);
      }
      k++;
    }
    while (k < count && !listed(this.targetAt(index, k, start, stride, others))) k++;
    return { positions, targets, next: k < count ? k : undefined };
  }

  /** Every listed follow target of `index`, uncapped, in list order. */
  allFollows(index: number, listed?: (target: number) => boolean): number[] {
    return this.followsPage(index, 0, Number.MAX_SAFE_INTEGER, listed).targets;
  }
}
