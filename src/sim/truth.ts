import type { BrokenKind } from './faults.ts';
import type { SimGraph, SimStatus } from './graph.ts';
import { didOfId, handleOf, idOfDid } from './did.ts';
import type { VariantUsers } from './variants.ts';

/** One account as every protocol names it: X's ID and screen name, Bluesky's DID and handle. */
export interface TruthAccount {
  id: string;
  screen_name: string;
  did: string;
  handle: string;
}

/**
 * Which list a user's truth holds: `lists`, what the X API and the HTML site list (suspended and
 * deleted accounts left out); `appview`, what Bluesky's AppView lists (deactivated accounts, the
 * sim's protected ones, left out as well).
 */
export type TruthView = 'lists' | 'appview';

/** Ground truth for one user: what a perfect collector would record. IDs are strings. */
export interface Truth extends TruthAccount {
  user_id: string;
  status: SimStatus;
  /** Every listed account the user follows, uncapped, in list order; empty unless status is `ok`. */
  following: TruthAccount[];
  /**
   * Set (by the sim server) when the user's pages are broken for good (`--broken-users`): a correct
   * collector records `failed`, as far as it reads (a loop shows from the second page on).
   */
  broken?: BrokenKind;
}

function account(graph: SimGraph, index: number, variants: VariantUsers | undefined): TruthAccount {
  const id = graph.idOf(index);
  const screenName = graph.screenName(index);
  const { did, handle } = variants?.identity(graph, index) ?? { did: didOfId(id), handle: handleOf(screenName) };
  return { id: id.toString(), screen_name: screenName, did, handle };
}

/** Whether the AppView lists an account: neither deactivated, taken down nor deleted. */
export function appViewListed(graph: SimGraph): (target: number) => boolean {
  return (t) => graph.status(t) === 'ok';
}

/** The truth about the user with this numeric ID or sim DID (`user_id` echoes what was asked). */
export function truthOf(graph: SimGraph, userId: string, variants?: VariantUsers, view: TruthView = 'lists'): Truth | undefined {
  const numericId = userId.startsWith('did:') ? idOfDid(userId) : userId;
  const index = numericId === undefined ? undefined : graph.indexOfId(numericId);
  if (index === undefined) return undefined;
  const status = graph.status(index);
  const listed = view === 'appview' ? appViewListed(graph) : undefined;
  return {
    user_id: userId,
    ...account(graph, index, variants),
    status,
    following: status === 'ok' ? graph.allFollows(index, listed).map((t) => account(graph, t, variants)) : [],
  };
}
