import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../src/sinks/bigquery/client.ts';
import { classifyFailure, QueryFailed } from '../../../src/sinks/bigquery/errors.ts';
import { serviceAccount } from '../../support/bigquery.ts';

/** An error as the client raises it for an HTTP answer (ApiError: status in `code`, reasons in `errors`). */
function apiError(status: number, reason: string, message: string): Error {
  return Object.assign(new Error(message), { code: status, errors: [{ reason, message, domain: 'global' }] });
}

describe('classifyFailure: what a failed BigQuery call means, from its fields', () => {
  it.each([
    [503, 'backendError', 'retryable'],
    [500, 'internalError', 'retryable'],
    [502, 'badGateway', 'retryable'],
    [429, 'rateLimitExceeded', 'retryable'],
    [403, 'rateLimitExceeded', 'retryable'],
    [403, 'quotaExceeded', 'retryable'],
    [413, 'badRequest', 'too_large'],
    [400, 'invalidQuery', 'fatal'],
    [401, 'authError', 'fatal'],
    [403, 'accessDenied', 'fatal'],
    [404, 'notFound', 'fatal'],
    [409, 'duplicate', 'fatal'],
  ] as const)('HTTP %i %s is %s', (status, reason, kind) => {
    expect(classifyFailure(apiError(status, reason, 'what the API said'))).toEqual({ kind, status, reason, summary: `HTTP ${status} ${reason}: what the API said` });
  });

  it('reads a 400 whose message says the payload is too large as too large', () => {
    expect(classifyFailure(apiError(400, 'badRequest', 'Request payload size exceeds the limit: 10485760 bytes.')).kind).toBe('too_large');
  });

  it('takes connection errors and timeouts as retryable, by their codes and types', () => {
    for (const error of [
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('request to https://bigquery.googleapis.com failed'), { type: 'system', code: 'EAI_AGAIN', errno: 'EAI_AGAIN' }),
      Object.assign(new Error('network timeout at: https://bigquery.googleapis.com'), { type: 'request-timeout' }),
      new Error('socket hang up'),
    ]) {
      expect(classifyFailure(error).kind, error.message).toBe('retryable');
    }
  });

  it('takes anything else as fatal', () => {
    expect(classifyFailure(new TypeError('Cannot read properties of undefined'))).toEqual({ kind: 'fatal', status: undefined, reason: undefined, summary: 'Cannot read properties of undefined' });
    expect(classifyFailure(undefined).kind).toBe('fatal');
  });

  it('sums the failure up in one line from status, reason and message, never from the request it carries', () => {
    const error = Object.assign(apiError(503, 'backendError', `The service is\n  currently unavailable. ${'x'.repeat(400)}`), {
      response: { request: { headers: { authorization: 'Bearer ya29.secret-token' } } },
      config: { headers: { authorization: 'Bearer ya29.secret-token' } },
    });
    const { summary } = classifyFailure(error);
    expect(summary.startsWith('HTTP 503 backendError: The service is currently unavailable. xxx')).toBe(true);
    expect(summary).not.toContain('\n');
    expect(summary).not.toContain('secret');
    expect(summary.length).toBeLessThan(330);
  });

  it("gives a QueryFailed's own failure back", () => {
    const failure = { kind: 'retryable' as const, status: undefined, reason: 'timeout', summary: 'jobs.query: no answer within 120 s' };
    const error = new QueryFailed('BigQuery did not answer', failure);
    expect(error.code).toBe('FF_BIGQUERY_QUERY');
    expect(classifyFailure(error)).toBe(failure);
  });

  it("classifies the client's own error for a refused connection as retryable", async () => {
    // A port nothing listens on: the real client's real error, whatever shape its HTTP stack gives it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = createClient('friendfleet-test', { location: 'US', apiEndpoint: `http://127.0.0.1:${port}`, credentials: serviceAccount().key }, { autoRetry: false });
    const error = await client
      .dataset('d')
      .table('t')
      .insert([{ insertId: 'a', json: { x: 1 } }], { raw: true })
      .catch((e: unknown) => e);
    expect(classifyFailure(error)).toMatchObject({ kind: 'retryable', status: undefined });
  });
});
