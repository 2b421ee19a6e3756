import { afterAll, describe, expect, it } from 'vitest';
import { decode } from '@ipld/dag-cbor';
import { MemoryBlockstore, MST, readCarWithRoot, verifyRepoCar } from '@atproto/repo';
import type { CID } from 'multiformats';
import { SimGraph } from '../../src/sim/graph.ts';
import { startAtprotoNetwork } from '../../src/sim/atproto/network.ts';
import { truthOf } from '../../src/sim/truth.ts';

const FOLLOW = 'app.bsky.graph.follow';

describe('the sim AT Protocol network', async () => {
  const graph = new SimGraph({ users: 3000, seed: 21 });
  const net = await startAtprotoNetwork({ graph, hosts: 6, downHosts: 1 });
  afterAll(() => net.close());
  const { accounts } = net;
  const find = (want: (i: number) => boolean) => {
    for (let i = 0; i < graph.size; i++) if (accounts.hostOf(i) !== 0 && want(i)) return i;
    throw new Error('no such user');
  };
  const getJson = async (url: string) => {
    const res = await fetch(url);

    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('PLC: DID documents name the PDS that holds the repository; unknown and tombstoned DIDs are 404s', async () => {
    const i = find((k) => graph.status(k) === 'ok');
    const did = accounts.didOf(i);
    const doc = await getJson(`${net.plcUrl}/${did}`);
    expect(doc.status).toBe(200);
    expect(doc.body.id).toBe(did);
    expect(doc.body.alsoKnownAs).toEqual([`at://${accounts.handleOf(i)}`]);
    expect(doc.body.service).toEqual([{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: net.hostOfUser(i).url }]);
    expect(await getJson(`${net.plcUrl}/did:plc:aaaaaaaaaaaaaaaaaaaaaaaa`)).toEqual({ status: 404, body: { message: 'DID not registered: did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' } });
    const gone = find((k) => accounts.tombstoned(k));
    expect((await getJson(`${net.plcUrl}/${accounts.didOf(gone)}`)).body.message).toMatch(/^DID not available/);
  });

  it('PDS: listRecords pages follows newest first, in the list order /_sim/truth gives, until a short page', async () => {
    const i = find((k) => graph.status(k) === 'ok' && graph.followingCount(k) > 250);
    const did = accounts.didOf(i);
    const url = `${net.hostOfUser(i).url}/xrpc/com.atproto.repo.listRecords?repo=${did}&collection=${FOLLOW}&limit=100`;
    const subjects: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const { body } = await getJson(cursor ? `${url}&cursor=${cursor}` : url);
      for (const r of body.records) {
        expect(r.uri).toMatch(new RegExp(`^at://${did}/${FOLLOW}/[2-7a-z]{13}$`));
        subjects.push(r.value.subject);
      }
      if (body.records.length < 100) break;
      expect(body.cursor).toBe(body.records.at(-1).uri.split('/').pop());
      cursor = body.cursor;
    }
    expect(subjects).toEqual(truthOf(graph, did)!.following.map((a) => a.did));
    // The default page is 50 records; past the lexicon's maximum is refused.
    expect((await getJson(url.replace('&limit=100', ''))).body.records).toHaveLength(50);
    expect((await getJson(url.replace('limit=100', 'limit=101'))).body).toEqual({ error: 'InvalidRequest', message: 'limit can not be greater than 100' });
  });

  it('PDS: getRepo is a CAR file that @atproto/repo verifies, with the MST it would build, holding the same follows', async () => {
    const i = find((k) => graph.status(k) === 'ok' && graph.followingCount(k) > 100);
    const did = accounts.didOf(i);
    const res = await fetch(`${net.hostOfUser(i).url}/xrpc/com.atproto.sync.getRepo?did=${did}`);
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car');
    const car = new Uint8Array(await res.arrayBuffer());
    const verified = await verifyRepoCar(car, did);
    const { root, blocks } = await readCarWithRoot(car);
    const follows = verified.creates.filter((c) => c.collection === FOLLOW).sort((a, b) => (a.rkey < b.rkey ? 1 : -1));
    expect(follows.map((c) => decode<{ subject: string }>(blocks.get(c.cid)!).subject)).toEqual(truthOf(graph, did)!.following.map((a) => a.did));
    expect(verified.creates.length).toBeGreaterThan(follows.length);
    // The same records put into @atproto/repo's own MST give the same root.
    const store = new MemoryBlockstore();
    let mst = await MST.create(store);
    for (const c of verified.creates) mst = await mst.add(`${c.collection}/${c.rkey}`, c.cid);
    expect(String(await mst.getPointer())).toBe(String(decode<{ data: CID }>(blocks.get(root)!).data));
  });

  it('PDS: statuses from getRepoStatus and the error names of getRepo; a repository elsewhere is not found', async () => {
    const cases = [
      { status: 'protected', repoStatus: { active: false, status: 'deactivated' }, getRepo: 'RepoDeactivated' },
      { status: 'suspended', repoStatus: { active: false, status: 'takendown' }, getRepo: 'RepoTakendown' },
    ] as const;
    for (const c of cases) {
      const i = find((k) => graph.status(k) === c.status);
      const did = accounts.didOf(i);
      const host = net.hostOfUser(i).url;
      expect((await getJson(`${host}/xrpc/com.atproto.sync.getRepoStatus?did=${did}`)).body).toEqual({ did, ...c.repoStatus });
      expect((await getJson(`${host}/xrpc/com.atproto.sync.getRepo?did=${did}`)).body.error).toBe(c.getRepo);
      expect((await getJson(`${host}/xrpc/com.atproto.repo.listRecords?repo=${did}&collection=${FOLLOW}`)).body).toEqual({ error: 'InvalidRequest', message: `Could not find repo: ${did}` });
    }
    const deleted = find((k) => graph.status(k) === 'not_found' && !accounts.tombstoned(k));
    const d = accounts.didOf(deleted);
    expect(await getJson(`${net.hostOfUser(deleted).url}/xrpc/com.atproto.sync.getRepoStatus?did=${d}`)).toEqual({
      status: 400,
      body: { error: 'RepoNotFound', message: `Could not find repo for DID: ${d}` },
    });
    const ok = find((k) => graph.status(k) === 'ok');
    const elsewhere = net.hosts.find((h, k) => k !== accounts.hostOf(ok) && h.state !== 'down')!;
    expect((await getJson(`${elsewhere.url}/xrpc/com.atproto.sync.getRepo?did=${accounts.didOf(ok)}`)).body.error).toBe('RepoNotFound');
  });

  it('relay: listRepos walks every account once with its status; getRepoStatus agrees', async () => {
    const seen = new Map<string, string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { body } = await getJson(`${net.relayUrl}/xrpc/com.atproto.sync.listRepos?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      for (const r of body.repos) seen.set(r.did, r.active ? 'active' : r.status);
      cursor = body.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen.size).toBe(graph.size);
    const expected = { ok: 'active', protected: 'deactivated', suspended: 'takendown', not_found: 'deleted' };
    for (let i = 0; i < graph.size; i += 7) expect(seen.get(accounts.didOf(i))).toBe(expected[graph.status(i)]);
    const t = find((k) => graph.status(k) === 'suspended');
    expect((await getJson(`${net.relayUrl}/xrpc/com.atproto.sync.getRepoStatus?did=${accounts.didOf(t)}`)).body).toEqual({ did: accounts.didOf(t), active: false, status: 'takendown' });
  });

  it('a down host refuses connections', async () => {
    expect(net.hosts[0]!.state).toBe('down');
    await expect(fetch(`${net.hosts[0]!.url}/xrpc/com.atproto.sync.getRepoStatus?did=x`)).rejects.toThrow();
  });
});

describe("the sim's record CIDs", () => {
  it('a record of strings has the CID @ipld/dag-cbor and multiformats give it, whatever the lengths of its fields', async () => {
    const { cidOf, cidTextOfStrings } = await import('../../src/sim/atproto/repo-car.ts');
    const { encode } = await import('@ipld/dag-cbor');
    const { CID } = await import('multiformats');
    const { sha256 } = await import('multiformats/hashes/sha2');
    for (const subject of ['did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 'did:web:x', `did:web:${'a'.repeat(300)}`, `did:web:${'é'.repeat(20)}`]) {
      const value = { $type: 'app.bsky.graph.follow', subject, createdAt: '2024-05-01T10:00:00.000Z' };
      const expected = CID.createV1(0x71, await sha256.digest(encode(value))).toString();
      expect(cidTextOfStrings(value)).toBe(expected);
      expect(cidOf(value).toString()).toBe(expected);
    }
  });
});
