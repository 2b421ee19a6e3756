import { InternalError } from '../../core/errors.ts';

/*
 * How BigQuery tables are named and reached, apart from the client (client.ts): settings parsing needs
 * these in every process, the client library (@google-cloud/bigquery, google-auth-library: 3 MB of
 * a worker's live heap, and more of its resident set) only a process that talks to BigQuery.
 */

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
  if (!PROJECT_ID.test(ref.project)) throw new InternalError(`not a Google Cloud project ID: ${JSON.stringify(ref.project)}`);
  for (const name of [ref.dataset, table]) if (!NAME.test(name)) throw new InternalError(`not a plain BigQuery name: ${JSON.stringify(name)}`);
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
