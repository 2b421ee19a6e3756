import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/core/errors.ts';
import { AddressGuard } from '../../src/sources/address-guard.ts';
import { HttpClient, type HttpClientOptions } from '../../src/sources/http.ts';
import { fakeDns, startLocalServer } from '../support/local-server.ts';

/** A loopback server answering with `handler`, stopped after the test. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = await startLocalServer(handler);
  cleanup.push(() => server.close());
  return server;
}

const DNS = fakeDns({ 'metadata.test': '169.254.169.254', 'intranet.test': '10.1.2.3' });

function client(origin: string, guard: HttpClientOptions['guard'], headers?: Record<string, string>): HttpClient {
  const http = new HttpClient({ origin, connections: 2, timeoutMs: 5000, maxResponseBytes: 64 * 1024, maxResponseMs: 10_000, headers, guard });
  cleanup.push(() => http.close());
  return http;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  expect((error as SourceError).kind).toBe('refused');
  return (error as SourceError).message;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const PRIVATE_HINT = ' (ALLOW_PRIVATE_ADDRESSES=true allows it, for a lab network or the sim)';

describe('AddressGuard', () => {
  it.each([
    ['169.254.169.254', 'a cloud metadata address'],
    ['::ffff:169.254.169.254', 'a cloud metadata address'],
    ['64:ff9b::a9fe:a9fe', 'a cloud metadata address'],
    ['fd00:ec2::254', 'a cloud metadata address'],
    ['169.254.170.2', 'a cloud metadata address'],
    ['100.100.100.200', 'a cloud metadata address'],
    ['169.254.1.1', 'a link-local address'],
    ['fe80::1', 'a link-local address'],
    ['127.0.0.1', `a loopback address${PRIVATE_HINT}`],
    ['127.8.9.10', `a loopback address${PRIVATE_HINT}`],
    ['::1', `a loopback address${PRIVATE_HINT}`],
    ['::ffff:127.0.0.1', `a loopback address${PRIVATE_HINT}`],
    ['2002:7f00:1::', `a loopback address${PRIVATE_HINT}`],
    ['0.0.0.0', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['10.0.0.1', `a private address${PRIVATE_HINT}`],
    ['172.16.5.4', `a private address${PRIVATE_HINT}`],
    ['192.168.1.1', `a private address${PRIVATE_HINT}`],
    ['100.64.0.1', `a private address${PRIVATE_HINT}`],
    ['fd12:3456::1', `a private address${PRIVATE_HINT}`],
    ['224.0.0.251', 'a reserved address'],
    ['255.255.255.255', 'a reserved address'],
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['192.169.0.1', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['2606:4700:4700::1111', undefined],
  ])('%s: %s', (address, why) => {
    expect(new AddressGuard().refusal(address)).toBe(why);
  });

  it('with private addresses allowed (a lab network, the sim), still refuses metadata, link-local, unspecified and reserved ones', () => {
    const guard = new AddressGuard({ allowPrivate: true });
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.1.1', 'fd12::1']) expect(guard.refusal(address), address).toBeUndefined();
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '169.254.1.1', '0.0.0.0', '224.0.0.1']) expect(guard.refusal(address), address).toBeDefined();
  });

  it('checkUrl takes http(s) URLs only, without credentials, and refuses refused address literals', () => {
    const guard = new AddressGuard();
    expect(guard.checkUrl('https://pds.example.com/xrpc').host).toBe('pds.example.com');
    expect(() => guard.checkUrl('file:///etc/passwd')).toThrow('file: URL refused: only http and https are followed');
    expect(() => guard.checkUrl('https://user:pw@pds.example.com')).toThrow('a URL carrying credentials refused');
    expect(() => guard.checkUrl('http://[::ffff:a9fe:a9fe]/')).toThrow('refused to connect to ::ffff:a9fe:a9fe, a cloud metadata address');
    expect(() => guard.checkUrl('not a url')).toThrow('not a URL: not a url');
  });
});

describe('HttpClient with an address guard', () => {
  it('refuses an origin found in an answer that is, or resolves to, a loopback address, before connecting', async () => {
    const server = await serve((_req, res) => res.end('secret admin page'));
    const guard = { addresses: new AddressGuard(), origin: 'found', maxRedirects: 2 } as const;
    expect(await refusal(client(server.origin, guard).get('/'))).toBe(`refused to connect to 127.0.0.1, a loopback address${PRIVATE_HINT}`);
    expect(await refusal(client(`http://localhost:${server.port}`, guard).get('/'))).toMatch(/^refused to connect to localhost: it resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(await refusal(client(`http://[::ffff:127.0.0.1]:${server.port}`, guard).get('/'))).toBe(`refused to connect to ::ffff:7f00:1, a loopback address${PRIVATE_HINT}`);
    expect(server.connections()).toBe(0);
  });

  it('refuses a name that resolves to a metadata address, even with private addresses allowed', async () => {
    const guard = { addresses: new AddressGuard({ allowPrivate: true, lookup: DNS }), origin: 'found', maxRedirects: 2 } as const;
    expect(await refusal(client('http://metadata.test', guard).get('/latest/meta-data/iam/security-credentials/'))).toBe(
      'refused to connect to metadata.test: it resolves to 169.254.169.254, a cloud metadata address',
    );
  });

  it('checks every redirect of an origin from the settings: loopback, private and metadata targets, by address or by name', async () => {
    const inside = await serve((_req, res) => res.end('inside'));
    const targets = [
      [`http://127.0.0.1:${inside.port}/`, `refused to connect to 127.0.0.1, a loopback address${PRIVATE_HINT}`],
      [`http://localhost:${inside.port}/`, /^refused to connect to localhost: it resolves to (127\.0\.0\.1|::1), a loopback address/],
      ['http://intranet.test/', `refused to connect to intranet.test: it resolves to 10.1.2.3, a private address${PRIVATE_HINT}`],
      ['http://169.254.169.254/latest/meta-data/', 'refused to connect to 169.254.169.254, a cloud metadata address'],
      ['http://metadata.test/computeMetadata/v1/', 'refused to connect to metadata.test: it resolves to 169.254.169.254, a cloud metadata address'],
      ['file:///etc/passwd', 'file: URL refused: only http and https are followed'],
    ] as const;
    let target = '';
    const outside = await serve((_req, res) => res.writeHead(302, { location: target }).end());
    const http = client(outside.origin, { addresses: new AddressGuard({ lookup: DNS }), origin: 'settings', maxRedirects: 2 });
    for (const [to, why] of targets) {
      target = to;
      const message = await refusal(http.get('/follows'));
      if (typeof why === 'string') expect(message).toBe(why);
      else expect(message).toMatch(why);
    }
    expect(inside.connections()).toBe(0);
  });

  it('follows a redirect within an origin from the settings, wherever that origin is', async () => {
    const server = await serve((req, res) => (req.url === '/old' ? res.writeHead(308, { location: '/new' }).end() : res.end(`at ${req.url}`)));
    const http = client(server.origin, { addresses: new AddressGuard(), origin: 'settings', maxRedirects: 1 });
    expect(await http.get('/old')).toMatchObject({ status: 200, body: 'at /new' });
  });

  it("follows allowed redirects up to maxRedirects, and sends the origin's headers to the origin only", async () => {
    const other = await serve((req, res) => (req.url === '/loop' ? res.writeHead(302, { location: '/loop' }).end() : res.end(`other ${req.url}`)));
    const origin = await serve((req, res) => {
      if (req.url === '/start') return res.writeHead(301, { location: '/moved' }).end();
      if (req.url === '/moved') return res.writeHead(307, { location: `${other.origin}/page?x=1` }).end();
      res.writeHead(302, { location: `${other.origin}/loop` }).end();
    });
    const guard = { addresses: new AddressGuard({ allowPrivate: true }), origin: 'settings', maxRedirects: 3 } as const;
    const http = client(origin.origin, guard, { authorization: 'Bearer origin-only' });
    expect(await http.get('/start')).toMatchObject({ status: 200, body: 'other /page?x=1' });
    expect(origin.seen.every((h) => h.authorization === 'Bearer origin-only')).toBe(true);
    expect(other.seen.map((h) => h.authorization)).toEqual([undefined]);
    expect(await refusal(http.get('/elsewhere'))).toBe('more than 3 redirects; refused');
  });

  it('without a guard a redirect is an answer, not followed (the HTML source reads suspensions from it)', async () => {
    const server = await serve((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end());
    const http = new HttpClient({ origin: server.origin, connections: 1, timeoutMs: 5000, maxResponseBytes: 1024, maxResponseMs: 10_000 });
    cleanup.push(() => http.close());
    expect(await http.get('/')).toMatchObject({ status: 302, headers: { location: 'http://169.254.169.254/' } });
  });
});

/**
 * A DID document's PDS, resolved the way a source that reads users' own PDS hosts must: the
 * document from the directory the settings name, the endpoint checked by the guard, and the PDS
 * reached through a client whose origin counts as found.
 */
async function readFromPds(directory: HttpClient, did: string, addresses: AddressGuard): Promise<string> {
  const doc = JSON.parse((await directory.get(`/${did}`)).body) as { service?: { id: string; serviceEndpoint: string }[] };
  const endpoint = doc.service?.find((s) => s.id === '#atproto_pds')?.serviceEndpoint ?? '';
  const pds = client(addresses.checkUrl(endpoint).origin, { addresses, origin: 'found', maxRedirects: 2 });
  return (await pds.get(`/xrpc/com.atproto.repo.describeRepo?repo=${did}`)).body;
}

describe('DID documents naming addresses', () => {
  it('reads a PDS at a permitted address, and refuses one at a metadata address, by literal or by name', async () => {
    const pds = await serve((req, res) => res.end(`repo of ${new URL(req.url!, 'http://x').searchParams.get('repo')}`));
    const endpoints: Record<string, string> = {
      'did:plc:good': pds.origin,
      'did:plc:imds': 'http://169.254.169.254',
      'did:plc:named': 'http://metadata.test:80',
      'did:plc:ipv6': 'http://[fd00:ec2::254]',
    };
    const plc = await serve((req, res) => {
      const did = req.url!.slice(1);
      res.end(JSON.stringify({ id: did, service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: endpoints[did] }] }));
    });
    const directory = client(plc.origin, undefined);
    // The sim and a lab network run on private addresses: metadata addresses stay refused there too.
    const addresses = new AddressGuard({ allowPrivate: true, lookup: DNS });
    expect(await readFromPds(directory, 'did:plc:good', addresses)).toBe('repo of did:plc:good');
    expect(await refusal(readFromPds(directory, 'did:plc:imds', addresses))).toBe('refused to connect to 169.254.169.254, a cloud metadata address');
    expect(await refusal(readFromPds(directory, 'did:plc:named', addresses))).toBe('refused to connect to metadata.test: it resolves to 169.254.169.254, a cloud metadata address');
    expect(await refusal(readFromPds(directory, 'did:plc:ipv6', addresses))).toBe('refused to connect to fd00:ec2::254, a cloud metadata address');
    // Outside a lab, the machine itself is off limits as well.
    expect(await refusal(readFromPds(directory, 'did:plc:good', new AddressGuard()))).toBe(`refused to connect to 127.0.0.1, a loopback address${PRIVATE_HINT}`);
  });
});
