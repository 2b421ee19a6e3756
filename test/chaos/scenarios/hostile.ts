/**
 * A hostile server (issue 18): a source that answers some users with endless or trickled bodies,
 * endless or giant cursors; redirects to the machine, the private network or a cloud's metadata
 * address; DID documents naming such addresses. The worker must end every hostile user `failed` with
 * the bound it broke, every other user as the truth says, and keep its memory bounded (peak RSS noted).
 *
 * The redirect and DID-document scenarios exercise the address guard through the HTTP client and a
 * small DID resolution, as a source that follows addresses it finds (a user's own PDS) will use it.
 *
 * HOSTILE_SHARE=0 npm run test:chaos -- --short --only huge runs the same bucket with no hostile user:
 * the worker's peak RSS without them, to compare.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SourceError } from '../../../src/core/errors.ts';
import { hash3 } from '../../../src/sim/hash.ts';
import { AddressGuard } from '../../../src/sources/address-guard.ts';
import { HttpClient } from '../../../src/sources/http.ts';
import { fakeDns, startLocalServer } from '../../support/local-server.ts';
import { baseEnv, bucketIds, expect, sim, spawnCollect, usersFile, verify, warehouse, type Outcome, type Scenario, type ScenarioContext } from '../harness.ts';
import { latestRows } from '../targets.ts';

/** How a hostile user's pages are served. */
type Hostility = 'huge-announced' | 'huge-streamed' | 'drip' | 'endless-cursors' | 'giant-cursor';
const HOSTILITIES: readonly Hostility[] = ['huge-announced', 'huge-streamed', 'drip', 'endless-cursors', 'giant-cursor'];

/** The reason each hostility must leave in its user's row. */
const REASON: Record<Hostility, RegExp> = {
  'huge-announced': /^FF_SOURCE_REFUSED: response body larger than \d+ MiB, this source's bound; refused$/,
  'huge-streamed': /^FF_SOURCE_REFUSED: response body larger than \d+ MiB, this source's bound; refused$/,
  drip: /^FF_SOURCE_REFUSED: response still incomplete after 2 s, the bound on one response's time; refused$/,
  // Empty pages each with a fresh cursor: the bound on empty pages in a row ends them before the pages bound.
  'endless-cursors': /^FF_SOURCE_REFUSED: source sent 11 pages in a row with a cursor but no account \(bound 10\)/,
  'giant-cursor': /^FF_SOURCE_REFUSED: source gave a cursor of 100000 characters after 1 pages/,
};

/** The user a follows request is for (Bluesky's actor, the X API's path ID), or undefined for other requests. */
function userOf(url: string): string | undefined {
  const u = new URL(url, 'http://x');
  if (u.pathname === '/xrpc/app.bsky.graph.getFollows') return u.searchParams.get('actor') ?? undefined;
  return /^\/2\/users\/([0-9]+)\/following$/.exec(u.pathname)?.[1];
}

/** An empty page of the source's format, with `cursor` as its next page. */
function emptyPage(url: string, cursor: string): string {
  return url.startsWith('/xrpc/') ? JSON.stringify({ follows: [], cursor }) : JSON.stringify({ data: [], meta: { result_count: 0, next_token: cursor } });
}

/** Serves hostility `kind` for one request, until the client gives up. */
function serveHostile(kind: Hostility, req: IncomingMessage, res: ServerResponse, served: { n: number }): void {
  const stream = (chunk: Buffer, everyMs: number) => {
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) if (everyMs > 0) return void setTimeout(pump, everyMs);
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  };
  switch (kind) {
    case 'huge-announced':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(4 * 1024 ** 3) });
      return stream(Buffer.alloc(64 * 1024, 0x20), 0);
    case 'huge-streamed':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"follows":[');
      return stream(Buffer.from('{"did":"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa","handle":"x.bsky.social"},'.repeat(1000)), 0);
    case 'drip':
      res.writeHead(200, { 'content-type': 'application/json' });
      return stream(Buffer.from(' '), 200);
    case 'endless-cursors':
      res.writeHead(200, { 'content-type': 'application/json' }).end(emptyPage(req.url!, `c${++served.n}`));
      return;
    case 'giant-cursor':
      res.writeHead(200, { 'content-type': 'application/json' }).end(emptyPage(req.url!, 'c'.repeat(100_000)));
  }
}

/**
 * A proxy in front of the sim that serves `hostile` users itself and passes every other request on.
 * Hostile users are chosen by a hash of their ID, each with one hostility.
 */
async function hostileProxy(ctx: ScenarioContext, simUrl: string, share: number) {
  const served = { n: 0 };
  const hostilityOf = (id: string): Hostility | undefined => {
    const h = hash3(
      0x6805,
      [...id].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7),
      0x7e57,
    );
    return (h % 1000) / 1000 < share ? HOSTILITIES[h % HOSTILITIES.length] : undefined;
  };
  const target = new URL(simUrl);
  const server = await local(ctx, (req, res) => {
    const user = userOf(req.url ?? '/');
    const kind = user === undefined ? undefined : hostilityOf(user);
    if (kind) return serveHostile(kind, req, res, served);
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return { url: server.origin, hostilityOf };
}

/** A loopback server for this scenario, stopped when it ends. */
async function local(ctx: ScenarioContext, handler: Parameters<typeof startLocalServer>[0]) {
  const server = await startLocalServer(handler);
  ctx.defer(() => server.close());
  return server;
}

/** The largest resident set (VmHWM) of a process so far, in MB; undefined once it has ended. */
function peakRssMb(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** A worker process's peak RSS must stay under this: a body read whole would take gigabytes. */
const RSS_BOUND_MB = 400;

const workerScenario: Scenario = {
  group: 'hostile',
  name: 'huge, trickled and endless bodies, endless and giant cursors',
  sinks: { short: ['duckdb'], full: ['duckdb'] },
  sources: { short: ['bluesky'], full: ['bluesky', 'twitter-api'] },
  async run(ctx): Promise<Outcome> {
    const graph = { users: ctx.scale(2000, 10_000), seed: 21 };
    const running = await sim(ctx, graph);
    const users = await usersFile(ctx, running);
    const [k, n] = ctx.scale([2, 20] as const, [2, 4] as const);
    const ids = await bucketIds(ctx, users, k, n);
    const share = Number(process.env.HOSTILE_SHARE ?? 0.3);
    const proxy = await hostileProxy(ctx, running.url, share);
    const hostile = new Map(ids.flatMap((id) => (proxy.hostilityOf(id) ? [[id, proxy.hostilityOf(id)!] as const] : [])));
    if (share > 0)
      expect(
        HOSTILITIES.every((h) => [...hostile.values()].includes(h)),
        `not every hostility among ${hostile.size} hostile users`,
      );
    const sink = await warehouse(ctx);
    const env = {
      ...baseEnv(ctx, { ...running, url: proxy.url }, sink, users),
      PARTITION: `${k}/${n}`,
      MAX_THREADS: '50',
      // Hostile users fail once and for all here: a later run would only meet the same answers.
      MAX_ATTEMPTS: '1',
      MAX_RESPONSE_TIME: '2s',
      REQUEST_TIMEOUT: '1s',
    };
    const worker = spawnCollect(ctx, env);
    let peak = 0;
    let done = false;
    const exited = worker.exited.then((e) => ((done = true), e));
    while (!done) {
      peak = Math.max(peak, peakRssMb(worker.pid) ?? 0);
      await sleep(100);
    }
    const { code } = await exited;
    expect(code === 0, `worker exited with ${code}: ${worker.stderr().slice(-2000)}`);
    expect(peak > 0 && peak < RSS_BOUND_MB, `peak RSS ${peak.toFixed(0)} MB (bound ${RSS_BOUND_MB} MB)`);
    const others = Object.fromEntries([...hostile.keys()].map((id) => [id, 'failed']));
    const result = await verify(
      ctx,
      running,
      sink,
      ids.filter((id) => !hostile.has(id)),
      { others },
    );
    // A hostile user must have failed for the bound its server broke, not for anything else.
    const rows = new Map((await latestRows(sink)).map((r) => [r.user_id, r]));
    const misread = [...hostile].filter(([id, kind]) => rows.get(id)?.status === 'failed' && !REASON[kind].test(rows.get(id)?.error ?? ''));
    return {
      ...result,
      wrong: result.wrong + misread.length,
      notes: [`${hostile.size} hostile users of ${ids.length}`, `peak RSS ${peak.toFixed(0)} MB`, ...misread.slice(0, 3).map(([id, kind]) => `${kind} ${id}: ${rows.get(id)?.error}`)],
    };
  },
};

/** DNS for the scenarios: names that resolve to a metadata and a private address. */
const DNS = fakeDns({ 'metadata.test': '169.254.169.254', 'intranet.test': '10.20.30.40' });

/** Forbidden places a hostile answer may point at, and how the guard names each. */
const FORBIDDEN: readonly [string, RegExp][] = [
  ['http://169.254.169.254/latest/meta-data/iam/security-credentials/', /169\.254\.169\.254, a cloud metadata address/],
  ['http://metadata.test/computeMetadata/v1/', /metadata\.test: it resolves to 169\.254\.169\.254, a cloud metadata address/],
  ['http://[fd00:ec2::254]/latest/api/token', /fd00:ec2::254, a cloud metadata address/],
  ['http://100.100.100.200/latest/meta-data/', /100\.100\.100\.200, a cloud metadata address/],
  ['http://169.254.10.1/', /a link-local address/],
];

/** Runs `count` lookups through `read`, counting what a correct guard would not have done. */
async function tally(count: number, read: (i: number) => Promise<{ expected: 'answer' | RegExp; got: string | SourceError }>) {
  let lost = 0;
  let wrong = 0;
  const notes: string[] = [];
  for (let i = 0; i < count; i++) {
    let outcome;
    try {
      outcome = await read(i);
    } catch (error) {
      lost++;
      notes.push(`${i}: ${String(error)}`);
      continue;
    }
    const { expected, got } = outcome;
    const ok = expected === 'answer' ? typeof got === 'string' : got instanceof SourceError && got.kind === 'refused' && expected.test(got.message);
    if (!ok) {
      wrong++;
      if (notes.length < 3) notes.push(`${i}: expected ${String(expected)}, got ${got instanceof Error ? got.message : 'an answer'}`);
    }
  }
  return { lost, wrong, notes };
}

/** An answer's body, or the SourceError that refused it. */
const attempt = (p: Promise<{ body: string }>) =>
  p.then(
    (r) => r.body,
    (e: unknown) => {
      if (e instanceof SourceError) return e;
      throw e;
    },
  );

const redirectScenario: Scenario = {
  group: 'hostile',
  name: 'redirects to private and metadata addresses',
  sinks: { short: ['duckdb'], full: ['duckdb'] },
  sources: { short: ['bluesky'], full: ['bluesky'] },
  async run(ctx): Promise<Outcome> {
    // A server inside the network: no connection may reach it through a refused redirect.
    const admin = await local(ctx, (_req, res) => res.end('internal admin page'));
    const targets = [
      ...FORBIDDEN,
      [`http://127.0.0.1:${admin.port}/admin`, /127\.0\.0\.1, a loopback address/],
      [`http://localhost:${admin.port}/admin`, /localhost: it resolves to (127\.0\.0\.1|::1), a loopback address/],
      ['http://intranet.test/', /intranet\.test: it resolves to 10\.20\.30\.40, a private address/],
    ] as const;
    const users = ctx.scale(200, 2000);
    // Every third user's answer redirects within the server; the others', to a forbidden place.
    const hostileOf = (i: number) => (i % 3 === 0 ? undefined : targets[i % targets.length]!);
    const server = await local(ctx, (req, res) => {
      const i = Number(new URL(req.url!, 'http://x').searchParams.get('user'));
      if (req.url!.startsWith('/moved')) return res.end(`follows of ${i}`);
      const to = hostileOf(i);
      res.writeHead(302, { location: to ? to[0] : `/moved?user=${i}` }).end();
    });
    const http = new HttpClient({
      origin: server.origin,
      connections: 10,
      timeoutMs: 5000,
      maxResponseBytes: 1024 * 1024,
      maxResponseMs: 10_000,
      guard: { addresses: new AddressGuard({ lookup: DNS }), origin: 'settings', maxRedirects: 3 },
    });
    ctx.defer(() => http.close());
    const { lost, wrong, notes } = await tally(users, async (i) => ({ expected: hostileOf(i)?.[1] ?? 'answer', got: await attempt(http.get(`/follows?user=${i}`)) }));
    expect(admin.connections() === 0, `the internal server got ${admin.connections()} connections`);
    return { users, lost, duplicated: 0, wrong, notes: [`${users - Math.ceil(users / 3)} redirects refused, 0 connections inside`, ...notes] };
  },
};

const didScenario: Scenario = {
  group: 'hostile',
  name: 'DID documents naming metadata addresses',
  sinks: { short: ['duckdb'], full: ['duckdb'] },
  sources: { short: ['bluesky'], full: ['bluesky'] },
  async run(ctx): Promise<Outcome> {
    const users = ctx.scale(200, 2000);
    const pds = await local(ctx, (req, res) => res.end(`repo of ${new URL(req.url!, 'http://x').searchParams.get('repo')}`));
    const pdsUrl = pds.origin;
    const endpointOf = (i: number) => (i % 4 === 0 ? undefined : FORBIDDEN[i % FORBIDDEN.length]!);
    const directory = await local(ctx, (req, res) => {
      const did = req.url!.slice(1);
      const i = Number(did.slice('did:plc:user'.length));
      res.end(JSON.stringify({ id: did, service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: endpointOf(i)?.[0] ?? pdsUrl }] }));
    });
    const bounds = { connections: 4, timeoutMs: 5000, maxResponseBytes: 1024 * 1024, maxResponseMs: 10_000 };
    const plc = new HttpClient({ origin: directory.origin, ...bounds });
    ctx.defer(() => plc.close());
    // The sim runs on this machine, as in a lab: private addresses allowed, metadata ones never.
    const addresses = new AddressGuard({ allowPrivate: true, lookup: DNS });
    const { lost, wrong, notes } = await tally(users, async (i) => {
      const did = `did:plc:user${i}`;
      const doc = JSON.parse((await plc.get(`/${did}`)).body) as { service: { id: string; serviceEndpoint: string }[] };
      const endpoint = doc.service.find((s) => s.id === '#atproto_pds')!.serviceEndpoint;
      let got: string | SourceError;
      try {
        const origin = addresses.checkUrl(endpoint).origin;
        const client = new HttpClient({ origin, ...bounds, guard: { addresses, origin: 'found', maxRedirects: 2 } });
        got = await attempt(client.get(`/xrpc/com.atproto.repo.describeRepo?repo=${did}`)).finally(() => client.close());
      } catch (error) {
        if (!(error instanceof SourceError)) throw error;
        got = error;
      }
      if (typeof got === 'string' && got !== `repo of ${did}`) throw new Error(`wrong repo: ${got}`);
      return { expected: endpointOf(i)?.[1] ?? 'answer', got };
    });
    return { users, lost, duplicated: 0, wrong, notes: [`${users - Math.ceil(users / 4)} documents naming forbidden addresses refused`, ...notes] };
  },
};

export const HOSTILE_SCENARIOS: readonly Scenario[] = [workerScenario, redirectScenario, didScenario];
