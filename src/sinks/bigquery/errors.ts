import { FriendfleetError } from '../../core/errors.ts';

/**
 * What a failed BigQuery call means for the caller, read from the client's errors by their fields
 * (HTTP status, reason, network error code), never from their messages.
 * - `retryable`: 5xx, 429, timeouts, connection errors; the same request may succeed later.
 * - `too_large`: the request body is over BigQuery's limit; smaller requests will pass.
 * - `fatal`: the request can never succeed as made (bad credentials, no such table, no permission).
 */
export type FailureKind = 'retryable' | 'too_large' | 'fatal';

export interface BigQueryFailure {
  kind: FailureKind;
  /** HTTP status, when the API answered. */
  status: number | undefined;
  /** BigQuery's reason (`backendError`, `notFound`, …) or the network error's code. */
  reason: string | undefined;
  /**
   * One line for logs and error messages: status, reason and the API's message. Built from those
   * fields only: the client's error objects also carry the request (headers included) and must never
   * reach a log.
   */
  summary: string;
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/**
 * rateLimitExceeded and quotaExceeded (both 403) are limits on how fast a project may go, to wait out
 * with backoff (cloud.google.com/bigquery/docs/troubleshoot-quotas); for insertAll, quotaExceeded is
 * the streaming bytes-per-second quota.
 */
const RETRYABLE_REASONS = new Set(['backendError', 'internalError', 'rateLimitExceeded', 'quotaExceeded', 'timeout', 'stopped']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface ClientError {
  code?: unknown;
  status?: unknown;
  type?: unknown;
  errno?: unknown;
  message?: unknown;
  errors?: { reason?: string; message?: string }[];
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function classifyFailure(error: unknown): BigQueryFailure {
  if (error instanceof QueryFailed) return error.failure;
  const e = (error ?? {}) as ClientError;
  const status = typeof e.code === 'number' ? e.code : typeof e.status === 'number' ? e.status : undefined;
  const reason = e.errors?.find((x) => x.reason)?.reason ?? (typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : undefined);
  const message = oneLine(typeof e.message === 'string' ? e.message : String(error));
  const summary = `${status ? `HTTP ${status} ` : ''}${reason ? `${reason}: ` : ''}${message}`;
  let kind: FailureKind;
  if (status === 413 || (status === 400 && /payload size exceeds|request.*too large/i.test(message))) kind = 'too_large';
  else if (status !== undefined) kind = RETRYABLE_STATUS.has(status) || (reason !== undefined && RETRYABLE_REASONS.has(reason)) ? 'retryable' : 'fatal';
  else if (e.type === 'request-timeout' || e.type === 'system' || (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) || /socket hang up|network timeout/i.test(message)) kind = 'retryable';
  else kind = 'fatal';
  return { kind, status, reason, summary };
}

/** A query BigQuery refused or could not run (code FF_BIGQUERY_QUERY); `failure` says how (status, reason). */
export class QueryFailed extends FriendfleetError {
  readonly failure: BigQueryFailure;
  constructor(message: string, failure: BigQueryFailure) {
    super('FF_BIGQUERY_QUERY', message);
    this.failure = failure;
  }
}
