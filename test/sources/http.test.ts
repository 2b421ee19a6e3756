import { getEventListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/core/errors.ts';
import { HttpClient, type HttpClientOptions } from '../../src/sources/http.ts';
import { startLocalServer } from '../support/local-server.ts';

/** A loopback server answering with `handler`, stopped after the test. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = await startLocalServer(handler);
  cleanup.push(() => server.close());
  return server;
}

function client(origin: string, options: Partial<HttpClientOptions> = {}): HttpClient {
  const http = new HttpClient({ origin, connections: 4, timeoutMs: 5000, maxResponseBytes: 64 * 1024, maxResponseMs: 10_000, ...options });
  cleanup.push(() => http.close());
  return http;
}

/** What `promise` rejected with (fails the test if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('HttpClient', () => {
  it('answers with status, headers and body, sending its user agent and configured headers on every request', async () => {
    const seen: IncomingMessage['headers'][] = [];
    const server = await serve((req, res) => {
      seen.push(req.headers);
      res.writeHead(201, { 'x-rate-limit-remaining': '7' }).end(`you asked for ${req.url}`);
    });
    const http = client(server.origin, { headers: { authorization: 'Bearer t0ken' } });
    const res = await http.get('/a?b=c');
    expect(res).toMatchObject({ status: 201, body: 'you asked for /a?b=c' });
    expect(res.headers['x-rate-limit-remaining']).toBe('7');
    expect(seen[0]).toMatchObject({ 'user-agent': 'friendfleet (+https://github.com/friendfleet)', authorization: 'Bearer t0ken' });
  });

  it('opens at most `connections` sockets, keeps them alive, and serves callers waiting for one in turn', async () => {
    const server = await serve((req, res) => setTimeout(() => res.end(req.url), 10));
    const http = client(server.origin, { connections: 2 });
    const bodies = await Promise.all(Array.from({ length: 12 }, (_, i) => http.get(`/${i}`).then((r) => r.body)));
    expect(bodies).toEqual(Array.from({ length: 12 }, (_, i) => `/${i}`));
    await http.get('/again');
    expect(server.connections()).toBe(2);
  });

  it("turns a transport failure into a transient error with undici's code, quoting no header", async () => {
    const server = await serve((req) => req.socket.destroy());
    const http = client(server.origin, { headers: { authorization: 'Bearer sekrit-token' } });
    const error = await rejection(http.get('/'));
    expect(error.kind).toBe('transient');
    expect(error.message).toMatch(/^request failed: UND_ERR_SOCKET: /);
    expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain('sekrit');
  });

  it('a header that never comes is transient once timeoutMs passes (retried, unlike a broken bound)', async () => {
    const server = await serve(() => undefined);
    const http = client(server.origin, { timeoutMs: 200 });
    const error = await rejection(http.get('/'));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('UND_ERR_HEADERS_TIMEOUT');
  });

  it("rejects with the caller's signal's reason when it aborts, with one abort listener however many requests share the signal", async () => {
    const server = await serve(() => undefined);
    const http = client(server.origin, { connections: 3 });
    const controller = new AbortController();
    const requests = Array.from({ length: 5 }, () =>
      http.get('/', controller.signal).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('shutting down');
    controller.abort(reason);
    expect(await Promise.all(requests)).toEqual(Array.from({ length: 5 }, () => reason));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  describe('bounded reads', () => {
    it('takes a body of exactly maxResponseBytes', async () => {
      const server = await serve((_req, res) => res.end('x'.repeat(1000)));
      expect((await client(server.origin, { maxResponseBytes: 1000 }).get('/')).body).toHaveLength(1000);
    });

    it('refuses a body announced longer than maxResponseBytes before reading it', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-length': String(1024 ** 3) });
        res.write('x'.repeat(1000));
      });
      const error = await rejection(client(server.origin, { maxResponseBytes: 1000 }).get('/'));
      expect(error.kind).toBe('refused');
      expect(error.message).toBe("response body larger than 1000 bytes, this source's bound; refused");
    });

    it('refuses a chunked body as it passes maxResponseBytes, and closes the connection', async () => {
      let closed!: () => void;
      const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
      const server = await serve((req, res) => {
        req.socket.once('close', closed);
        // 16 MiB without a length: as good as endless to a 64 KiB bound, and finite should the bound fail.
        const chunk = Buffer.alloc(16 * 1024, 'x');
        let left = 1024;
        const pump = () => {
          while (!res.destroyed && left > 0 && (left--, res.write(chunk)));
          if (left === 0) res.end();
          else if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      });
      const error = await rejection(client(server.origin, { maxResponseBytes: 64 * 1024 }).get('/'));
      expect(error.kind).toBe('refused');
      expect(error.message).toBe("response body larger than 64 KiB, this source's bound; refused");
      await connectionClosed;
    });

    it('refuses a body trickled within timeoutMs a piece once maxResponseMs has passed', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200);
        const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write('x')), 20);
      });
      const started = Date.now();
      const error = await rejection(client(server.origin, { timeoutMs: 2000, maxResponseMs: 300 }).get('/'));
      expect(error.kind).toBe('refused');
      expect(error.message).toBe("response still incomplete after 0.3 s, the bound on one response's time; refused");
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('keeps working after a refused response: the next request gets a fresh connection', async () => {
      let n = 0;
      const server = await serve((_req, res) => (n++ === 0 ? res.end('y'.repeat(5000)) : res.end('ok')));
      const http = client(server.origin, { connections: 1, maxResponseBytes: 1000 });
      expect((await rejection(http.get('/'))).kind).toBe('refused');
      expect((await http.get('/')).body).toBe('ok');
    });
  });
});
