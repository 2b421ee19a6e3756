/**
 * The accounts the AppView test network is seeded with, and what each one ends as. Pure data: the
 * network process (network.ts) writes it to the PDS, the checks read what it was given back.
 */

/** What happens to an account once its records are written. */
export type AccountFate =
  /** Left as it is. */
  | 'active'
  /** `com.atproto.server.deactivateAccount` by its owner: the PDS tells the AppView (`#account`, status deactivated). */
  | 'deactivated'
  /** Taken down by the AppView's own moderation (its data plane's `takedownActor`); the PDS still serves the repository. */
  | 'takendown'
  /** Taken down on its PDS (`com.atproto.admin.updateSubjectStatus`): the PDS stops serving it and tells the AppView. */
  | 'takendown-pds'
  /** Deleted on its PDS (`com.atproto.admin.deleteAccount`): repository gone, the AppView forgets the actor. */
  | 'deleted'
  /** Never created: a well-formed DID that no PLC directory knows. */
  | 'unknown';

export interface PlannedUser {
  /** Short name; the handle is `ff-NAME.test`. */
  readonly name: string;
  readonly fate: AccountFate;
  /** How many accounts of the pool it follows (the pool's first N, all active). */
  readonly followsPool: number;
  /** Whether it also follows every user whose fate is not `active`, spread through its follow order. */
  readonly followsHidden: boolean;
}

export interface SeedPlan {
  /** Active accounts that the users follow; none of them is in the users file. */
  readonly pool: number;
  /** The accounts of the users file, in order. */
  readonly users: readonly PlannedUser[];
}

/** A did:plc (24 base32 characters) that nothing registers. */
export const UNKNOWN_DID = 'did:plc:ffnotregisteredanywhere2';

/**
 * Follow counts around 100 (a page of getFollows) and around 2,000 (the default MAX_FRIENDS), and one
 * user of each fate. The users with a fate are also the accounts the AppView hides from lists.
 */
export const DEFAULT_PLAN: SeedPlan = {
  pool: 2050,
  users: [
    { name: 'f2050h', fate: 'active', followsPool: 2050, followsHidden: true },
    { name: 'f2000h', fate: 'active', followsPool: 2000, followsHidden: true },
    { name: 'f1999', fate: 'active', followsPool: 1999, followsHidden: false },
    { name: 'f101h', fate: 'active', followsPool: 101, followsHidden: true },
    { name: 'f100', fate: 'active', followsPool: 100, followsHidden: false },
    { name: 'f99h', fate: 'active', followsPool: 99, followsHidden: true },
    { name: 'f0', fate: 'active', followsPool: 0, followsHidden: false },
    { name: 'fhidden', fate: 'active', followsPool: 0, followsHidden: true },
    { name: 'deact', fate: 'deactivated', followsPool: 100, followsHidden: false },
    { name: 'takedown', fate: 'takendown', followsPool: 150, followsHidden: false },
    { name: 'pdstakedown', fate: 'takendown-pds', followsPool: 120, followsHidden: false },
    { name: 'deleted', fate: 'deleted', followsPool: 80, followsHidden: false },
    { name: 'unknown', fate: 'unknown', followsPool: 0, followsHidden: false },
  ],
};

/** One account as seeded. */
export interface SeededAccount {
  readonly name: string;
  readonly did: string;
  /** `ff-NAME.test`; `handle.invalid` for the unknown DID. */
  readonly handle: string;
  readonly fate: AccountFate;
  /** The subjects of its follow records, in the order they were written (oldest first). */
  readonly follows: readonly string[];
}

/** What the network process hands back once every service has indexed the seed. */
export interface SeededNetwork {
  readonly plcUrl: string;
  readonly pdsUrl: string;
  readonly appviewUrl: string;
  readonly users: readonly SeededAccount[];
  /** The accounts the users follow, all active (they follow nobody). */
  readonly pool: readonly SeededAccount[];
}

/** The handle of a seeded account (the dev PDS serves `.test`; a handle's first label needs 3 characters or more). */
export function handleOf(name: string): string {
  return `ff-${name}.test`;
}

/**
 * Where the hidden follows go in a list of `n` pool follows: spread through it, so that pages of 100 have
 * gaps in their middle and at their edges.
 */
export function hiddenPositions(n: number, hidden: number): number[] {
  return Array.from({ length: hidden }, (_, k) => Math.floor(((k + 1) * n) / (hidden + 1)));
}
