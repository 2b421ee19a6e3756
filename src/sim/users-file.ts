import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { SimGraph } from './graph.ts';

export interface UsersFileOptions {
  /** Add the `friends_count` column (the user's following count, as Twitter user objects carry). */
  withCounts?: boolean;
}

/** Writes the sim's users table as CSV (`user_id,screen_name[,friends_count]`), in ID order. */
export async function writeUsersFile(graph: SimGraph, path: string, options: UsersFileOptions = {}): Promise<number> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(options.withCounts ? 'user_id,screen_name,friends_count\n' : 'user_id,screen_name\n');
  let chunk = '';
  for (let i = 0; i < graph.size; i++) {
    chunk += `${graph.idOf(i)},${graph.screenName(i)}${options.withCounts ? `,${graph.followingCount(i)}` : ''}\n`;
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
