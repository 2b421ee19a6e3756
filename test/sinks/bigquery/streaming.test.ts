import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setupBigQuery } from '../../../src/sinks/bigquery/setup.ts';
import { BigQuerySink, type BigQuerySinkOptions } from '../../../src/sinks/bigquery/sink.ts';
import { insertIdOf, streamed } from '../../../src/sinks/bigquery/encode.ts';
import { cutRequests, MAX_REQUEST_BYTES, MAX_REQUEST_ROWS } from '../../../src/sinks/bigquery/insert-all.ts';
import type { UserFriendsRow } from '../../../src/sinks/row.ts';
import { PROJECT, useBigQueryFake } from '../../support/bigquery.ts';
import { NO_FAULTS, STRICT } from '../../support/bigquery-fake/server.ts';
import { row } from '../../support/rows.ts';
import { tempDir } from '../../support/tmp.ts';

const dir = tempDir();
const w = await useBigQueryFake({ seed: 7 });
/** Fast retries: the tests check what is retried, not how long the waits are. */
const FAST = { baseMs: 5, maxMs: 40 };

/** A user who follows 2,000 accounts with 15-character names and 19-digit IDs: the largest row there is. */
function fullRow(userId: string, runId = 'run-full'): UserFriendsRow {
  const names = Array.from({ length: 2000 }, (_, i) => `n${String(i).padStart(4, '0')}_abcdefghij`);
  const ids = Array.from({ length: 2000 }, (_, i) => String(1_200_000_000_000_000_000n + BigInt(i)));
  return row({ user_id: userId, run_id: runId, friend_count: 2000, friend_names: names, friend_ids: ids, truncated: true, pages: 100 });
}

let datasets = 0;
/** A fresh dataset (set up) and a sink on it; counts what it acknowledged and dead-lettered. */
async function freshSink(options: BigQuerySinkOptions = {}) {
  const name = `stream_${++datasets}`;
  const target = w.target(name);
  await setupBigQuery(target);
  const acked: string[] = [];
  let deadLettered = 0;
  const sink = new BigQuerySink(target, {
    backoff: FAST,
    onAcknowledged: (rows) => acked.push(...rows.map((r) => r.user_id)),
    onDeadLettered: (n) => (deadLettered += n),
    ...options,
  });
  await sink.open();
  const stored = async () => (await w.fake.store.rows(PROJECT, name, 'user_friends')).map((r) => String(r.user_id));
  return { sink, acked, deadLettered: () => deadLettered, stored, name };
}

function resetFake(): void {
  w.fake.setFaults({ ...NO_FAULTS, invalidUserIds: [] });
  w.fake.setBehaviour(STRICT);
}

/**
 * BigQuery de-duplicates insertIds only best effort, and the fake's default keeps one copy in twenty
 * that it could have dropped. A test that checks the IDs themselves (a copy sent again with a new ID
 * would be stored twice) turns that off.
 */
function exactDeduplication(): void {
  w.fake.setBehaviour({ dedupeMissRate: 0 });
}

const ids = (n: number, from = 1) => Array.from({ length: n }, (_, i) => String(from + i));

describe('streaming into BigQuery (the fake)', () => {
  it('measures a 2,000-name row and keeps every request under 9 MB and 500 rows', async () => {
    resetFake();
    const full = streamed(fullRow('1'), 'x');
    // 2,000 names of 15 characters and 2,000 IDs of 19 digits, as JSON: about 82 KB (38 KB without
    // IDs, as the HTML source gives none), so a 9 MB request carries about 114 (245) of them.
    expect(full.bytes).toBeGreaterThan(80_000);
    expect(full.bytes).toBeLessThan(85_000);
    const namesOnly = streamed({ ...fullRow('1'), friend_ids: null }, 'x');
    expect(namesOnly.bytes).toBeGreaterThan(36_000);
    expect(namesOnly.bytes).toBeLessThan(40_000);
    const { requests } = cutRequests(
      Array.from({ length: 1000 }, () => full),
      MAX_REQUEST_ROWS,
      MAX_REQUEST_BYTES,
    );
    expect(Math.max(...requests.map((r) => r.length))).toBe(Math.floor(MAX_REQUEST_BYTES / full.bytes));
    expect(requests.flat()).toHaveLength(1000);

    const before = { ...w.fake.stats };
    const { sink, acked, stored } = await freshSink();
    for (const id of ids(120)) await sink.write(fullRow(id));
    for (const id of ids(1200, 1000)) await sink.write(row({ user_id: id, run_id: 'run-light' }));
    await sink.close();
    expect((await stored()).sort()).toEqual([...ids(120), ...ids(1200, 1000)].sort());
    expect(acked).toHaveLength(1320);
    expect(w.fake.stats.maxRequestBytes).toBeLessThan(9 * 1024 * 1024);
    expect(w.fake.stats.maxRequestRows).toBe(500);
    expect(w.fake.stats.injected.oversize).toBe(before.injected.oversize);
  });

  it('sends a failed request again with the same insertIds: 500s, 503s and lost answers store every row once', async () => {
    resetFake();
    exactDeduplication();
    w.fake.setFaults({ insertErrorRate: 0.3, lostResponseRate: 0.3 });
    const before = structuredClone(w.fake.stats);
    const { sink, acked, stored } = await freshSink({ flushRows: 50 });
    for (const id of ids(600)) await sink.write(row({ user_id: id, run_id: 'run-5xx' }));
    await sink.close();
    resetFake();
    expect((await stored()).sort()).toEqual(ids(600).sort());
    expect(acked.sort()).toEqual(ids(600).sort());
    expect(w.fake.stats.injected.error - before.injected.error).toBeGreaterThan(0);
    expect(w.fake.stats.injected.lostResponse - before.injected.lostResponse).toBeGreaterThan(0);
    // Requests whose answer was lost came again and BigQuery's insertId de-duplication dropped them.
    expect(w.fake.stats.rowsDeduplicated - before.rowsDeduplicated).toBeGreaterThan(0);
  });

  it('after a partial failure sends only the failed rows again', async () => {
    resetFake();
    w.fake.setFaults({ partialFailureRate: 1, partialRowShare: 0.1 });
    const before = structuredClone(w.fake.stats);
    const { sink, acked, stored } = await freshSink({ flushRows: 100 });
    for (const id of ids(1000)) await sink.write(row({ user_id: id, run_id: 'run-partial' }));
    await sink.close();
    resetFake();
    const failed = w.fake.stats.rowsFailedPartial - before.rowsFailedPartial;
    expect(failed).toBeGreaterThan(10);
    // Every row once, plus exactly the rows that failed: whole requests were never sent again.
    expect(w.fake.stats.rowsReceived - before.rowsReceived).toBe(1000 + failed);
    expect((await stored()).sort()).toEqual(ids(1000).sort());
    expect(acked).toHaveLength(1000);
  });

  it('writes rows BigQuery refuses as invalid to the dead-letter file with the reason, and acknowledges the rest', async () => {
    resetFake();
    w.fake.setFaults({ invalidUserIds: ['13', '77'] });
    const file = join(dir, 'dead.ndjson');
    const { sink, acked, stored, deadLettered } = await freshSink({ deadLetterFile: file });
    for (const id of ids(100)) await sink.write(row({ user_id: id, run_id: 'run-invalid' }));
    await sink.close();
    resetFake();
    const letters = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { table: string; reason: string; row: { user_id: string; run_id: string } });
    expect(letters.map((l) => l.row.user_id).sort()).toEqual(['13', '77']);
    expect(letters.every((l) => l.table === 'user_friends' && l.reason.startsWith('invalid: ') && l.row.run_id === 'run-invalid')).toBe(true);
    expect(deadLettered()).toBe(2);
    expect(acked).toHaveLength(98);
    expect(acked).not.toContain('13');
    expect((await stored()).length).toBe(98);
  });

  it('splits a request BigQuery answers 413 until it passes', async () => {
    resetFake();
    w.fake.setFaults({ maxRequestBytes: 400_000 });
    const before = structuredClone(w.fake.stats);
    const { sink, stored } = await freshSink();
    for (const id of ids(30)) await sink.write(fullRow(id));
    await sink.close();
    resetFake();
    expect(w.fake.stats.injected.oversize - before.injected.oversize).toBeGreaterThan(0);
    expect((await stored()).sort()).toEqual(ids(30).sort());
  });

  it('with BigQuery stalled, holds at most the buffer, acknowledges nothing, and resumes after', async () => {
    resetFake();
    const { sink, acked, stored } = await freshSink({ maxBufferedRows: 50, flushIntervalMs: 50 });
    w.fake.stall();
    let accepted = 0;
    const writes = ids(300).map((id) => sink.write(row({ user_id: id, run_id: 'run-stall' })).then(() => accepted++));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // 50 rows in the stalled request, 49 more taken into the buffer: the rest wait.
    expect(accepted).toBeLessThan(100);
    expect(acked).toHaveLength(0);
    expect(w.fake.stats.stalledCalls).toBe(1);
    w.fake.resume();
    await Promise.all(writes);
    await sink.close();
    expect(acked).toHaveLength(300);
    expect((await stored()).sort()).toEqual(ids(300).sort());
  });

  it('sends a request again when it gets no answer in time; BigQuery keeps one copy', async () => {
    resetFake();
    exactDeduplication();
    const before = structuredClone(w.fake.stats);
    const { sink, acked, stored } = await freshSink({ requestTimeoutMs: 300, flushIntervalMs: 50 });
    w.fake.stall();
    for (const id of ids(20)) await sink.write(row({ user_id: id, run_id: 'run-timeout' }));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // The first request and at least one retry are held by the stalled fake; nothing acknowledged.
    expect(w.fake.stats.stalledCalls).toBeGreaterThan(1);
    expect(acked).toHaveLength(0);
    w.fake.resume();
    await sink.close();
    expect((await stored()).sort()).toEqual(ids(20).sort());
    expect(acked).toHaveLength(20);
    expect(w.fake.stats.rowsDeduplicated - before.rowsDeduplicated).toBeGreaterThanOrEqual(20);
  });

  it('gives up at a shutdown deadline without acknowledging what BigQuery has not taken', async () => {
    resetFake();
    const { sink, acked } = await freshSink({ flushIntervalMs: 50 });
    w.fake.stall();
    for (const id of ids(10)) await sink.write(row({ user_id: id, run_id: 'run-deadline' }));
    const started = Date.now();
    await expect(sink.flush(Date.now() + 700)).rejects.toThrow(/shutdown deadline passed/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(acked).toHaveLength(0);
    await sink.close();
    w.fake.resume();
  });

  it('sends [] for a list a row has none of: BigQuery refuses NULL for an ARRAY column', async () => {
    // Regression (issue 14): friend_names of users who are not ok, and friend_ids of sources without
    // IDs, went as null, and BigQuery refused each such row as invalid (dead-lettered, never stored).
    resetFake();
    const { sink, acked, deadLettered, name } = await freshSink();
    await sink.write(row({ user_id: '1', run_id: 'run-lists', status: 'protected', error: 'protected' }));
    await sink.write(row({ user_id: '2', run_id: 'run-lists', friend_count: 2, friend_names: ['a', 'b'], friend_ids: null }));
    await sink.write(row({ user_id: '3', run_id: 'run-lists', friend_count: 0, friend_names: [], friend_ids: [] }));
    await sink.close();
    expect(deadLettered()).toBe(0);
    expect(acked.sort()).toEqual(['1', '2', '3']);
    const reader = new BigQuerySink(w.target(name));
    expect(await reader.query(`SELECT user_id, friend_count, friend_names, friend_ids FROM user_friends ORDER BY user_id`)).toEqual([
      { user_id: '1', friend_count: null, friend_names: [], friend_ids: [] },
      { user_id: '2', friend_count: 2n, friend_names: ['a', 'b'], friend_ids: [] },
      { user_id: '3', friend_count: 0n, friend_names: [], friend_ids: [] },
    ]);
  });

  it('gives each row an insertId that is the same on a retry and new for a new attempt', () => {
    const r = row({ user_id: '1242523027058769920', run_id: 'run-a', start_at: new Date(1000) });
    const id = insertIdOf(r.run_id, r.user_id, r.start_at.getTime());
    expect(insertIdOf('run-a', '1242523027058769920', 1000)).toBe(id);
    expect(insertIdOf('run-b', '1242523027058769920', 1000)).not.toBe(id);
    expect(insertIdOf('run-a', '1242523027058769920', 2000)).not.toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
