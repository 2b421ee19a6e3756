import { BigQuery } from '@google-cloud/bigquery';
import { JWT } from 'google-auth-library';

/** A BigQuery dataset, as `bigquery:PROJECT.DATASET` names it. */
export interface DatasetRef {
  project: string;
  dataset: string;
}

/** A BigQuery table, as `bigquery:PROJECT.DATASET.TABLE` names it. */
export interface TableRef extends DatasetRef {
  table: string;
}

/**
 * Google Cloud project IDs: 6–30 lowercase letters, digits and hyphens, starting with a letter and not
 * ending with a hyphen. Dataset and table names are restricted to letters, digits and underscores, a
 * subset of what BigQuery allows that is safe to put between backticks in SQL (names cannot be query
 * parameters).
 */
export const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
export const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,1023}$/;

/** `project.dataset.table` between backticks, for SQL. Names cannot be query parameters, so each is checked. */
export function tableName(ref: DatasetRef, table: string): string {
  if (!PROJECT_ID.test(ref.project)) throw new Error(`not a Google Cloud project ID: ${JSON.stringify(ref.project)}`);
  for (const name of [ref.dataset, table]) if (!NAME.test(name)) throw new Error(`not a plain BigQuery name: ${JSON.stringify(name)}`);
  return `\`${ref.project}.${ref.dataset}.${table}\``;
}

/** A service account's key as Google issues it (the JSON file), or the parts friendfleet uses. */
export interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
}

/** How to reach BigQuery: credentials, endpoint and location, from the settings. */
export interface BigQueryConnection {
  /**
   * A service account's key: GOOGLE_CREDENTIALS, or the file GOOGLE_APPLICATION_CREDENTIALS names.
   * Without one, Application Default Credentials (`gcloud auth application-default login`, or the
   * metadata server on Google Cloud).
   */
  credentials?: ServiceAccountKey | undefined;
  /** A key file of another kind (authorized_user, external_account), left to google-auth-library. */
  keyFile?: string | undefined;
  /** BIGQUERY_API_ENDPOINT: an emulator, or the tests' fake. Default Google's. */
  apiEndpoint?: string | undefined;
  /** BIGQUERY_LOCATION: where the dataset lives and jobs run. */
  location: string;
}

export const DEFAULT_CONNECTION: BigQueryConnection = { location: 'US' };

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
