import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { SimGraph } from './graph.ts';
import { didOfId, handleOf } from './did.ts';
import type { VariantUsers } from './variants.ts';

/** How a source names users: X's numeric IDs and screen names, or Bluesky's DIDs and handles. */
export type UserNaming = 'twitter' | 'bluesky';

export interface UsersFileOptions {
  /** Add the `friends_count` column (the user's following count, as Twitter user objects carry). */
  withCounts?: boolean;
  /** `bluesky` writes DIDs as `user_id` and handles as `screen_name`. Default `twitter`. */
  naming?: UserNaming;
  /** The sim's variant users, whose Bluesky identities may be `did:web` or `handle.invalid`. */
  variants?: VariantUsers | undefined;
}

/**
 * Writes the sim's users table as CSV (`user_id,screen_name[,friends_count]`), in user index order
 * (ID order for numeric IDs; DIDs come out unordered, as real ones are).
 */
export async function writeUsersFile(graph: SimGraph, path: string, options: UsersFileOptions = {}): Promise<number> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const bluesky = options.naming === 'bluesky';
  await write(options.withCounts ? 'user_id,screen_name,friends_count\n' : 'user_id,screen_name\n');
  let chunk = '';
  for (let i = 0; i < graph.size; i++) {
    const identity = bluesky ? (options.variants?.identity(graph, i) ?? { did: didOfId(graph.idOf(i)), handle: handleOf(graph.screenName(i)) }) : undefined;
    const id = identity ? identity.did : graph.idOf(i);
    const name = identity ? identity.handle : graph.screenName(i);
    chunk += `${id},${name}${options.withCounts ? `,${graph.followingCount(i)}` : ''}\n`;
    if (chunk.length > 65536) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');
  return graph.size;
}
