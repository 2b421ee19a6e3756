import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '../../../src/sinks/host/codec.ts';
import { RemoteSink } from '../../../src/sinks/host/remote-sink.ts';
import type { UserFriendsRow } from '../../../src/sinks/row.ts';

/** A warehouse host stand-in: answers /health, records every POST /rows body, and holds its answers while `stalled`. */
async function fakeHost() {
  const batches: UserFriendsRow[][] = [];
  let release: () => void = () => {};
  let stall: Promise<void> | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.url === '/rows') {
        batches.push(decode<UserFriendsRow[]>(Buffer.concat(chunks).toString('utf8')));
        await stall;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches,
    stallAnswers() {
      stall = new Promise((resolve) => (release = resolve));
    },
    answer() {
      stall = undefined;
      release();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A user's row with 2,000 names: about 30 KB of JSON. */
function longRow(i: number): UserFriendsRow {
  return {
    user_id: String(10n ** 18n + BigInt(i)),
    screen_name: `user${i}`,
    friend_count: 2000,
    friend_names: Array.from({ length: 2000 }, (_, j) => `friend_${i}_${j}`),
    friend_ids: null,
    expected_count: 2000,
    status: 'ok',
    error: null,
    truncated: true,
    pages: 100,
    partition_id: 3,
    run_id: 'run',
    worker: 'w',
    source: 'twitter-html',
    start_at: new Date(1_700_000_000_000),
    end_at: new Date(1_700_000_040_000),
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('RemoteSink', () => {
  it('with the host not answering, holds rows up to its 4 MB bound (not 1,000 long rows), then sends every row once, exactly', async () => {
    const host = await fakeHost();
    const acknowledged: string[] = [];
    const sink = new RemoteSink({ url: host.url, secret: 'test-secret' }, { flushIntervalMs: 3_600_000, onAcknowledged: (rows) => acknowledged.push(...rows.map((r) => r.user_id)) });
    cleanup.push(() => host.close());
    await sink.open();
    cleanup.push(() => sink.close());
    host.stallAnswers();

    const rowChars = JSON.stringify(longRow(0)).length;
    const written: Promise<void>[] = [];
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const w = sink.write(longRow(i));
      written.push(w);
      const done = await Promise.race([w.then(() => true), sleep(50).then(() => false)]);
      if (!done) break;
      accepted++;
    }
    // Accepted: the 2 MB batch the host holds, and up to 4 MB waiting (a row may cross each bound).
    expect(accepted * rowChars).toBeGreaterThan(4 * 1024 * 1024);
    expect(accepted * rowChars).toBeLessThan(6 * 1024 * 1024 + 2 * rowChars);
    expect(acknowledged).toEqual([]);

    host.answer();
    await Promise.all(written);
    await sink.flush();
    const received = host.batches.flat();
    expect(received.map((r) => r.user_id)).toEqual(written.map((_, i) => longRow(i).user_id));
    expect(received.at(-1)).toEqual(longRow(written.length - 1));
    expect(acknowledged).toEqual(received.map((r) => r.user_id));
  });
});
