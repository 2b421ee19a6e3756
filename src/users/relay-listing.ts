import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LocalBudget } from '../collector/budget.ts';
import { backoffDelay, DEFAULT_BACKOFF } from '../core/backoff.ts';
import { SourceError, UsersInputError } from '../core/errors.ts';
import { listRepos, RELAY_PAGE_SIZE, type RelayPage } from '../sources/bluesky-repo/relay.ts';
import { HttpClient } from '../sources/http.ts';

export interface RelayListingOptions {
  /** The relay, e.g. https://bsky.network. */
  relayUrl: string;
  /** The users table written: CSV `user_id,status`. */
  out: string;
  /** Repositories asked for a page (1-1,000). Default 1,000. */
  pageSize?: number;
  /** Retries of a page after 5xx, resets, timeouts or unreadable pages. */
  maxRetries: number;
  timeoutMs: number;
  maxResponseMs: number;
  /** Requests per window until the relay states its own limit. */
  assumedLimit: number | undefined;
  windowMs: number;
  /** Stops after the page in flight (SIGTERM); the listing resumes from there. */
  signal?: AbortSignal;
  log: Logger;
}

/** What `<out>.state.json` keeps between runs: where the listing stopped, and how much of `out` it covers. */
interface ListingState {
  relay: string;
  /** The relay's cursor of the next page; null before the first. */
  cursor: string | null;
  /** Bytes of `out` written for the pages listed so far: anything past them is a page not recorded. */
  bytes: number;
  repos: number;
  pages: number;
  complete: boolean;
}

export interface RelayListingOutcome {
  repos: number;
  pages: number;
  complete: boolean;
  /** Whether the run went on from a listing an earlier run had begun. */
  resumed: boolean;
}

const HEADER = 'user_id,status\n';

/**
 * Writes every repository a relay carries (`com.atproto.sync.listRepos`) as a users table: one CSV row
 * per DID with its hosting status, in the relay's order, so that `partition` can cut it into buckets.
 *
 * Resumable, each DID once: after each page the rows are appended and flushed to disk, then the
 * relay's next cursor and the file's length are recorded in `<out>.state.json` (written to a temporary
 * file, then renamed). A run that finds the state goes on from its cursor, first cutting `out` back to
 * the recorded length, so a page written but not recorded (the run was killed in between) is written
 * once, not twice. The relay does not say which PDS holds a repository: bluesky-repo finds it from
 * the DID document when it collects.
 */
export async function listRelayUsers(options: RelayListingOptions): Promise<RelayListingOutcome> {
  const statePath = `${options.out}.state.json`;
  const relay = new URL(options.relayUrl).origin;
  let state: ListingState;
  let resumed = false;
  if (existsSync(statePath)) {
    state = readState(statePath);
    if (state.relay !== relay) throw new UsersInputError(`${options.out} is a listing of ${state.relay}, not ${relay}: choose another --out`);
    resumed = true;
    if (state.complete) return { repos: state.repos, pages: state.pages, complete: true, resumed };
  } else {
    if (existsSync(options.out)) throw new UsersInputError(`${options.out} exists without ${statePath}: it is not a listing this command began; remove it or choose another --out`);
    writeFileSync(options.out, HEADER, { mode: 0o600 });
    state = { relay, cursor: null, bytes: Buffer.byteLength(HEADER), repos: 0, pages: 0, complete: false };
    saveState(statePath, state);
  }
  const fd = openSync(options.out, 'r+');
  const client = new HttpClient({ origin: relay, connections: 1, timeoutMs: options.timeoutMs, maxResponseMs: options.maxResponseMs, maxResponseBytes: 8 * 1024 * 1024 });
  const budget = new LocalBudget({ assumedLimit: options.assumedLimit, windowMs: options.windowMs });
  try {
    // Whatever follows the recorded length is a page whose cursor was never recorded: it is listed again.
    if (fstatSync(fd).size !== state.bytes) {
      options.log.info({ out: options.out, recorded: state.bytes, found: fstatSync(fd).size }, 'relay listing: cutting the file back to the last recorded page');
      ftruncateSync(fd, state.bytes);
    }
    if (resumed) options.log.info({ relay, repos: state.repos, pages: state.pages }, 'relay listing: resuming');
    while (!options.signal?.aborted) {
      const page = await fetchPage(client, budget, state.cursor ?? undefined, options);
      if (page === undefined) break;
      const rows = page.repos.map((r) => `${r.did},${r.status}\n`).join('');
      const written = writeSync(fd, rows, state.bytes);
      fsyncSync(fd);
      state = { ...state, bytes: state.bytes + written, repos: state.repos + page.repos.length, pages: state.pages + 1, cursor: page.cursor ?? null, complete: page.cursor === undefined };
      saveState(statePath, state);
      if (state.complete) break;
    }
  } finally {
    closeSync(fd);
    await budget.close();
    await client.close();
  }
  options.log.info({ relay, repos: state.repos, pages: state.pages, complete: state.complete }, state.complete ? 'relay listing: complete' : 'relay listing: stopped; run again to resume');
  return { repos: state.repos, pages: state.pages, complete: state.complete, resumed };
}

/** One page through the budget, with retries; undefined when the run is stopping. */
async function fetchPage(client: HttpClient, budget: LocalBudget, cursor: string | undefined, options: RelayListingOptions): Promise<RelayPage | undefined> {
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) return undefined;
    try {
      const page = await budget.schedule(() => listRepos(client, cursor, options.pageSize ?? RELAY_PAGE_SIZE, options.signal));
      if (page.rate) budget.observe(page.rate);
      return page;
    } catch (error) {
      if (options.signal?.aborted) return undefined;
      if (!(error instanceof SourceError)) throw error;
      if (error.rate) budget.observe(error.rate);
      if (error.kind === 'rate_limited') {
        budget.pauseUntil(error.resetAt ?? Date.now() + backoffDelay(attempt + 1, DEFAULT_BACKOFF));
        continue;
      }
      if ((error.kind !== 'transient' && error.kind !== 'invalid_response') || attempt >= options.maxRetries) throw error;
      options.log.warn({ err: error.message, attempt: attempt + 1 }, 'relay listing: page failed; retrying');
      await sleep(backoffDelay(attempt + 1, DEFAULT_BACKOFF), undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}

function readState(path: string): ListingState {
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as ListingState;
    if (typeof s.relay === 'string' && typeof s.bytes === 'number' && typeof s.repos === 'number') return s;
    throw new UsersInputError(`cannot read ${path} (fields missing): remove it and the listing beside it to start over`);
  } catch (error) {
    if (error instanceof UsersInputError) throw error;
    throw new UsersInputError(`cannot read ${path} (${(error as Error).message}): remove it and the listing beside it to start over`);
  }
}

/** Replaces the state file whole: a crash leaves the old state or the new one, never half of one. */
function saveState(path: string, state: ListingState): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
