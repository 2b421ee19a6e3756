import type { SimGraph, SimStatus } from './graph.ts';
import { didOfId, handleOf, idOfDid } from './did.ts';

/** One account as every protocol names it: X's ID and screen name, Bluesky's DID and handle. */
export interface TruthAccount {
  id: string;
  screen_name: string;
  did: string;
  handle: string;
}

/** Ground truth for one user: what a perfect collector would record. IDs are strings. */
export interface Truth extends TruthAccount {
  user_id: string;
  status: SimStatus;
  /** Every listed account the user follows, uncapped, in list order; empty unless status is `ok`. */
  following: TruthAccount[];
}

function account(graph: SimGraph, index: number): TruthAccount {
  const id = graph.idOf(index);
  const screenName = graph.screenName(index);
  return { id: id.toString(), screen_name: screenName, did: didOfId(id), handle: handleOf(screenName) };
}

/** The truth about the user with this numeric ID or sim DID (`user_id` echoes what was asked). */
export function truthOf(graph: SimGraph, userId: string): Truth | undefined {
  const numericId = userId.startsWith('did:') ? idOfDid(userId) : userId;
  const index = numericId === undefined ? undefined : graph.indexOfId(numericId);
  if (index === undefined) return undefined;
  const status = graph.status(index);
  return {
    user_id: userId,
    ...account(graph, index),
    status,
    following: status === 'ok' ? graph.allFollows(index).map((t) => account(graph, t)) : [],
  };
}
