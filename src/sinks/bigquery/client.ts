import { BigQuery } from '@google-cloud/bigquery';
import { JWT } from 'google-auth-library';
import type { BigQueryConnection, ServiceAccountKey } from './connection.ts';

export { DEFAULT_CONNECTION, NAME, PROJECT_ID, tableName, type BigQueryConnection, type DatasetRef, type ServiceAccountKey, type TableRef } from './connection.ts';

const SCOPE = 'https://www.googleapis.com/auth/bigquery';

/**
 * A service account signs its own short-lived tokens with its key ("self-signed JWT with scope", as
 * Google's generated client libraries do for service accounts) instead of trading a signed assertion
 * for an access token at oauth2.googleapis.com: one request less per hour, and the same path whether
 * the API is Google's or a local stand-in, so the tests exercise the real credential handling.
 */
function serviceAccountAuth(key: ServiceAccountKey): JWT {
  const jwt = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [SCOPE] });
  jwt.useJWTAccessWithScope = true;
  return jwt;
}

export interface ClientOptions {
  /**
   * Whether the client retries failed requests itself. The streaming sink retries on its own terms
   * (same insertIds, its own backoff, a shutdown deadline), so its client does not.
   */
  autoRetry: boolean;
}

/** A `@google-cloud/bigquery` client for `project`, authenticated as the connection says. */
export function createClient(project: string, connection: BigQueryConnection, options: ClientOptions): BigQuery {
  return new BigQuery({
    projectId: project,
    location: connection.location,
    ...(connection.credentials ? { authClient: serviceAccountAuth(connection.credentials) } : connection.keyFile ? { keyFilename: connection.keyFile } : {}),
    ...(connection.apiEndpoint ? { apiEndpoint: connection.apiEndpoint } : {}),
    autoRetry: options.autoRetry,
    ...(options.autoRetry ? {} : { maxRetries: 0 }),
    // No `timeout`: the client passes it to node-fetch 3, which ignores it. Callers time requests
    // themselves (insert-all.ts answerWithin).
  });
}
