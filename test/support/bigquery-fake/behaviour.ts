/**
 * How the fake behaves where BigQuery's documents allow several answers: each behaviour is on by
 * default, at the strict end of what the service may do, so code that works on the fake also works
 * when the service chooses that answer. Changeable while the fake runs (`fake.setBehaviour`, or
 * PUT /_fake/behaviour from another process). Unlike faults (./faults.ts), these are not errors: a
 * correct client sees the same data with every setting.
 */
export interface FakeBehaviour {
  /**
   * Compile every statement with ZetaSQL (./analyzer.ts) against the tables and views the fake holds,
   * with the request's declared parameters and default dataset, and refuse what it refuses: HTTP 400,
   * reason `invalidQuery`, ZetaSQL's message ("invalidQuery: 400. This error returns when you attempt
   * to run an invalid query", cloud.google.com/bigquery/docs/error-messages).
   */
  analyze: boolean;
  /**
   * Share of jobs.query calls answered `jobComplete: false`, without rows or schema: the query took
   * longer than the call's `timeoutMs` (10 s by default). "If the query has not yet completed,
   * jobComplete is false ... you can continue to wait for the query to complete by calling the
   * getQueryResults method until the jobComplete field in the getQueryResults response is true"
   * (cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query, request body `timeoutMs`).
   */
  slowQueryRate: number;
  /** Queries whose result has more rows than this are always slow (a large result takes long). */
  slowQueryRows: number;
  /**
   * Share of getQueryResults polls of a slow job answered `jobComplete: false` again: "the call is not
   * guaranteed to wait for the specified timeout" (cloud.google.com/bigquery/docs/reference/rest/v2/
   * jobs/getQueryResults, `timeoutMs`). A job stays incomplete for at most three polls.
   */
  incompletePollRate: number;
  /**
   * How long an insertId is remembered. "BigQuery uses the insertId property for de-duplication on a
   * best effort basis ... remembers this ID for at least one minute"
   * (cloud.google.com/bigquery/docs/streaming-data-into-bigquery#dataconsistency): one minute.
   */
  dedupeWindowMs: number;
  /**
   * Share of copies seen within the window that are stored anyway: de-duplication "is not
   * guaranteed", and "in the rare instance of a Google datacenter losing connectivity unexpectedly,
   * automatic deduplication may not be possible" (same section).
   */
  dedupeMissRate: number;
  /**
   * Bytes of rows in one page of query results. jobs.query `maxResults`: "In addition to this limit,
   * responses are also limited to 10 MB. By default, there is no maximum row count, and only the byte
   * limit applies" (cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query).
   */
  maxPageBytes: number;
}

export const STRICT: FakeBehaviour = {
  analyze: true,
  slowQueryRate: 0.3,
  slowQueryRows: 1000,
  incompletePollRate: 0.5,
  dedupeWindowMs: 60_000,
  dedupeMissRate: 0.05,
  maxPageBytes: 10 * 1024 * 1024,
};
