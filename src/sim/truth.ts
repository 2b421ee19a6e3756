import type { BrokenKind } from './faults.ts';
import type { SimGraph, SimStatus } from './graph.ts';

export interface TruthAccount {
  id: string;
  screen_name: string;
}

/** Ground truth for one user: what a perfect collector would record. IDs are strings. */
export interface Truth {
  user_id: string;
  screen_name: string;
  status: SimStatus;
  /** Every listed account the user follows, uncapped, in list order; empty unless status is `ok`. */
  following: TruthAccount[];
  /**
   * Set (by the sim server) when the user's pages are broken for good (`--broken-users`): a correct
   * collector records `failed`, as far as it reads (a loop shows from the second page on).
   */
  broken?: BrokenKind;
}

export function truthOf(graph: SimGraph, userId: string): Truth | undefined {
  const index = graph.indexOfId(userId);
  if (index === undefined) return undefined;
  const status = graph.status(index);
  return {
    user_id: userId,
    screen_name: graph.screenName(index),
    status,
    following:
      status === 'ok' ? graph.allFollows(index).map((t) => ({ id: graph.idOf(t).toString(), screen_name: graph.screenName(t) })) : [],
  };
}
