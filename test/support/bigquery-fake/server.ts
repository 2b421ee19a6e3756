import { createPublicKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { zetaSqlAnalyzer, type Analysis, type ParameterType } from './analyzer.ts';
import { authenticate } from './auth.ts';
import { STRICT, type FakeBehaviour } from './behaviour.ts';
import { SqlCatalog } from './catalog.ts';
import { FaultSchedule, NO_FAULTS, type FakeFaults } from './faults.ts';
import { seededRandom } from '../random.ts';
import { ApiFault, encodeValue, FakeStore, type QueryParameter, type QueryResult, type RowError } from './store.ts';

export { STRICT, type FakeBehaviour } from './behaviour.ts';
export { NO_FAULTS, type FakeFaults } from './faults.ts';

/**
 * A statement as it reached the fake: SQL, the types of its declared parameters, the request's default
 * dataset, and what the analyzer said (undefined when analysis was off). The SQL check
 * (test/bigquery-sql/) requires every one to have been analyzed and accepted.
 */
export interface CapturedStatement {
  project: string;
  sql: string;
  parameters: Record<string, ParameterType>;
  /** `project.dataset`, when the request named one. */
  defaultDataset: string | undefined;
  dryRun: boolean;
  analysis: { ok: true } | { ok: false; message: string } | undefined;
}

/** What the fake saw: tests assert on these, and on the stored rows. */
export interface FakeStats {
  insertCalls: number;
  /** Rows received in insertAll calls that were not failed whole (includes retried copies). */
  rowsReceived: number;
  rowsStored: number;
  rowsDeduplicated: number;
  rowsRejectedInvalid: number;
  /** Rows failed by injected partial failures (not stored; the client must send them again). */
  rowsFailedPartial: number;
  /** Copies stored although their insertId was seen within the window (de-duplication missed them). */
  copiesStored: number;
  injected: { error: number; partial: number; lostResponse: number; oversize: number; queryError: number; rateLimited: number; quotaExceeded: number };
  /** Largest insertAll body, and most rows in one call. */
  maxRequestBytes: number;
  maxRequestRows: number;
  queries: number;
  /** Pages of query results served (jobs.query answers and getQueryResults pages). */
  resultPages: number;
  /** Answers with `jobComplete: false` (jobs.query and getQueryResults). */
  incompleteAnswers: number;
  /** Statements the analyzer refused (answered 400 invalidQuery; a missing table 404 notFound). */
  statementsRefused: number;
  /** SQL text of every query, in order (the tests check that IDs travel as parameters, never in SQL). */
  queryTexts: string[];
  /** Service accounts whose signed tokens the fake accepted. */
  principals: string[];
  /** insertAll calls waiting in a stall right now. */
  stalledCalls: number;
}

export interface FakeOptions {
  /** Service accounts allowed in: client_email → public key PEM. Without it, requests need no token. */
  serviceAccounts?: Record<string, string>;
  /** Changes to the strict behaviours (./behaviour.ts), which are all on otherwise. */
  behaviour?: Partial<FakeBehaviour>;
  seed?: number;
  port?: number;
}

/** What a statement run directly on the fake (`fake.execute`) is run with, as a jobs.query request. */
export interface ExecuteOptions {
  project: string;
  /** Named parameters: name → [GoogleSQL type, value]. */
  parameters?: Record<string, [string, string | null]>;
  defaultDataset?: { projectId?: string; datasetId: string };
}

export interface BigQueryFake {
  /** For the client's `apiEndpoint` option. */
  readonly url: string;
  readonly faults: FakeFaults;
  readonly behaviour: FakeBehaviour;
  readonly stats: FakeStats;
  readonly store: FakeStore;
  /** Every statement received, in order (jobs.query, jobs.insert, dry runs, `execute`). */
  readonly statements: CapturedStatement[];
  /** Replaces some faults; the rest keep their values. */
  setFaults(faults: Partial<FakeFaults>): void;
  /** Replaces some behaviours; the rest keep their values. */
  setBehaviour(behaviour: Partial<FakeBehaviour>): void;
  /**
   * Runs one statement as a jobs.query request would (analyzed, captured, stored), for a test's own
   * set-up: a researcher's users table. Rejects with the ApiFault the request would have got.
   */
  execute(sql: string, options: ExecuteOptions): Promise<void>;
  /** Holds insertAll calls until `resume`. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  413: 'INVALID_ARGUMENT',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** Google's JSON error body, as the client's ApiError reads it. */
function fail(res: ServerResponse, status: number, reason: string, message: string): void {
  send(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }], status: STATUS_NAMES[status] ?? 'UNKNOWN' } });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(body: Buffer): Record<string, unknown> {
  return body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
}

/** BigQuery's REST name of a query parameter's type, and its array element's. */
function parameterType(p: QueryParameter['parameterType']): ParameterType {
  const t = p as { type: string; arrayType?: QueryParameter['parameterType'] };
  return t.arrayType ? { type: t.type, arrayType: parameterType(t.arrayType) } : { type: t.type };
}

/** Bytes of one row in a page's JSON (`{"f":[{"v":…},…]},`). */
function rowBytes(row: { f: { v: unknown }[] }): number {
  return Buffer.byteLength(JSON.stringify(row)) + 1;
}

/**
 * A local stand-in for the BigQuery REST API (v2), speaking the endpoints `@google-cloud/bigquery`
 * calls: datasets (get, insert), tables (get), tabledata.insertAll, jobs.query, jobs.insert, jobs.get,
 * jobs.getQueryResults. Statements are checked by ZetaSQL (./analyzer.ts) against the tables and views
 * the fake holds, then rows are stored in DuckDB (./store.ts) and queries run there after a small
 * dialect translation (./dialect.ts). It behaves as strictly as BigQuery's documents allow
 * (./behaviour.ts); faults are injected per call (./faults.ts). Control endpoints for other processes:
 * GET /_fake/stats, GET /_fake/statements, PUT /_fake/faults, PUT /_fake/behaviour, POST /_fake/stall,
 * POST /_fake/resume.
 */
export async function startBigQueryFake(options: FakeOptions = {}): Promise<BigQueryFake> {
  const store = await FakeStore.create();
  const catalog = new SqlCatalog();
  const faults: FakeFaults = { ...NO_FAULTS, invalidUserIds: [] };
  const behaviour: FakeBehaviour = { ...STRICT, ...options.behaviour };
  const statements: CapturedStatement[] = [];
  const stats: FakeStats = {
    insertCalls: 0,
    rowsReceived: 0,
    rowsStored: 0,
    rowsDeduplicated: 0,
    rowsRejectedInvalid: 0,
    rowsFailedPartial: 0,
    copiesStored: 0,
    injected: { error: 0, partial: 0, lostResponse: 0, oversize: 0, queryError: 0, rateLimited: 0, quotaExceeded: 0 },
    maxRequestBytes: 0,
    maxRequestRows: 0,
    queries: 0,
    resultPages: 0,
    incompleteAnswers: 0,
    statementsRefused: 0,
    queryTexts: [],
    principals: [],
    stalledCalls: 0,
  };
  const keys = new Map(Object.entries(options.serviceAccounts ?? {}).map(([email, pem]) => [email, createPublicKey(pem)]));
  const draw = seededRandom(options.seed ?? 1);
  const schedule = () => new FaultSchedule(draw);
  const schedules = {
    error: schedule(),
    partial: schedule(),
    lost: schedule(),
    query: schedule(),
    rateLimit: schedule(),
    quota: schedule(),
    slow: schedule(),
    poll: schedule(),
    dedupeMiss: schedule(),
  };
  /** Slow jobs: getQueryResults polls still to answer `jobComplete: false`. */
  const pendingPolls = new Map<string, number>();
  let stallWaiters: (() => void)[] = [];
  let errorToggle = 0;

  const fake: BigQueryFake = {
    url: '',
    faults,
    behaviour,
    stats,
    store,
    statements,
    setFaults(partial) {
      Object.assign(faults, partial);
      if (!faults.stalled) fake.resume();
    },
    setBehaviour(partial) {
      Object.assign(behaviour, partial);
    },
    async execute(sql, request) {
      const queryParameters = Object.entries(request.parameters ?? {}).map(([name, [type, value]]) => ({ name, parameterType: { type }, parameterValue: { value } }));
      await runQuery(request.project, 'US', { query: sql, queryParameters, defaultDataset: request.defaultDataset }, false);
    },
    stall() {
      faults.stalled = true;
    },
    resume() {
      faults.stalled = false;
      const waiting = stallWaiters;
      stallWaiters = [];
      for (const w of waiting) w();
    },
    close: async () => undefined,
  };

  /**
   * One page of a job's result from row `start`: at most `max` rows (the request's maxResults) and
   * `behaviour.maxPageBytes` of rows (at least one row), with a page token when rows remain.
   */
  function page(res: ServerResponse, kind: string, jobId: string, result: QueryResult, projectId: string, location: string, start: number, max: number | undefined, int64Timestamps: boolean): void {
    stats.resultPages++;
    const fields = result.schema?.fields ?? [];
    const rows: { f: { v: unknown }[] }[] = [];
    let bytes = 0;
    for (let i = start; i < result.rows.length && rows.length < (max ?? Infinity); i++) {
      const row = { f: result.rows[i]!.map((v, c) => ({ v: encodeValue(v, fields[c]!, int64Timestamps) })) };
      bytes += rowBytes(row);
      if (rows.length > 0 && bytes > behaviour.maxPageBytes) break;
      rows.push(row);
    }
    const body: Record<string, unknown> = {
      kind,
      jobReference: { projectId, jobId, location },
      jobComplete: true,
      totalRows: String(result.rows.length),
      totalBytesProcessed: '0',
      cacheHit: false,
    };
    if (result.schema) body.schema = result.schema;
    if (rows.length > 0) body.rows = rows;
    if (start + rows.length < result.rows.length) body.pageToken = Buffer.from(String(start + rows.length)).toString('base64url');
    send(res, 200, body);
  }

  /** A job still running: no rows, no schema, no totals (jobs.query and getQueryResults answer so). */
  function incomplete(res: ServerResponse, kind: string, jobId: string, projectId: string, location: string): void {
    stats.incompleteAnswers++;
    send(res, 200, { kind, jobReference: { projectId, jobId, location }, jobComplete: false });
  }

  /**
   * Compiles one statement with ZetaSQL (when `behaviour.analyze`), records it, and runs it; a CREATE
   * the analyzer accepted adds its table or view, with the columns it resolved, to the catalog.
   */
  async function runQuery(projectId: string, location: string, request: Record<string, unknown>, dryRun: boolean): Promise<{ jobId: string; result: QueryResult }> {
    const sql = String(request.query ?? '');
    if (request.useLegacySql === true) throw new ApiFault(400, 'invalidQuery', 'the fake speaks GoogleSQL only (useLegacySql: false)');
    const params = (request.queryParameters ?? []) as QueryParameter[];
    const defaultDataset = request.defaultDataset as { projectId?: string; datasetId: string } | undefined;
    const captured: CapturedStatement = {
      project: projectId,
      sql,
      parameters: Object.fromEntries(params.map((p) => [p.name ?? '', parameterType(p.parameterType)])),
      defaultDataset: defaultDataset ? `${defaultDataset.projectId ?? projectId}.${defaultDataset.datasetId}` : undefined,
      dryRun,
      analysis: undefined,
    };
    statements.push(captured);
    stats.queries++;
    stats.queryTexts.push(sql);
    let analysis: Analysis | undefined;
    if (behaviour.analyze) {
      analysis = await (await zetaSqlAnalyzer()).analyze(sql, catalog.forRequest(projectId, defaultDataset), captured.parameters);
      captured.analysis = analysis.ok ? { ok: true } : { ok: false, message: analysis.message };
      if (!analysis.ok) {
        stats.statementsRefused++;
        // A missing table is BigQuery's 404 notFound, not a compile error.
        const missing = /^Table not found: `?([^`\s]+)`?/.exec(analysis.message)?.[1];
        if (missing) {
          const [p, d, t] = missing.split('.').length === 3 ? missing.split('.') : [projectId, ...(missing.includes('.') ? missing.split('.') : [defaultDataset?.datasetId, missing])];
          throw new ApiFault(404, 'notFound', `Not found: Table ${p}:${d}.${t} was not found in location ${location}`);
        }
        throw new ApiFault(400, 'invalidQuery', analysis.message);
      }
    }
    const ran = await store.query(projectId, location, dryRun ? `SELECT * FROM (${sql}) AS dry_run LIMIT 0` : sql, params, defaultDataset);
    const created = ran.created;
    // CREATE TABLE IF NOT EXISTS leaves a table that exists as it was, columns and all.
    if (created && analysis?.ok && analysis.kind !== 'query' && !(created.ifNotExists && catalog.has(created.project, created.dataset, created.table))) {
      catalog.define(created.project, created.dataset, created.table, analysis.columns);
    }
    return ran;
  }

  /** Answers a 403 quota error when the schedule says so (reasons as cloud.google.com/bigquery/docs/troubleshoot-quotas gives them). */
  function quotaFault(res: ServerResponse, streaming: boolean): boolean {
    if (schedules.rateLimit.hit(faults.rateLimitRate)) {
      stats.injected.rateLimited++;
      fail(
        res,
        403,
        'rateLimitExceeded',
        'Exceeded rate limits: too many api requests per user per method for this user_method. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas',
      );
      return true;
    }
    if (streaming && schedules.quota.hit(faults.quotaExceededRate)) {
      stats.injected.quotaExceeded++;
      fail(
        res,
        403,
        'quotaExceeded',
        'Quota exceeded: Your project exceeded quota for streaming insert bytes per second. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas',
      );
      return true;
    }
    return false;
  }

  async function insertAll(res: ServerResponse, project: string, dataset: string, table: string, raw: Buffer): Promise<void> {
    stats.insertCalls++;
    stats.maxRequestBytes = Math.max(stats.maxRequestBytes, raw.length);
    if (faults.stalled) {
      stats.stalledCalls++;
      await new Promise<void>((resolve) => stallWaiters.push(resolve));
      stats.stalledCalls--;
    }
    if (faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
    if (raw.length > faults.maxRequestBytes) {
      stats.injected.oversize++;
      return fail(res, 413, 'badRequest', `Request payload size exceeds the limit: ${faults.maxRequestBytes} bytes.`);
    }
    const body = json(raw) as { rows?: { insertId?: string; json: Record<string, unknown> }[]; skipInvalidRows?: boolean };
    const rows = body.rows ?? [];
    if (rows.length === 0) return fail(res, 400, 'invalid', 'No rows present in the request.');
    if (rows.length > 50_000) return fail(res, 400, 'invalid', 'too many rows present in the request, limit: 50000.');
    stats.maxRequestRows = Math.max(stats.maxRequestRows, rows.length);
    if (quotaFault(res, true)) return;
    if (schedules.error.hit(faults.insertErrorRate)) {
      stats.injected.error++;
      const status = errorToggle++ % 2 === 0 ? 500 : 503;
      return fail(
        res,
        status,
        status === 500 ? 'internalError' : 'backendError',
        status === 500 ? 'An internal error occurred and the request could not be completed.' : 'Visibility check was unavailable. Please retry the request.',
      );
    }
    stats.rowsReceived += rows.length;
    // A partial failure: some rows fail with a retryable per-row error and are not stored.
    const failing = new Set<number>();
    if (schedules.partial.hit(faults.partialFailureRate)) {
      stats.injected.partial++;
      // Rounded, so that a small retry of a few rows can pass even at a partial-failure rate of 1.
      const n = Math.round(rows.length * faults.partialRowShare);
      while (failing.size < Math.min(n, rows.length)) failing.add(Math.floor(draw() * rows.length));
      stats.rowsFailedPartial += failing.size;
    }
    const invalid = new Set(faults.invalidUserIds);
    const kept = rows.filter((_, i) => !failing.has(i));
    const keptIndex = rows.map((_, i) => i).filter((i) => !failing.has(i));
    const outcome = await store.insert(project, dataset, table, kept, {
      skipInvalidRows: body.skipInvalidRows === true,
      dedupeWindowMs: behaviour.dedupeWindowMs,
      keepCopy: () => schedules.dedupeMiss.hit(behaviour.dedupeMissRate),
      rejectRow: (row) => (invalid.has(String(row.user_id)) ? `Invalid value in field user_id: rejected by the fake's fault injection.` : undefined),
    });
    stats.rowsStored += outcome.stored;
    stats.rowsDeduplicated += outcome.deduplicated;
    stats.copiesStored += outcome.copiesStored;
    const insertErrors: { index: number; errors: (RowError | { reason: string; location: string; message: string })[] }[] = [];
    for (const [i, errs] of outcome.errors) {
      if (errs !== 'stopped') stats.rowsRejectedInvalid++;
      insertErrors.push({ index: keptIndex[i]!, errors: errs === 'stopped' ? [{ reason: 'stopped', location: '', message: '' }] : errs });
    }
    for (const i of failing) insertErrors.push({ index: i, errors: [{ reason: 'backendError', location: '', message: 'Backend error. Please retry the request.' }] });
    insertErrors.sort((a, b) => a.index - b.index);
    if (outcome.stored > 0 && schedules.lost.hit(faults.lostResponseRate)) {
      stats.injected.lostResponse++;
      return fail(res, 503, 'backendError', 'The service is currently unavailable.');
    }
    send(res, 200, insertErrors.length > 0 ? { kind: 'bigquery#tableDataInsertAllResponse', insertErrors } : { kind: 'bigquery#tableDataInsertAllResponse' });
  }

  function queryFault(res: ServerResponse): boolean {
    if (quotaFault(res, false)) return true;
    if (!schedules.query.hit(faults.queryErrorRate)) return false;
    stats.injected.queryError++;
    fail(res, 503, 'backendError', 'The service is currently unavailable.');
    return true;
  }

  function jobResource(projectId: string, jobId: string, location: string, configuration: unknown, statementType: string): Record<string, unknown> {
    const now = String(Date.now());
    return {
      kind: 'bigquery#job',
      id: `${projectId}:${location}.${jobId}`,
      jobReference: { projectId, jobId, location },
      configuration,
      statistics: { creationTime: now, startTime: now, endTime: now, query: { statementType } },
      status: { state: 'DONE' },
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const raw = await readBody(req);

    if (path.startsWith('/_fake/')) {
      if (method === 'GET' && path === '/_fake/stats') return send(res, 200, stats);
      if (method === 'GET' && path === '/_fake/statements') return send(res, 200, statements);
      if (method === 'PUT' && path === '/_fake/faults') {
        fake.setFaults(json(raw) as Partial<FakeFaults>);
        return send(res, 200, faults);
      }
      if (method === 'PUT' && path === '/_fake/behaviour') {
        fake.setBehaviour(json(raw) as Partial<FakeBehaviour>);
        return send(res, 200, behaviour);
      }
      if (method === 'POST' && path === '/_fake/stall') return void (fake.stall(), send(res, 200, faults));
      if (method === 'POST' && path === '/_fake/resume') return void (fake.resume(), send(res, 200, faults));
      return fail(res, 404, 'notFound', `no control endpoint ${method} ${path}`);
    }

    if (keys.size > 0) {
      const principal = authenticate(req.headers.authorization, keys);
      if (!principal) return fail(res, 401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
      if (!stats.principals.includes(principal)) stats.principals.push(principal);
    }

    const m = /^\/bigquery\/v2\/projects\/([^/]+)(\/.*)$/.exec(path);
    if (!m) return fail(res, 404, 'notFound', `Not found: ${path}`);
    const project = decodeURIComponent(m[1]!);
    const rest = m[2]!;
    let r: RegExpExecArray | null;

    if (method === 'POST' && rest === '/datasets') {
      const body = json(raw) as { datasetReference?: { datasetId?: string }; location?: string };
      const id = body.datasetReference?.datasetId;
      if (!id) return fail(res, 400, 'invalid', 'datasetReference.datasetId is required');
      const location = body.location ?? 'US';
      if (!(await store.createDataset(project, id, location))) return fail(res, 409, 'duplicate', `Already Exists: Dataset ${project}:${id}`);
      return send(res, 200, { kind: 'bigquery#dataset', id: `${project}:${id}`, datasetReference: { projectId: project, datasetId: id }, location });
    }
    if (method === 'GET' && (r = /^\/datasets\/([^/]+)$/.exec(rest))) {
      const id = decodeURIComponent(r[1]!);
      const location = store.datasetLocation(project, id);
      if (!location) return fail(res, 404, 'notFound', `Not found: Dataset ${project}:${id}`);
      return send(res, 200, { kind: 'bigquery#dataset', id: `${project}:${id}`, datasetReference: { projectId: project, datasetId: id }, location });
    }
    if (method === 'GET' && (r = /^\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(rest))) {
      const [dataset, table] = [decodeURIComponent(r[1]!), decodeURIComponent(r[2]!)];
      const described = await store.describe(project, dataset, table);
      if (!described) return fail(res, 404, 'notFound', `Not found: Table ${project}:${dataset}.${table}`);
      const body: Record<string, unknown> = {
        kind: 'bigquery#table',
        id: `${project}:${dataset}.${table}`,
        tableReference: { projectId: project, datasetId: dataset, tableId: table },
        type: described.view ? 'VIEW' : 'TABLE',
        schema: { fields: described.fields },
      };
      if (described.view) body.view = { query: described.view, useLegacySql: false };
      if (described.layout?.partitionField) body.timePartitioning = { type: 'DAY', field: described.layout.partitionField };
      if (described.layout?.clusterFields) body.clustering = { fields: described.layout.clusterFields };
      return send(res, 200, body);
    }
    if (method === 'POST' && (r = /^\/datasets\/([^/]+)\/tables\/([^/]+)\/insertAll$/.exec(rest))) {
      return insertAll(res, project, decodeURIComponent(r[1]!), decodeURIComponent(r[2]!), raw);
    }
    if (method === 'POST' && rest === '/queries') {
      if (queryFault(res)) return;
      const body = json(raw) as Record<string, unknown> & { location?: string; maxResults?: number; formatOptions?: { useInt64Timestamp?: boolean } };
      const location = body.location ?? 'US';
      const { jobId, result } = await runQuery(project, location, body, false);
      if (result.rows.length > behaviour.slowQueryRows || schedules.slow.hit(behaviour.slowQueryRate)) {
        let polls = 0;
        while (polls < 3 && schedules.poll.hit(behaviour.incompletePollRate)) polls++;
        pendingPolls.set(jobId, polls);
        return incomplete(res, 'bigquery#queryResponse', jobId, project, location);
      }
      return page(res, 'bigquery#queryResponse', jobId, result, project, location, 0, body.maxResults, body.formatOptions?.useInt64Timestamp === true);
    }
    if (method === 'GET' && (r = /^\/queries\/([^/]+)$/.exec(rest))) {
      if (queryFault(res)) return;
      const jobId = decodeURIComponent(r[1]!);
      const stored = aliases.get(jobId) ?? jobId;
      const result = store.result(stored);
      if (!result) return fail(res, 404, 'notFound', `Not found: Job ${project}:${jobId}`);
      const polls = pendingPolls.get(stored) ?? 0;
      if (polls > 0) {
        pendingPolls.set(stored, polls - 1);
        return incomplete(res, 'bigquery#getQueryResultsResponse', jobId, project, result.location);
      }
      const token = url.searchParams.get('pageToken');
      const start = token ? Number(Buffer.from(token, 'base64url').toString()) : Number(url.searchParams.get('startIndex') ?? 0);
      const max = url.searchParams.get('maxResults');
      return page(
        res,
        'bigquery#getQueryResultsResponse',
        jobId,
        result,
        project,
        result.location,
        start,
        max ? Number(max) : undefined,
        url.searchParams.get('formatOptions.useInt64Timestamp') === 'true',
      );
    }
    if (method === 'POST' && rest === '/jobs') {
      if (queryFault(res)) return;
      const body = json(raw) as { jobReference?: { jobId?: string; location?: string }; configuration?: { query?: Record<string, unknown>; dryRun?: boolean } };
      if (!body.configuration?.query) return fail(res, 400, 'invalid', 'the fake runs query jobs only');
      const location = body.jobReference?.location ?? 'US';
      if (body.configuration.dryRun) {
        // A dry run reads no data and answers the result's schema, as BigQuery's does.
        const { result } = await runQuery(project, location, body.configuration.query, true);
        const job = jobResource(project, body.jobReference?.jobId ?? 'dry_run', location, body.configuration, 'SELECT');
        (job.statistics as Record<string, unknown>).query = { statementType: 'SELECT', schema: result.schema, totalBytesProcessed: '0' };
        return send(res, 200, job);
      }
      const { jobId, result } = await runQuery(project, location, body.configuration.query, false);
      // The client names the job; keep its ID so getQueryResults finds the result.
      const named = body.jobReference?.jobId ?? jobId;
      if (named !== jobId) aliases.set(named, jobId);
      return send(res, 200, jobResource(project, named, location, body.configuration, result.statementType));
    }
    if (method === 'GET' && (r = /^\/jobs\/([^/]+)$/.exec(rest))) {
      const jobId = decodeURIComponent(r[1]!);
      const result = store.result(aliases.get(jobId) ?? jobId);
      if (!result) return fail(res, 404, 'notFound', `Not found: Job ${project}:${jobId}`);
      return send(res, 200, jobResource(project, jobId, result.location, {}, result.statementType));
    }
    return fail(res, 404, 'notFound', `the fake does not serve ${method} ${rest}`);
  }

  /** Job IDs the client chose (jobs.insert) → the ID the store keeps the result under. */
  const aliases = new Map<string, string>();

  const server: Server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (error instanceof ApiFault) return fail(res, error.status, error.reason, error.message);
      fail(res, 500, 'internalError', `fake: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      fake.resume();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  });
  return fake;
}
