import type { BrokenUsers } from '../faults.ts';
import type { SimGraph } from '../graph.ts';
import { displayName } from '../profile.ts';
import type { SimProtocol, SimRequest, SimResponse } from '../protocol.ts';
import { bluesky } from '../protocols/bluesky.ts';
import { screenNameOfHandle } from '../did.ts';
import type { AtprotoAccounts } from './accounts.ts';
import { cidOf, cidTextOfStrings, repoCar, type RepoRecord } from './repo-car.ts';
import { tid, tidDate } from './tid.ts';
import { json, limitParam, xrpcError } from './xrpc.ts';

export const FOLLOW_COLLECTION = 'app.bsky.graph.follow';
const LIST_RECORDS = '/xrpc/com.atproto.repo.listRecords';
const GET_REPO = '/xrpc/com.atproto.sync.getRepo';
const GET_REPO_STATUS = '/xrpc/com.atproto.sync.getRepoStatus';
const PATHS = new Set([LIST_RECORDS, GET_REPO, GET_REPO_STATUS]);
const CAR_TYPE = 'application/vnd.ipld.car';
/** Every repository's current revision: the sim's repositories stopped changing on 2025-06-01. */
const REV_MICROS = Date.UTC(2025, 5, 1) * 1000;

/** What the PDS's account table says of a user (bluesky-social/atproto, pds `formatAccountStatus`). */
export type HostedStatus = 'active' | 'deactivated' | 'takendown';

/**
 * One PDS host of the sim's AT Protocol network, answering for the repositories it holds as
 * bluesky-social/atproto's packages/pds does:
 * - `com.atproto.repo.listRecords?repo=&collection=&limit=&cursor=`: `{records: [{uri, cid, value}],
 *   cursor}`, newest first, `limit` 1-100 (default 50); `cursor` is the last record's key whenever the
 *   page has records (so a listing ends with an empty page, or a short one); a repository that is not
 *   here, deactivated or taken down is the one 400 `InvalidRequest` "Could not find repo: ...";
 * - `com.atproto.sync.getRepo?did=`: the repository as a CAR file (profile, follows, posts, likes), or
 *   400 `RepoNotFound`, `RepoTakendown`, `RepoDeactivated`;
 * - `com.atproto.sync.getRepoStatus?did=`: `{did, active, status?, rev?}` (status `deactivated`,
 *   `takendown`), or 400 `RepoNotFound` for a repository that is not here (deleted accounts).
 * The sim's protected users are deactivated accounts, its suspended ones taken down, its deleted ones
 * gone from their PDS. A broken user's listing (`--broken-users`) loops (the next cursor repeats the one
 * given) or holds follow records of another shape (`subject` an object), in getRepo's CAR as well.
 * Listings are newest first only (`reverse` is refused), and of follows only: other collections list
 * empty. Rate limits and errors are xrpc-server's, as the AppView's (`ratelimit-*` headers).
 */
export function pdsProtocol(accounts: AtprotoAccounts, host: number, broken?: BrokenUsers): SimProtocol {
  const graph = accounts.graph;

  /** The user a `repo`/`did` parameter names, with its status, when its repository is on this host. */
  const hosted = (actor: string): { index: number; status: HostedStatus } | undefined => {
    const index = actor.startsWith('did:') ? accounts.indexOfDid(actor) : indexOfHandle(graph, actor);
    if (index === undefined || accounts.hostOf(index) !== host) return undefined;
    const status = graph.status(index);
    if (status === 'not_found') return undefined;
    return { index, status: status === 'ok' ? 'active' : status === 'protected' ? 'deactivated' : 'takendown' };
  };

  const followValue = (index: number, k: number, target: number, shape: 'lexicon' | 'other') => {
    const subject = accounts.didOf(target);
    return { $type: FOLLOW_COLLECTION, subject: shape === 'lexicon' ? subject : { did: subject }, createdAt: accounts.followCreatedAt(index, k) };
  };

  const listRecords = (q: URLSearchParams): SimResponse => {
    const repo = q.get('repo');
    const collection = q.get('collection');
    if (!repo) return xrpcError(400, 'InvalidRequest', 'Params must have the property "repo"');
    if (!collection) return xrpcError(400, 'InvalidRequest', 'Params must have the property "collection"');
    const limit = limitParam(q, 100, 50);
    if (typeof limit !== 'number') return limit;
    if (q.get('reverse') === 'true') return xrpcError(400, 'InvalidRequest', 'the sim lists records newest first only');
    const account = hosted(repo);
    if (!account || account.status !== 'active') return xrpcError(400, 'InvalidRequest', `Could not find repo: ${repo}`);
    if (collection !== FOLLOW_COLLECTION) return json(200, { records: [] });
    const { index } = account;
    const cursor = q.get('cursor');
    const from = cursor === null ? 0 : accounts.followPositionAfter(index, cursor);
    const fault = broken?.pageFault(index);
    const { positions, targets } = graph.followEntries(index, from, limit);
    if (positions.length === 0) return json(200, { records: [] });
    const did = accounts.didOf(index);
    const records = positions.map((k, j) => {
      const value = followValue(index, k, targets[j]!, fault === 'markup' ? 'other' : 'lexicon');
      const cid = typeof value.subject === 'string' ? cidTextOfStrings(value as Record<string, string>) : cidOf(value).toString();
      return { uri: `at://${did}/${FOLLOW_COLLECTION}/${accounts.followRkey(index, k)}`, cid, value };
    });
    const last = accounts.followRkey(index, positions.at(-1)!);
    return json(200, { records, cursor: fault === 'cursor-loop' && cursor !== null ? cursor : last });
  };

  const repoRecords = (index: number): RepoRecord[] => {
    const did = accounts.didOf(index);
    const handle = accounts.handleOf(index);
    const shape = broken?.kindOf(index) === 'markup' ? 'other' : 'lexicon';
    const records: RepoRecord[] = [
      {
        key: 'app.bsky.actor.profile/self',
        value: { $type: 'app.bsky.actor.profile', displayName: displayName(graph.screenName(index)), createdAt: accounts.followCreatedAt(index, graph.followingCount(index)) },
      },
    ];
    const { positions, targets } = graph.followEntries(index, 0, Number.MAX_SAFE_INTEGER);
    positions.forEach((k, j) => records.push({ key: `${FOLLOW_COLLECTION}/${accounts.followRkey(index, k)}`, value: followValue(index, k, targets[j]!, shape) }));
    for (let j = 0; j < accounts.posts(index); j++) {
      const rkey = accounts.otherRkey(index, 'post', j);
      records.push({ key: `app.bsky.feed.post/${rkey}`, value: { $type: 'app.bsky.feed.post', text: `post ${j} by ${handle}`, langs: ['en'], createdAt: tidDate(rkey) } });
    }
    for (let j = 0; j < accounts.likes(index); j++) {
      const rkey = accounts.otherRkey(index, 'like', j);
      const subject = { uri: `at://${did}/app.bsky.feed.post/${accounts.otherRkey(index, 'post', j)}`, cid: cidOf({ post: j, did }).toString() };
      records.push({ key: `app.bsky.feed.like/${rkey}`, value: { $type: 'app.bsky.feed.like', subject, createdAt: tidDate(rkey) } });
    }
    return records;
  };

  const getRepo = (q: URLSearchParams): SimResponse => {
    const did = q.get('did');
    if (!did) return xrpcError(400, 'InvalidRequest', 'Params must have the property "did"');
    const account = hosted(did);
    if (!account) return xrpcError(400, 'RepoNotFound', `Could not find repo for DID: ${did}`);
    if (account.status === 'takendown') return xrpcError(400, 'RepoTakendown', `Repo has been takendown: ${did}`);
    if (account.status === 'deactivated') return xrpcError(400, 'RepoDeactivated', `Repo has been deactivated: ${did}`);
    broken?.pageFault(account.index);
    return { status: 200, contentType: CAR_TYPE, body: '', bytes: repoCar(did, tid(REV_MICROS, 0), repoRecords(account.index)) };
  };

  const getRepoStatus = (q: URLSearchParams): SimResponse => {
    const did = q.get('did');
    if (!did) return xrpcError(400, 'InvalidRequest', 'Params must have the property "did"');
    const account = hosted(did);
    if (!account) return xrpcError(400, 'RepoNotFound', `Could not find repo for DID: ${did}`);
    if (account.status === 'active') return json(200, { did, active: true, rev: tid(REV_MICROS, 0) });
    return json(200, { did, active: false, status: account.status });
  };

  return {
    name: `pds-${host}`,
    matches: (pathname) => PATHS.has(pathname),
    handle(request: SimRequest): SimResponse {
      if (request.pathname === LIST_RECORDS) return listRecords(request.query);
      if (request.pathname === GET_REPO) return getRepo(request.query);
      return getRepoStatus(request.query);
    },
    clientKey: (request) => `pds:${request.remoteAddress}`,
    rateLimitHeaders: (state) => bluesky.rateLimitHeaders(state),
    rateLimited: (state) => bluesky.rateLimited(state),
    serverError: (status) => bluesky.serverError(status),
  };
}

function indexOfHandle(graph: SimGraph, handle: string): number | undefined {
  const name = screenNameOfHandle(handle);
  return name === undefined ? undefined : graph.indexOfName(name);
}
