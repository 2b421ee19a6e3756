import pLimit from 'p-limit';
import { InternalError, SourceError } from '../../core/errors.ts';
import type { RateInfo } from '../../core/rate.ts';
import { AddressGuard } from '../address-guard.ts';
import { HttpClient, type HttpBytesResponse, type HttpResponse } from '../http.ts';
import { blueskyRateInfo, resetFromHeaders } from '../rate-headers.ts';
import type { FetchOptions, FollowPage, HostRouting, Source, UserRef } from '../source.ts';
import { followsInCar } from './car.ts';
import { DidResolver } from './did-resolver.ts';
import { HostClients } from './host-clients.ts';
import { FOLLOW_COLLECTION, parseListRecords, parseRepoStatus, pdsError, type PdsAnswer } from './parse.ts';
import type { RepoRead } from './read-mode.ts';

export interface BlueskyRepoOptions {
  /** The PLC directory. Default https://plc.directory. */
  plcUrl: string;
  /** Sockets kept open to one host at most; set to the collector's concurrency. */
  connections: number;
  timeoutMs: number;
  /** Most time one response may take (MAX_RESPONSE_TIME). */
  maxResponseMs: number;
  /** Whether PDS hosts named in DID documents may be loopback or private addresses (the sim, a lab). */
  allowPrivateAddresses: boolean;
  read: RepoRead;
  /** See `DidResolverOptions.didWebScheme`. */
  didWebScheme?: 'https' | 'http';
}

/** listRecords' maximum `limit` (lexicon com.atproto.repo.listRecords). */
export const REPO_PAGE_SIZE = 100;

/**
 * Largest listRecords page or DID document taken: 100 follow records are about 35 KB, a DID document a
 * few KB.
 */
export const REPO_MAX_PAGE_BYTES = 2 * 1024 * 1024;

/**
 * Largest repository file taken. A repository holds every record of its account (likes outnumber
 * follows); past this the follows are read in pages instead.
 */
export const REPO_MAX_CAR_BYTES = 32 * 1024 * 1024;

/** Repository files downloaded and read at once (each up to REPO_MAX_CAR_BYTES): memory stays bounded. */
export const MAX_CARS_IN_FLIGHT = 8;

/** In `auto`, more than this many accounts still wanted after the first page are read from the CAR file. */
const CAR_AFTER_ACCOUNTS = 2 * REPO_PAGE_SIZE;

/** Cursors handed to the collector: where the next page comes from, then the PDS's own cursor (an rkey). */
const RECORDS = 'r/';
const CAR = 'c/';

/**
 * Bluesky follows read where they live: each account's repository on its PDS. `routing` finds the PDS
 * of a DID (its DID document, from the PLC directory or the did:web host); pages are then asked of that
 * PDS, each host counting requests on its own.
 *
 * Follow records name the followed account's DID only: `friend_ids` and `friend_names` both hold the
 * DIDs (see docs/bluesky-network.md for handles). Statuses: listRecords answers "Could not find repo"
 * alike for a deactivated, taken-down, deleted or moved repository, so that answer costs one
 * `com.atproto.sync.getRepoStatus` (through the budget); getRepo names the reason itself.
 */
export class BlueskyRepoSource implements Source {
  readonly name = 'bluesky-repo' as const;
  readonly pageSize = REPO_PAGE_SIZE;
  /** Each host limits per client address: one credential, a lane per host. */
  readonly credentials = 1;
  readonly routing: HostRouting;
  private readonly options: BlueskyRepoOptions;
  private readonly plc: HttpClient;
  private readonly hosts: HostClients;
  private readonly resolver: DidResolver;
  /** Repository files in flight, MAX_CARS_IN_FLIGHT at most; the others wait their turn. */
  private readonly cars = pLimit(MAX_CARS_IN_FLIGHT);

  constructor(options: BlueskyRepoOptions) {
    this.options = options;
    const guard = new AddressGuard({ allowPrivate: options.allowPrivateAddresses });
    const { connections, timeoutMs, maxResponseMs } = options;
    this.plc = new HttpClient({ origin: options.plcUrl, connections, timeoutMs, maxResponseMs, maxResponseBytes: REPO_MAX_PAGE_BYTES });
    this.hosts = new HostClients({ connections, timeoutMs, maxResponseMs, maxResponseBytes: REPO_MAX_PAGE_BYTES, guard });
    this.resolver = new DidResolver({ plc: this.plc, plcOrigin: new URL(options.plcUrl).origin, hosts: this.hosts, guard, didWebScheme: options.didWebScheme });
    const resolver = this.resolver;
    this.routing = {
      // did-method-plc's server sets no read limit (packages/server/src/routes.ts).
      unstatedLimits: [new URL(options.plcUrl).origin],
      known: (user) => resolver.cached(user.id)?.pds,
      lookupHost: (user) => resolver.lookupOrigin(user.id),
      async lookUp(user, signal) {
        const { location, rate } = await resolver.resolve(user.id, signal);
        return { host: location.pds, rate };
      },
    };
  }

  /** The handle `did`'s document claims, when it was resolved in this run. */
  handleOf(did: string): string | undefined {
    return this.resolver.cached(did)?.handle;
  }

  async fetchPage(user: UserRef, cursor: string | undefined, options: FetchOptions = {}): Promise<FollowPage> {
    if (options.host === undefined) throw new InternalError("bluesky-repo reads a page from the user's host: routing finds it first");
    const pds = this.hosts.get(options.host);
    const more = (send: () => Promise<HttpBytesResponse>) => (options.followUp ? options.followUp(send) : send());
    const read = this.options.read;
    if (cursor?.startsWith(CAR) || (cursor === undefined && read === 'car')) {
      const after = cursor?.slice(CAR.length);
      const car = await this.cars(() => this.readCar(pds, user, after, options.signal));
      if (car) return car;
      // The file broke a bound (too large, too slow): the follows come in pages instead.
      return this.readRecords(pds, user, after, options, more);
    }
    const page = await this.readRecords(pds, user, cursor?.slice(RECORDS.length), options, (send) => send());
    const wanted = (options.room ?? Infinity) - page.accounts.length;
    if (read === 'auto' && page.nextCursor !== undefined && wanted > CAR_AFTER_ACCOUNTS) return { ...page, nextCursor: CAR + page.nextCursor.slice(RECORDS.length) };
    return page;
  }

  close(): Promise<void> {
    return Promise.all([this.plc.close(), this.hosts.close()]).then(() => undefined);
  }

  /** One listRecords page from `after` (a PDS cursor); a repository not found there asks getRepoStatus why. */
  private async readRecords(
    pds: HttpClient,
    user: UserRef,
    after: string | undefined,
    options: FetchOptions,
    send: (request: () => Promise<HttpBytesResponse>) => Promise<HttpBytesResponse>,
  ): Promise<FollowPage> {
    const did = encodeURIComponent(user.id);
    const path = `/xrpc/com.atproto.repo.listRecords?repo=${did}&collection=${FOLLOW_COLLECTION}&limit=${REPO_PAGE_SIZE}${after === undefined ? '' : `&cursor=${encodeURIComponent(after)}`}`;
    const res = text(await send(() => pds.getBytes(path, options.signal)));
    const rate = blueskyRateInfo(res.headers);
    const answer = parseListRecords(res.status, res.body);
    if (answer.kind === 'follows') {
      // A page shorter than asked ends the listing: the PDS's query returns full pages until the last
      // (packages/pds listRecords), and its cursor is set on the last page too.
      const next = answer.dids.length === REPO_PAGE_SIZE ? answer.cursor : undefined;
      return { accounts: answer.dids.map((id) => ({ id, screenName: id })), nextCursor: next === undefined ? undefined : RECORDS + next, rate };
    }
    if (answer.kind !== 'repo_not_here') throw fail(answer, res, rate);
    const status = text(await (options.followUp ?? ((s) => s()))(() => pds.getBytes(`/xrpc/com.atproto.sync.getRepoStatus?did=${did}`, options.signal)));
    throw whyNotHere(answer.message, status, blueskyRateInfo(status.headers) ?? rate);
  }

  /** The follows of the repository file, keyed below `after` when given; undefined when its answer broke a bound (size, time). */
  private async readCar(pds: HttpClient, user: UserRef, after: string | undefined, signal: AbortSignal | undefined): Promise<FollowPage | undefined> {
    let res: HttpBytesResponse;
    try {
      res = await pds.getBytes(`/xrpc/com.atproto.sync.getRepo?did=${encodeURIComponent(user.id)}`, signal, REPO_MAX_CAR_BYTES);
    } catch (error) {
      if (error instanceof SourceError && error.kind === 'refused') return undefined;
      throw error;
    }
    const rate = blueskyRateInfo(res.headers);
    if (res.status !== 200) throw fail(pdsError(res.status, res.bytes.toString('utf8')), res, rate);
    const dids = followsInCar(res.bytes, user.id, after);
    return { accounts: dids.map((id) => ({ id, screenName: id })), nextCursor: undefined, rate };
  }
}

function text(res: HttpBytesResponse): HttpResponse {
  return { status: res.status, headers: res.headers, body: res.bytes.toString('utf8') };
}

/** The error a PDS answer that is not follows stands for. */
function fail(answer: PdsAnswer, res: { status: number; headers: HttpResponse['headers'] }, rate: RateInfo | undefined): SourceError {
  const kind = answer.kind === 'error' ? answer.error : answer.kind === 'repo_not_here' ? 'not_found' : 'invalid_response';
  const message = 'message' in answer ? answer.message : `unexpected ${answer.kind} answer`;
  return new SourceError(kind, message, { httpStatus: res.status, rate, resetAt: kind === 'rate_limited' ? (rate?.resetAt ?? resetFromHeaders(res.headers)) : undefined });
}

/**
 * Why listRecords found no repository, from getRepoStatus (lexicon knownValues): taken down or
 * suspended → suspended; deactivated by its owner → protected (Bluesky has no protected accounts);
 * deleted, or unknown to the host → not_found; throttled → retried later.
 */
function whyNotHere(said: string, res: HttpResponse, rate: RateInfo | undefined): SourceError {
  const answer = parseRepoStatus(res.status, res.body);
  if (answer.kind !== 'status') return fail(answer, res, rate);
  const because = `${said}; getRepoStatus says ${answer.active ? 'active' : (answer.status ?? 'inactive, no reason given')}`;
  const options = { httpStatus: res.status, rate };
  if (answer.active) return new SourceError('invalid_response', `${because}, yet the listing found no repository`, options);
  switch (answer.status) {
    case 'takendown':
    case 'suspended':
      return new SourceError('suspended', `repository taken down (${because})`, options);
    case 'deactivated':
      return new SourceError('protected', `repository deactivated by its owner (${because})`, options);
    case 'deleted':
      return new SourceError('not_found', `account deleted (${because})`, options);
    case 'throttled':
      return new SourceError('transient', `repository throttled by its PDS (${because})`, options);
    default:
      return new SourceError('fatal', `repository not served by its PDS (${because})`, options);
  }
}
