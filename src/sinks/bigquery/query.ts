import { setTimeout as sleep } from 'node:timers/promises';
import { BigQueryDate, BigQueryDatetime, BigQueryTime, BigQueryTimestamp, type BigQuery, type Query } from '@google-cloud/bigquery';
import { backoffDelay, DEFAULT_BACKOFF } from '../../core/backoff.ts';
import type { DatasetRef } from './client.ts';
import { classifyFailure, QueryFailed } from './errors.ts';
import { answerWithin } from './within.ts';

/** Time one API call of a query (a page, a dry run, a metadata read) may take. */
export const CALL_TIMEOUT_MS = 120_000;

/** Attempts of one call while BigQuery answers that a rate or quota limit was reached. */
const LIMIT_ATTEMPTS = 5;
const LIMIT_REASONS = new Set(['rateLimitExceeded', 'quotaExceeded']);

/**
 * The result of `call`, made again after backoff (up to 5 attempts) while BigQuery answers 403
 * rateLimitExceeded or quotaExceeded, limits to wait out (cloud.google.com/bigquery/docs/troubleshoot-quotas):
 * the client retries 5xx and 429 itself, but decides from the HTTP status alone, so never these. A
 * call without an answer within `timeoutMs` fails as a retryable QueryFailed (see answerWithin).
 */
export async function answered<R>(call: () => Promise<R>, what: string, timeoutMs = CALL_TIMEOUT_MS): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    let outcome: { answer: R } | 'timeout' | 'deadline';
    try {
      outcome = await answerWithin(call(), timeoutMs);
    } catch (error) {
      if (attempt >= LIMIT_ATTEMPTS || !LIMIT_REASONS.has(classifyFailure(error).reason ?? '')) throw error;
      await sleep(backoffDelay(attempt, DEFAULT_BACKOFF));
      continue;
    }
    if (outcome === 'timeout' || outcome === 'deadline') {
      const summary = `${what}: no answer within ${timeoutMs / 1000} s`;
      throw new QueryFailed(`BigQuery did not answer: ${summary}`, { kind: 'retryable', status: undefined, reason: 'timeout', summary });
    }
    return outcome.answer;
  }
}

export type QueryParam = string | number | boolean | null;

export interface QueryOptions {
  /** Named parameters (`@name` in the SQL): values travel beside the SQL text, never inside it. */
  params?: Record<string, QueryParam>;
  /** Resolves unqualified table names (`trial_summary`) in this dataset. */
  defaultDataset?: DatasetRef;
  /** Rows per page. Default 10,000 (BigQuery also cuts a page at about 10 MB). */
  pageRows?: number;
  /** What the query is for, in error messages. */
  what?: string;
  /** Added to the error message when a table is not found (404). */
  notFoundHint?: string;
}

/** GoogleSQL type of a parameter value; null needs one too. */
function typeOf(value: QueryParam): string {
  if (typeof value === 'boolean') return 'BOOL';
  if (typeof value === 'number') return Number.isInteger(value) ? 'INT64' : 'FLOAT64';
  return 'STRING';
}

/**
 * A row as the client decoded it, in the shapes the DuckDB warehouse gives (so the code that reads
 * monitoring views is the same for both): INT64 as BigInt (the client's `wrapIntegers` with a BigInt
 * cast, never its default INT64 → number decoding, which loses digits past 2^53), TIMESTAMP as Date,
 * DATE/DATETIME/TIME as text.
 */
function plainValue(value: unknown): unknown {
  if (value instanceof BigQueryTimestamp) return new Date(value.value);
  if (value instanceof BigQueryDate || value instanceof BigQueryDatetime || value instanceof BigQueryTime) return value.value;
  if (Array.isArray(value)) return value.map(plainValue);
  return value;
}

/** One answer of the client's query calls: rows, the call for what comes next, and the API's response. */
type Page = [Record<string, unknown>[], { job?: { getQueryResults(q: unknown): Promise<unknown> }; pageToken?: string } | null | undefined, { jobComplete?: boolean } | undefined];

/**
 * Runs a query and yields its rows page by page (jobs.query, then jobs.getQueryResults), so a large
 * result never sits in memory at once. It reads on until the job is complete and no page token is
 * left: jobs.query answers `jobComplete: false` when the query outlives the call (10 s by default),
 * and so may getQueryResults, with no rows and no page token, and that is not the end of the result
 * (cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults). Each poll waits up to 10 s
 * on BigQuery's side, so polls follow each other without a pause. `maxResults` goes with every call,
 * not only the first: without it a page is cut at 10 MB of JSON only.
 */
export async function* queryPages(client: BigQuery, sql: string, options: QueryOptions = {}): AsyncGenerator<Record<string, unknown>[]> {
  const params = options.params ?? {};
  const maxResults = options.pageRows ?? 10_000;
  const request: Query = {
    query: sql,
    params,
    types: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeOf(v)])),
    maxResults,
    wrapIntegers: { integerTypeCastFunction: (v: string) => BigInt(v) },
    ...(options.defaultDataset ? { defaultDataset: { projectId: options.defaultDataset.project, datasetId: options.defaultDataset.dataset } } : {}),
  };
  const call = async (answer: () => Promise<unknown>, what: string): Promise<Page> => {
    try {
      return (await answered(answer, what)) as Page;
    } catch (error) {
      if (error instanceof QueryFailed) throw error;
      const failure = classifyFailure(error);
      const hint = failure.status === 404 && options.notFoundHint ? ` (${options.notFoundHint})` : '';
      throw new QueryFailed(`BigQuery query failed${options.what ? ` (${options.what})` : ''}: ${failure.summary}${hint}`, failure);
    }
  };
  // maxResults in the call options as well: the client polls an incomplete job with them.
  let page = await call(() => client.query(request, { autoPaginate: false, maxResults }), 'jobs.query');
  for (;;) {
    const [rows, next, response] = page;
    if (rows.length > 0) yield rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plainValue(v)])));
    const running = response?.jobComplete === false;
    if (!running && !next?.pageToken) return;
    if (!next?.job) {
      const summary = `the job ${running ? 'is still running' : 'has more rows'} but the client gave no way to read on`;
      throw new QueryFailed(`BigQuery query failed${options.what ? ` (${options.what})` : ''}: ${summary}`, { kind: 'retryable', status: undefined, reason: undefined, summary });
    }
    const job = next.job;
    page = await call(() => job.getQueryResults({ ...next, maxResults }), 'jobs.getQueryResults');
  }
}

/** Runs a query and returns all its rows (for small results: monitoring views, plans). */
export async function queryAll(client: BigQuery, sql: string, options: QueryOptions = {}): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  for await (const rows of queryPages(client, sql, options)) all.push(...rows);
  return all;
}
