import { describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/core/errors.ts';
import { streamed } from '../../../src/sinks/bigquery/encode.ts';
import { insertAll, type InsertAllOptions, type InsertAnswer } from '../../../src/sinks/bigquery/insert-all.ts';
import { FakeClock } from '../../support/fake-clock.ts';

/** An error as the client raises it for an HTTP answer (ApiError: status in `code`, reasons in `errors`). */
function apiError(status: number, reason: string, message = `${reason} happened`): Error {
  return Object.assign(new Error(message), { code: status, errors: [{ reason, message }] });
}

/** An error as the client raises it for a dropped connection. */
function connectionError(code: string): Error {
  return Object.assign(new Error(`request to BigQuery failed, reason: ${code}`), { code });
}

type Scripted = InsertAnswer | Error | 'hang' | ((insertIds: string[]) => InsertAnswer | Error);

/**
 * A transport that answers each call with the next answer of the script (the last one repeats) and
 * records what each call carried and when.
 */
function transport(clock: FakeClock, ...script: Scripted[]) {
  const calls: { at: number; insertIds: string[] }[] = [];
  const send: InsertAllOptions['send'] = (rows) => {
    const insertIds = rows.map((r) => r.insertId);
    calls.push({ at: clock.now(), insertIds });
    const next = script[Math.min(calls.length, script.length) - 1]!;
    const answer = typeof next === 'function' ? next(insertIds) : next;
    if (answer === 'hang') return new Promise<InsertAnswer>(() => undefined);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { send, calls };
}

const rowsOf = (...ids: string[]) => ids.map((id) => streamed({ id }, `insert-${id}`));

function setUp(script: Scripted[], over: Partial<InsertAllOptions> = {}) {
  const clock = new FakeClock();
  const start = clock.now();
  const t = transport(clock, ...script);
  const retries: { attempt: number; rows: number; failure: string; delayMs: number }[] = [];
  const options: InsertAllOptions = {
    send: t.send,
    backoff: { baseMs: 100, maxMs: 1000 },
    // The top of each jitter range, so that the delays are exact.
    random: () => 0.999999,
    giveUpAt: () => Infinity,
    clock,
    onRetry: (info) => retries.push(info),
    ...over,
  };
  const elapsed = (at: number) => at - start;
  return { clock, options, calls: t.calls, retries, elapsed, start };
}

const OK: InsertAnswer = { ok: true };

describe('insertAll, layer by layer (on a fake clock)', () => {
  it('sends a request once and accepts its rows when BigQuery takes them', async () => {
    const { clock, options, calls } = setUp([OK]);
    const outcome = await clock.run(insertAll(rowsOf('1', '2', '3'), options));
    expect(outcome.accepted.map((r) => r.item.id)).toEqual(['1', '2', '3']);
    expect(outcome.rejected).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('sends a failed request again whole, with the same insertIds, after full-jitter backoff: 5xx, 429, 403 limits, dropped connections', async () => {
    const failures = [
      apiError(503, 'backendError'),
      apiError(429, 'rateLimitExceeded'),
      apiError(403, 'rateLimitExceeded'),
      apiError(403, 'quotaExceeded'),
      connectionError('ECONNRESET'),
      apiError(500, 'internalError'),
    ];
    const { clock, options, calls, retries, elapsed } = setUp([...failures, OK]);
    const outcome = await clock.run(insertAll(rowsOf('1', '2'), options));
    expect(outcome.accepted).toHaveLength(2);
    expect(calls.map((c) => c.insertIds)).toEqual(Array.from({ length: 7 }, () => ['insert-1', 'insert-2']));
    // Delays double from 100 ms up to the 1 s cap.
    expect(retries.map((r) => r.delayMs)).toEqual([99, 199, 399, 799, 999, 999]);
    expect(calls.map((c) => elapsed(c.at))).toEqual([0, 99, 298, 697, 1496, 2495, 3494]);
    expect(retries[3]).toEqual({ attempt: 4, rows: 2, failure: 'HTTP 403 quotaExceeded: quotaExceeded happened', delayMs: 799 });
  });

  it('counts a request without an answer within the request timeout as failed, and sends it again', async () => {
    const { clock, options, calls, retries, elapsed } = setUp(['hang', OK], { requestTimeoutMs: 30_000 });
    const outcome = await clock.run(insertAll(rowsOf('1'), options));
    expect(outcome.accepted).toHaveLength(1);
    expect(calls.map((c) => elapsed(c.at))).toEqual([0, 30_099]);
    expect(retries[0]!.failure).toBe('no answer within 30 s');
  });

  it("after a partial failure sends only the failed rows again; rows refused as invalid are returned with BigQuery's reason", async () => {
    const partial: InsertAnswer = {
      ok: false,
      rowErrors: new Map([
        [1, [{ reason: 'backendError', message: 'try again' }]],
        [2, [{ reason: 'invalid', message: 'no such field: colour.' }]],
      ]),
    };
    const { clock, options, calls, retries } = setUp([partial, OK]);
    const outcome = await clock.run(insertAll(rowsOf('a', 'b', 'c', 'd'), options));
    expect(calls.map((c) => c.insertIds)).toEqual([['insert-a', 'insert-b', 'insert-c', 'insert-d'], ['insert-b']]);
    expect(outcome.accepted.map((r) => r.item.id)).toEqual(['a', 'd', 'b']);
    expect(outcome.rejected.map((r) => [r.row.item.id, r.reason])).toEqual([['c', 'invalid: no such field: colour.']]);
    expect(retries).toEqual([{ attempt: 1, rows: 1, failure: 'partial failure (backendError)', delayMs: 99 }]);
  });

  it('splits a request BigQuery finds too large in two until the parts pass, and refuses a single row that is too large alone', async () => {
    const tooLarge = (ids: string[]) => (ids.length > 2 || ids.includes('insert-huge') ? apiError(413, 'badRequest', 'Request payload size exceeds the limit: 10485760 bytes.') : OK);
    const { clock, options, calls, retries } = setUp([tooLarge]);
    const outcome = await clock.run(insertAll(rowsOf('1', '2', '3', 'huge', '5'), options));
    // 5 → 2 + 3; 3 → 1 + 2; 2 (with the huge row) → 1 + 1.
    expect(calls.map((c) => c.insertIds.length)).toEqual([5, 2, 3, 1, 2, 1, 1]);
    expect(outcome.accepted.map((r) => r.item.id)).toEqual(['1', '2', '3', '5']);
    expect(outcome.rejected.map((r) => [r.row.item.id, r.reason])).toEqual([['huge', 'request too large for BigQuery: HTTP 413 badRequest: Request payload size exceeds the limit: 10485760 bytes.']]);
    // Splitting is not retrying: no backoff.
    expect(retries).toEqual([]);
  });

  it('rejects at once with a SinkError when the request can never succeed (no table, no permission)', async () => {
    for (const error of [apiError(404, 'notFound', 'Not found: Table p:d.t'), apiError(403, 'accessDenied', 'Access Denied: Table p:d.t')]) {
      const { clock, options, calls } = setUp([error]);
      const result = await clock.run(insertAll(rowsOf('1'), options)).catch((e: unknown) => e);
      expect(result).toBeInstanceOf(SinkError);
      expect((result as Error).message).toBe(
        `BigQuery refused insertAll: HTTP ${(error as unknown as { code: number }).code} ${error.message.startsWith('Not') ? 'notFound' : 'accessDenied'}: ${error.message}`,
      );
      expect(calls).toHaveLength(1);
    }
  });

  it('gives up when the deadline passes during a request, counting the rows not stored', async () => {
    const { clock, options, calls, start } = setUp([OK, 'hang'], { maxRequestRows: 2, giveUpAt: () => start + 5_000 });
    const result = await clock.run(insertAll(rowsOf('1', '2', '3', '4', '5'), options)).catch((e: unknown) => e);
    expect((result as Error).message).toBe('gave up streaming 3 rows: shutdown deadline passed (during a request)');
    expect(clock.now() - start).toBe(5_000);
    expect(calls).toHaveLength(2);
  });

  it('gives up during a backoff wait as soon as the deadline comes, also a deadline brought forward while it waits', async () => {
    let deadline = Infinity;
    const { clock, options, calls, start } = setUp([apiError(503, 'backendError')], { backoff: { baseMs: 30_000, maxMs: 30_000 }, giveUpAt: () => deadline });
    const inserting = insertAll(rowsOf('1', '2'), options).catch((e: unknown) => e);
    await clock.advance(1_000);
    // A shutdown: 5 s from now, while the 30 s wait is under way.
    deadline = clock.now() + 5_000;
    const result = await clock.run(inserting);
    expect((result as Error).message).toBe('gave up streaming 2 rows: shutdown deadline passed (last error: HTTP 503 backendError: backendError happened)');
    expect(clock.now() - start).toBeGreaterThanOrEqual(6_000);
    expect(clock.now() - start).toBeLessThanOrEqual(6_250);
    expect(calls).toHaveLength(1);
  });

  it('sends nothing once the deadline has passed', async () => {
    const { clock, options, calls, start } = setUp([OK], { giveUpAt: () => start });
    const result = await clock.run(insertAll(rowsOf('1'), options)).catch((e: unknown) => e);
    expect((result as Error).message).toBe('gave up streaming 1 rows: shutdown deadline passed');
    expect(calls).toHaveLength(0);
  });
});
