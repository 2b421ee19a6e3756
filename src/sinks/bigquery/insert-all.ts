import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type BackoffOptions } from '../../core/backoff.ts';
import { SinkError } from '../../core/errors.ts';
import { classifyFailure, type BigQueryFailure } from './errors.ts';
import { answerWithin } from './within.ts';

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

/** Waits `ms`, or less when `giveUpAt` comes first; false when it came. */
async function waitUnless(ms: number, giveUpAt: () => number): Promise<boolean> {
  const left = giveUpAt() - Date.now();
  if (left <= 0) return false;
  await sleep(Math.min(ms, left));
  return Date.now() < giveUpAt();
}

/**
 * Streams rows into one table until BigQuery has accepted every one that can be accepted:
 * - requests of ≤ 500 rows and < 9 MB; a 413 (or "payload size exceeds") splits the request in two;
 * - a failed request (5xx, timeout, connection error) is sent again, whole and with the same
 *   insertIds, after exponential backoff with full jitter, so a request that landed but whose answer
 *   was lost is de-duplicated by BigQuery;
 * - after a partial failure only the failed rows are sent again; rows BigQuery calls `invalid` are
 *   returned as rejected (with its message), never retried;
 * - a fatal error (no table, no permission, bad credentials) rejects with a SinkError;
 * - once `giveUpAt` passes, it rejects: rows not yet accepted are not acknowledged.
 * Resolves with the rows accepted and the rows rejected.
 */
export async function insertAll<T>(rows: readonly StreamedRow<T>[], options: InsertAllOptions): Promise<{ accepted: StreamedRow<T>[]; rejected: RejectedRow<T>[] }> {
  const maxRows = options.maxRequestRows ?? MAX_REQUEST_ROWS;
  const maxBytes = options.maxRequestBytes ?? MAX_REQUEST_BYTES;
  const { requests, tooLarge } = cutRequests(rows, maxRows, maxBytes);
  const accepted: StreamedRow<T>[] = [];
  const rejected: RejectedRow<T>[] = tooLarge.map((row) => ({ row, reason: `row of ${row.bytes} bytes is over the ${maxBytes}-byte request limit` }));
  const queue = [...requests];
  let attempt = 0;
  while (queue.length > 0) {
    const request = queue.shift()!;
    if (Date.now() >= options.giveUpAt()) throw new SinkError(`gave up streaming ${rowsLeft(request, queue)} rows: shutdown deadline passed`);
    let answer: InsertAnswer | undefined;
    let failure: BigQueryFailure | undefined;
    const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    try {
      const outcome = await answerWithin(options.send(request.map((r) => ({ insertId: r.insertId, json: r.json }))), timeoutMs, options.giveUpAt);
      if (outcome === 'deadline') throw new SinkError(`gave up streaming ${rowsLeft(request, queue)} rows: shutdown deadline passed during a request`);
      if (outcome === 'timeout') failure = { kind: 'retryable', status: undefined, reason: 'timeout', summary: `no answer within ${timeoutMs / 1000} s` };
      else answer = outcome.answer;
    } catch (error) {
      if (error instanceof SinkError) throw error;
      failure = classifyFailure(error);
    }
    if (failure) {
      if (failure.kind === 'fatal') throw new SinkError(`BigQuery refused insertAll: ${failure.summary}`);
      if (failure.kind === 'too_large') {
        if (request.length === 1) rejected.push({ row: request[0]!, reason: `request too large for BigQuery: ${failure.summary}` });
        else queue.unshift(request.slice(0, request.length >> 1), request.slice(request.length >> 1));
        continue;
      }
      attempt++;
      const delayMs = backoffDelay(attempt, options.backoff, options.random);
      options.onRetry?.({ attempt, rows: request.length, failure: failure.summary, delayMs });
      if (!(await waitUnless(delayMs, options.giveUpAt))) throw new SinkError(`gave up streaming ${rowsLeft(request, queue)} rows: shutdown deadline passed (last error: ${failure.summary})`);
      queue.unshift(request);
      continue;
    }
    const got = answer!;
    if (got.ok) {
      accepted.push(...request);
      attempt = 0;
      continue;
    }
    const rowErrors = got.rowErrors;
    const retry: StreamedRow<T>[] = [];
    const reasons = new Set<string>();
    request.forEach((row, i) => {
      const errors = rowErrors.get(i);
      if (!errors) accepted.push(row);
      else if (errors.some((e) => INVALID_ROW_REASONS.has(e.reason))) rejected.push({ row, reason: errors.map((e) => `${e.reason}: ${e.message}`).join('; ') });
      else {
        retry.push(row);
        for (const e of errors) reasons.add(e.reason);
      }
    });
    if (retry.length > 0) {
      attempt++;
      const delayMs = backoffDelay(attempt, options.backoff, options.random);
      options.onRetry?.({ attempt, rows: retry.length, failure: `partial failure (${[...reasons].join(', ')})`, delayMs });
      if (!(await waitUnless(delayMs, options.giveUpAt))) throw new SinkError(`gave up streaming ${rowsLeft(retry, queue)} rows: shutdown deadline passed`);
      queue.unshift(retry);
    } else {
      attempt = 0;
    }
  }
  return { accepted, rejected };
}

function rowsLeft(request: readonly unknown[], queue: readonly (readonly unknown[])[]): number {
  return request.length + queue.reduce((n, r) => n + r.length, 0);
}
