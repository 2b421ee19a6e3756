import { writeFileSync } from 'node:fs';
import { SimGraph } from '../src/sim/graph.ts';
import { expectedPages } from '../src/partition/work.ts';
import { HTML_PAGE_SIZE } from '../src/sim/protocols/twitter-html.ts';

/** The sim graph every throughput benchmark reads: large enough that no scenario needs every user. */
export const SIM_USERS = 100_000;
export const SIM_SEED = 1;
/** The reference's page latency: ~40 s for 2,000 friends at 20 a page (REFERENCE-RUN.md). */
export const REFERENCE_LATENCY_MS = 400;

export const simGraph = new SimGraph({ users: SIM_USERS, seed: SIM_SEED });

/** Requests a user costs with the sim graph's follow counts: one per page, one for a user without a list. */
export function requestsOf(index: number, maxFriends: number): number {
  return simGraph.status(index) === 'ok' ? expectedPages(simGraph.followingCount(index), maxFriends, HTML_PAGE_SIZE) : 1;
}

/** Mean requests per user over the whole graph (every 7th user), capped at `maxFriends`. */
export function meanRequestsPerUser(maxFriends: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < simGraph.size; i += 7, n++) sum += requestsOf(i, maxFriends);
  return sum / n;
}

/**
 * Writes a users table of `count` users spread evenly over the graph (every k-th user), so that the
 * sample has the graph's mix of old accounts that follow many and new ones that follow few.
 */
export function writeUsersSample(path: string, count: number): number {
  const stride = Math.max(1, Math.floor(simGraph.size / count));
  let csv = 'user_id,screen_name\n';
  let n = 0;
  for (let i = 0; i < simGraph.size && n < count; i += stride, n++) csv += `${simGraph.idOf(i)},${simGraph.screenName(i)}\n`;
  writeFileSync(path, csv);
  return n;
}

/**
 * Node flags of a worker on a 512 MB dyno: a 400 MB old generation (as the issue sets it), and 8 MB
 * semi-spaces. V8 sizes the young generation from the old one, to 128 MB for 400 MB, and at thousands
 * of pages a second fills all of it. 16 MB semi-spaces kept about 100 MB off the resident set against
 * that default, and 8 MB about 35 MB more at 2,500 users in flight (bench/memory.ts's second row), at no
 * cost in throughput at the reference's latency (bench/throughput.ts).
 */
export const DYNO_NODE_ARGS = ['--max-old-space-size=400', '--max-semi-space-size=8'];

/**
 * The environment of a worker on a 512 MB dyno: glibc's malloc limited to two arenas (it otherwise
 * gives each thread that allocates its own, up to 8 a core: V8's GC helpers, the libuv pool), which
 * keeps ~10 MB off the resident set at 2,500 users in flight (bench/memory.ts).
 */
export const DYNO_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2' };

/** The dyno's settings as a table title shows them. */
export const DYNO_SETTINGS = `node ${DYNO_NODE_ARGS.join(' ')}, ${Object.entries(DYNO_ENV)
  .map(([k, v]) => `${k}=${v}`)
  .join(' ')}`;
