import type { SimResponse } from '../protocol.ts';

/** Answers of atproto's xrpc-server: JSON bodies, errors as `{"error": name, "message": text}`. */

const JSON_TYPE = 'application/json; charset=utf-8';

export function json(status: number, body: unknown, contentType = JSON_TYPE): SimResponse {
  return { status, contentType, body: JSON.stringify(body) };
}

export function xrpcError(status: number, error: string, message: string): SimResponse {
  return json(status, { error, message });
}

/**
 * A lexicon's `limit` parameter as xrpc-server checks it: an integer within [1, max], `fallback` when
 * absent; otherwise the 400 answer it gives.
 */
export function limitParam(query: URLSearchParams, max: number, fallback: number): number | SimResponse {
  const raw = query.get('limit');
  if (raw === null) return fallback;
  const limit = Number(raw);
  if (!Number.isInteger(limit)) return xrpcError(400, 'InvalidRequest', 'limit must be an integer');
  if (limit > max) return xrpcError(400, 'InvalidRequest', `limit can not be greater than ${max}`);
  if (limit < 1) return xrpcError(400, 'InvalidRequest', 'limit can not be less than 1');
  return limit;
}
