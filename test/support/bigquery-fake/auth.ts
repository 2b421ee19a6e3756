import { verify, type KeyObject } from 'node:crypto';

/**
 * Checks a self-signed service-account JWT (RS256, as google-auth-library signs it with the key's
 * private key): signature, issuer, expiry and the BigQuery scope. Returns the service account.
 */
export function authenticate(header: string | undefined, keys: Map<string, KeyObject>): string | undefined {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  if (!token) return undefined;
  const [h, p, s] = token.split('.');
  if (!h || !p || !s) return undefined;
  let claims: { iss?: string; exp?: number; scope?: string };
  try {
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return undefined;
  }
  const key = claims.iss ? keys.get(claims.iss) : undefined;
  if (!key || !verify('RSA-SHA256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return undefined;
  if (!claims.exp || claims.exp * 1000 < Date.now()) return undefined;
  if (!claims.scope?.split(' ').includes('https://www.googleapis.com/auth/bigquery')) return undefined;
  return claims.iss;
}
