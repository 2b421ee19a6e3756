import { BigQueryDate, BigQueryDatetime, BigQueryTime, BigQueryTimestamp, type BigQuery, type Query } from '@google-cloud/bigquery';
import { SinkError } from '../../core/errors.ts';
import type { DatasetRef } from './client.ts';
import { classifyFailure, type BigQueryFailure } from './errors.ts';
import { answerWithin } from './within.ts';

/** Time one API call of a query (a page, a dry run, a metadata read) may take. */
export const CALL_TIMEOUT_MS = 120_000;

/** The call's result, or a retryable QueryFailed when it takes over `timeoutMs` (see answerWithin). */
export async function answered<R>(call: Promise<R>, what: string, timeoutMs = CALL_TIMEOUT_MS): Promise<R> {
  const outcome = await answerWithin(call, timeoutMs);
  if (outcome === 'timeout' || outcome === 'deadline') {
    const summary = `${what}: no answer within ${timeoutMs / 1000} s`;
    throw new QueryFailed(`BigQuery did not answer: ${summary}`, { kind: 'retryable', status: undefined, reason: 'timeout', summary });
  }
  return outcome.answer;
}

/** A query BigQuery refused or could not run; `failure` says how (status, reason). */
export class QueryFailed extends SinkError {
  readonly failure: BigQueryFailure;
  constructor(message: string, failure: BigQueryFailure) {
    super(message);
    this.failure = failure;
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

/**
 * Runs a query and yields its rows page by page (jobs.query, then jobs.getQueryResults with each page
 * token), so a large result never sits in memory at once.
 */
export async function* queryPages(client: BigQuery, sql: string, options: QueryOptions = {}): AsyncGenerator<Record<string, unknown>[]> {
  const params = options.params ?? {};
  const request: Query = {
    query: sql,
    params,
    types: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeOf(v)])),
    maxResults: options.pageRows ?? 10_000,
    wrapIntegers: { integerTypeCastFunction: (v: string) => BigInt(v) },
    ...(options.defaultDataset ? { defaultDataset: { projectId: options.defaultDataset.project, datasetId: options.defaultDataset.dataset } } : {}),
  };
  const fail = (error: unknown) => {
    const failure = classifyFailure(error);
    const hint = failure.status === 404 && options.notFoundHint ? ` (${options.notFoundHint})` : '';
    return new QueryFailed(`BigQuery query failed${options.what ? ` (${options.what})` : ''}: ${failure.summary}${hint}`, failure);
  };
  type Page = [Record<string, unknown>[], ({ job?: { getQueryResults(q: unknown): Promise<unknown> } } & Record<string, unknown>) | null | undefined, unknown];
  let page: Page;
  try {
    page = (await answered(client.query(request, { autoPaginate: false }), 'jobs.query')) as unknown as Page;
  } catch (error) {
    throw error instanceof QueryFailed ? error : fail(error);
  }
  for (;;) {
    const [rows, next] = page;
    yield rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plainValue(v)])));
    if (!next?.pageToken || !next.job) return;
    try {
      page = (await answered(next.job.getQueryResults(next), 'jobs.getQueryResults')) as Page;
    } catch (error) {
      throw error instanceof QueryFailed ? error : fail(error);
    }
  }
}

/** Runs a query and returns all its rows (for small results: monitoring views, plans). */
export async function queryAll(client: BigQuery, sql: string, options: QueryOptions = {}): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  for await (const rows of queryPages(client, sql, options)) all.push(...rows);
  return all;
}
