import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { RequestBudget } from '../collector/budget.ts';
import { backoffDelay, DEFAULT_BACKOFF } from '../core/backoff.ts';
import { SourceError } from '../core/errors.ts';
import type { Queryable } from '../sinks/sink.ts';
import type { BlueskyRepoSource } from '../sources/bluesky-repo/source.ts';

export interface HandlesOptions {
  /** The CSV written: `did,handle,status`, in DID order; a run goes on after its last DID. */
  out: string;
  /** DIDs resolved in this run at most. */
  limit: number | undefined;
  /** DID documents asked for at once. */
  concurrency: number;
  maxRetries: number;
  log: Logger;
}

/** The followed DIDs of bluesky-repo's latest rows, in order, after `after`. */
const FOLLOWED_SQL = `
SELECT DISTINCT did FROM (
  SELECT unnest(friend_ids) AS did FROM user_friends_latest WHERE status = 'ok' AND source = 'bluesky-repo'
) WHERE did > ? ORDER BY did LIMIT ?`;

const HEADER = 'did,handle,status\n';
const BATCH = 1000;

/**
 * The handles pass: for each account that bluesky-repo's rows follow, the handle its DID document
 * claims (`alsoKnownAs`), one DID-document request per distinct DID, each through its host's budget
 * lane (the PLC directory, or a did:web host). Written as `did,handle,status` (`ok`, `not_found`: the
 * directory does not know the DID or it names no PDS, `failed`: with retries spent), in DID order and
 * flushed per batch, so a run stopped anywhere goes on after the last DID written.
 */
export async function resolveHandles(warehouse: Queryable, source: BlueskyRepoSource, budget: RequestBudget<string>, options: HandlesOptions): Promise<{ resolved: number; complete: boolean }> {
  let after = lastDid(options.out);
  const fd = openSync(options.out, 'a', 0o600);
  if (after === undefined) writeSync(fd, HEADER);
  const limit = pLimit(options.concurrency);
  let resolved = 0;
  try {
    for (;;) {
      const want = Math.min(BATCH, (options.limit ?? Infinity) - resolved);
      if (want <= 0) return { resolved, complete: false };
      const dids = (await warehouse.query(FOLLOWED_SQL, [after ?? '', want])).map((r) => String(r.did));
      if (dids.length === 0) return { resolved, complete: true };
      const lines = await Promise.all(dids.map((did) => limit(() => handleLine(did, source, budget, options))));
      writeSync(fd, lines.join(''));
      fsyncSync(fd);
      resolved += dids.length;
      after = dids.at(-1)!;
      options.log.info({ resolved, after }, 'handles: batch written');
    }
  } finally {
    closeSync(fd);
  }
}

async function handleLine(did: string, source: BlueskyRepoSource, budget: RequestBudget<string>, options: HandlesOptions): Promise<string> {
  const user = { id: did };
  for (let attempt = 0; ; attempt++) {
    try {
      const lane = source.routing.lookupHost(user);
      const found = await budget.schedule(() => source.routing.lookUp(user), lane);
      if (found.rate) budget.observe(found.rate, lane);
      return `${did},${source.handleOf(did) ?? ''},ok\n`;
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      if (error.kind === 'not_found') return `${did},,not_found\n`;
      const retry = error.kind === 'transient' || error.kind === 'invalid_response' || error.kind === 'rate_limited';
      if (!retry || attempt >= options.maxRetries) return `${did},,failed\n`;
      await sleep(error.resetAt !== undefined ? Math.max(0, error.resetAt - Date.now()) : backoffDelay(attempt + 1, DEFAULT_BACKOFF));
    }
  }
}

/**
 * The last DID of a handles file, or undefined when there is none yet. Only the file's tail is read; a
 * line cut short by a crash is cut off, and its DID resolved again.
 */
function lastDid(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const text = tail.toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end !== text.length - 1) ftruncateSync(fd, size - tail.length + end + 1);
    const line = text.slice(0, end).split('\n').at(-1) ?? '';
    return line === HEADER.trim() ? '' : line.split(',')[0];
  } finally {
    closeSync(fd);
  }
}
