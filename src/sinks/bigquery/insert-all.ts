import { backoffDelay, type BackoffOptions } from '../../core/backoff.ts';
import { SinkError } from '../../core/errors.ts';
import { SYSTEM_CLOCK, type Clock } from './clock.ts';
import { classifyFailure, type BigQueryFailure } from './errors.ts';
import { answerWithin, waitUnlessDeadline } from './within.ts';

/**
 * BigQuery's streaming limits (cloud.google.com/bigquery/quotas#streaming_inserts): 10 MB per HTTP
 * request, 50,000 rows per request, 500 rows per request recommended. We stay under 9 MB for the JSON
 * envelope and headers, and at 500 rows.
 */
export const MAX_REQUEST_ROWS = 500;
export const MAX_REQUEST_BYTES = 9 * 1024 * 1024;
/** insertAll answers in well under a second; a request without an answer after this is retried. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** One row as tabledata.insertAll takes it (`raw`), with its JSON size. */
export interface StreamedRow<T> {
  /** What the caller acknowledges or dead-letters: the row before encoding. */
  item: T;
  insertId: string;
  json: Record<string, unknown>;
  /** Bytes of `{"insertId":…,"json":…}` in the request body. */
  bytes: number;
}

/** A row BigQuery refused as invalid (or that no request could carry), with the reason. */
export interface RejectedRow<T> {
  row: StreamedRow<T>;
  reason: string;
}

/** The answer to one insertAll request, as the caller's transport reports it. */
export type InsertAnswer =
  /** Every row stored. */
  | { ok: true }
  /** Per-row errors (`insertErrors`), by index in the request; the other rows were stored. */
  | { ok: false; rowErrors: Map<number, { reason: string; message: string }[]> };

/** Sends one insertAll request: resolves with its answer, rejects with the client's error. */
export type InsertTransport = (rows: readonly { insertId: string; json: Record<string, unknown> }[]) => Promise<InsertAnswer>;

export interface InsertAllOptions {
  send: InsertTransport;
  backoff: BackoffOptions;
  /** Give up (reject) once this epoch-ms time has passed; read before every attempt and wait. */
  giveUpAt: () => number;
  /** Time one request may take before it counts as failed (and is sent again). Default 30 s. */
  requestTimeoutMs?: number;
  /** Told of each failed attempt that will be retried (for the log). */
  onRetry?: (info: { attempt: number; rows: number; failure: string; delayMs: number }) => void;
  maxRequestRows?: number;
  maxRequestBytes?: number;
  random?: () => number;
  /** Time to read and wait on. Default the system's. */
  clock?: Clock;
}

/** Per-row reasons that mean the row itself is bad: sending it again cannot help. */
const INVALID_ROW_REASONS = new Set(['invalid']);

/** Cuts rows into requests of at most `maxRows` rows and `maxBytes` bytes, keeping their order. */
export function cutRequests<T>(rows: readonly StreamedRow<T>[], maxRows: number, maxBytes: number): { requests: StreamedRow<T>[][]; tooLarge: StreamedRow<T>[] } {
  const requests: StreamedRow<T>[][] = [];
  const tooLarge: StreamedRow<T>[] = [];
  let current: StreamedRow<T>[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (row.bytes > maxBytes) {
      tooLarge.push(row);
      continue;
    }
    if (current.length >= maxRows || bytes + row.bytes > maxBytes) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.bytes;
  }
  if (current.length > 0) requests.push(current);
  return { requests, tooLarge };
}

/** What became of the rows so far: taken by BigQuery, or refused (with the reason). */
interface Outcome<T> {
  accepted: StreamedRow<T>[];
  rejected: RejectedRow<T>[];
}

/** The deadline passed inside a layer; `insertAll` reports it with the count of rows not stored. */
class DeadlinePassed extends Error {}

/** The answer to one attempt at one request. */
type Attempt = InsertAnswer | { ok: 'failed'; failure: BigQueryFailure };

/**
 * Layer 1, send once: one insertAll request, timed (the client's own timeout does nothing, see
 * within.ts). No answer within the request timeout is a retryable failure; the deadline passing
 * while it is out ends the insert.
 */
async function sendOnce<T>(rows: readonly StreamedRow<T>[], options: InsertAllOptions, clock: Clock): Promise<Attempt> {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let outcome: { answer: InsertAnswer } | 'timeout' | 'deadline';
  try {
    outcome = await answerWithin(options.send(rows.map((r) => ({ insertId: r.insertId, json: r.json }))), timeoutMs, options.giveUpAt, clock);
  } catch (error) {
    return { ok: 'failed', failure: classifyFailure(error) };
  }
  if (outcome === 'deadline') throw new DeadlinePassed('during a request');
  if (outcome === 'timeout') return { ok: 'failed', failure: { kind: 'retryable', status: undefined, reason: 'timeout', summary: `no answer within ${timeoutMs / 1000} s` } };
  return outcome.answer;
}

/**
 * Layer 2, retry until the deadline: sends one request until BigQuery has taken or refused each of
 * its rows. A failed request (5xx, 429, 403 rate or quota limits, timeouts, connection errors) goes
 * again whole, with the same insertIds, so that a request that landed but whose answer was lost is
 * de-duplicated; after a partial failure only the failed rows go again; rows BigQuery calls `invalid`
 * are refused, never retried. Retries wait an exponential backoff with full jitter. A fatal answer
 * (no table, no permission, bad credentials) rejects with a SinkError. Returns the rows of a request
 * BigQuery found too large, for the caller to split.
 */
async function sendUntilDeadline<T>(request: StreamedRow<T>[], options: InsertAllOptions, clock: Clock, into: Outcome<T>): Promise<{ tooLarge: BigQueryFailure } | undefined> {
  let pending = request;
  let lastFailure: string | undefined;
  const deadline = () => new DeadlinePassed(lastFailure ? `last error: ${lastFailure}` : '');
  for (let attempt = 1; ; attempt++) {
    if (clock.now() >= options.giveUpAt()) throw deadline();
    const answer = await sendOnce(pending, options, clock);
    if (answer.ok === true) {
      into.accepted.push(...pending);
      return undefined;
    }
    if (answer.ok === 'failed') {
      if (answer.failure.kind === 'fatal') throw new SinkError(`BigQuery refused insertAll: ${answer.failure.summary}`);
      if (answer.failure.kind === 'too_large') return { tooLarge: answer.failure };
      lastFailure = answer.failure.summary;
    } else {
      const retry: StreamedRow<T>[] = [];
      const reasons = new Set<string>();
      pending.forEach((row, i) => {
        const errors = answer.rowErrors.get(i);
        if (!errors) into.accepted.push(row);
        else if (errors.some((e) => INVALID_ROW_REASONS.has(e.reason))) into.rejected.push({ row, reason: errors.map((e) => `${e.reason}: ${e.message}`).join('; ') });
        else {
          retry.push(row);
          for (const e of errors) reasons.add(e.reason);
        }
      });
      if (retry.length === 0) return undefined;
      pending = retry;
      lastFailure = `partial failure (${[...reasons].join(', ')})`;
    }
    const delayMs = backoffDelay(attempt, options.backoff, options.random);
    options.onRetry?.({ attempt, rows: pending.length, failure: lastFailure, delayMs });
    await waitUnlessDeadline(delayMs, options.giveUpAt, deadline, clock);
  }
}

/**
 * Layer 3, insert all: streams rows into one table until BigQuery has accepted every one that can be
 * accepted, in requests of at most 500 rows and 9 MB; a request BigQuery finds too large (413, or
 * "payload size exceeds") is split in two, a single row too large is refused. Once `giveUpAt` passes
 * it rejects: rows not yet accepted are not acknowledged. Resolves with the rows accepted and the
 * rows refused.
 */
export async function insertAll<T>(rows: readonly StreamedRow<T>[], options: InsertAllOptions): Promise<Outcome<T>> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const maxBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const { requests, tooLarge } = cutRequests(rows, options.maxRequestRows ?? MAX_REQUEST_ROWS, maxBytes);
  const outcome: Outcome<T> = { accepted: [], rejected: tooLarge.map((row) => ({ row, reason: `row of ${row.bytes} bytes is over the ${maxBytes}-byte request limit` })) };
  try {
    for (let request = requests.shift(); request; request = requests.shift()) {
      const split = await sendUntilDeadline(request, options, clock, outcome);
      if (!split) continue;
      if (request.length === 1) outcome.rejected.push({ row: request[0]!, reason: `request too large for BigQuery: ${split.tooLarge.summary}` });
      else requests.unshift(request.slice(0, request.length >> 1), request.slice(request.length >> 1));
    }
  } catch (error) {
    if (!(error instanceof DeadlinePassed)) throw error;
    const left = rows.length - outcome.accepted.length - outcome.rejected.length;
    throw new SinkError(`gave up streaming ${left} rows: shutdown deadline passed${error.message ? ` (${error.message})` : ''}`);
  }
  return outcome;
}
