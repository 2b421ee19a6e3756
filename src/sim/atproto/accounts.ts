import { didOfId, handleOf, idOfDid } from '../did.ts';
import type { SimGraph } from '../graph.ts';
import { hash3, unit } from '../hash.ts';
import { tid } from './tid.ts';
import { InternalError } from '../../core/errors.ts';

/** The sim's repositories hold records made between these dates. */
const FIRST_RECORD_MS = Date.UTC(2023, 2, 1);
const LAST_RECORD_MS = Date.UTC(2025, 5, 1);

/**
 * Other records beside follows, per follow on average, so that a whole repository (getRepo) weighs
 * what it does on the network, where likes outnumber follows: a model, not a measurement.
 */
export const LIKES_PER_FOLLOW = 1;
export const POSTS_PER_FOLLOW = 0.25;

/** Salts that keep each per-account property's hash independent of the graph's. */
const Salt = { Host: 0x686f7374, Tombstone: 0x746f6d62, Clock: 0x636c6f63, Likes: 0x6c696b65, Posts: 0x706f7374 } as const;

/**
 * The sim graph's users as AT Protocol accounts: which PDS host holds each repository, what the PLC
 * directory says of each DID, and the record keys of each repository's records. Everything is a hash
 * of (seed, user), like the graph itself, so any host answers for any user without shared state.
 *
 * A repository holds one `app.bsky.graph.follow` record per account its user follows in the graph's
 * lists (`SimGraph.followEntries`), keyed by a TID that falls as the list position grows: listing
 * records newest first, as `com.atproto.repo.listRecords` does by default, gives the graph's list
 * order, so `/_sim/truth` holds for this source as for the others.
 */
export class AtprotoAccounts {
  readonly graph: SimGraph;
  /** Number of PDS hosts the repositories are spread over. */
  readonly hosts: number;
  /** Whether repositories hold posts and likes beside follows. */
  readonly postsAndLikes: boolean;

  constructor(graph: SimGraph, hosts: number, postsAndLikes = true) {
    if (!Number.isInteger(hosts) || hosts < 1) throw new InternalError('at least one PDS host is needed');
    this.graph = graph;
    this.hosts = hosts;
    this.postsAndLikes = postsAndLikes;
  }

  private h(index: number, salt: number): number {
    return hash3(this.graph.seed, index, salt);
  }

  /** The PDS host (0 to hosts - 1) that holds the user's repository. */
  hostOf(index: number): number {
    return this.h(index, Salt.Host) % this.hosts;
  }

  didOf(index: number): string {
    return didOfId(this.graph.idOf(index));
  }

  handleOf(index: number): string {
    return handleOf(this.graph.screenName(index));
  }

  indexOfDid(did: string): number | undefined {
    const id = idOfDid(did);
    return id === undefined ? undefined : this.graph.indexOfId(id);
  }

  /**
   * Deleted accounts are of two kinds: half had their DID tombstoned in the PLC directory ("DID not
   * available"); the others' DID documents still name their PDS, which no longer has the repository.
   */
  tombstoned(index: number): boolean {
    return this.graph.status(index) === 'not_found' && (this.h(index, Salt.Tombstone) & 1) === 1;
  }

  /** First and step of the user's follow times in microseconds: strictly decreasing with list position. */
  private followClock(index: number): { newest: number; step: number; clock: number } {
    const count = this.graph.followingCount(index);
    const since = FIRST_RECORD_MS + ((LAST_RECORD_MS - FIRST_RECORD_MS) * index) / this.graph.size;
    const step = Math.max(1, Math.floor(((LAST_RECORD_MS - since) * 1000) / (count + 1)));
    return { newest: Math.floor(since * 1000) + count * step, step, clock: this.h(index, Salt.Clock) & 1023 };
  }

  /** Record key of the follow at raw list position `k` (0 = newest). */
  followRkey(index: number, k: number): string {
    const { newest, step, clock } = this.followClock(index);
    return tid(newest - k * step, clock);
  }

  /** When the follow at raw list position `k` was made. */
  followCreatedAt(index: number, k: number): string {
    const { newest, step } = this.followClock(index);
    return new Date(Math.floor((newest - k * step) / 1000)).toISOString();
  }

  /**
   * The raw list position where a listing after `cursor` starts: the first follow whose record key sorts
   * below it (listRecords pages newest first, `rkey < cursor`), found by bisection since keys fall with
   * position. Any string works as a cursor, as on a real PDS.
   */
  followPositionAfter(index: number, cursor: string): number {
    let lo = 0;
    let hi = this.graph.followingCount(index);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.followRkey(index, mid) < cursor) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Likes in the user's repository. */
  likes(index: number): number {
    if (!this.postsAndLikes) return 0;
    return Math.round(2 * LIKES_PER_FOLLOW * this.graph.followingCount(index) * unit(this.h(index, Salt.Likes)));
  }

  /** Posts in the user's repository. */
  posts(index: number): number {
    if (!this.postsAndLikes) return 0;
    return Math.round(2 * POSTS_PER_FOLLOW * this.graph.followingCount(index) * unit(this.h(index, Salt.Posts)));
  }

  /** Record key of the user's j-th like or post (`kind` keeps the two apart). */
  otherRkey(index: number, kind: 'like' | 'post', j: number): string {
    const { newest, clock } = this.followClock(index);
    return tid(newest - (j + 1) * 7919 - (kind === 'like' ? 1 : 0), (clock + 1) & 1023);
  }
}
