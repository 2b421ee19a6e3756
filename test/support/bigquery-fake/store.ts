import { randomUUID } from 'node:crypto';
import { DuckDBInstance, listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { MACROS, schemaOf, translate, type TableLayout } from './dialect.ts';

/** A BigQuery schema field as the REST API spells it. */
export interface FieldSchema {
  name: string;
  type: 'STRING' | 'INTEGER' | 'FLOAT' | 'BOOLEAN' | 'TIMESTAMP' | 'NUMERIC' | 'DATE';
  mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
}

/** A query's result as stored for paging: REST-encoded rows. */
export interface QueryResult {
  schema: { fields: FieldSchema[] } | undefined;
  /** DuckDB values; encoded per page, as the caller's timestamp format asks. */
  rows: unknown[][];
  statementType: string;
}

/** A row the fake rejected as BigQuery would, with BigQuery's reason. */
export interface RowError {
  reason: 'invalid';
  location: string;
  message: string;
}

/** The GoogleSQL parameter of a query (queryParameters in the REST request). */
export interface QueryParameter {
  name?: string;
  parameterType: { type: string };
  parameterValue: { value?: string | null };
}

/** The table or view a CREATE statement made (or, with IF NOT EXISTS, found). */
export interface CreatedTable {
  project: string;
  dataset: string;
  table: string;
  ifNotExists: boolean;
}

/** An HTTP-level error answered in Google's error format. */
export class ApiFault extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

function bqType(duckType: string): { type: FieldSchema['type']; repeated: boolean } {
  const t = duckType.toUpperCase();
  const repeated = t.endsWith('[]');
  const base = repeated ? t.slice(0, -2) : t;
  if (base === 'VARCHAR') return { type: 'STRING', repeated };
  if (/^(BIGINT|INTEGER|HUGEINT|SMALLINT|TINYINT|UBIGINT|UINTEGER)$/.test(base)) return { type: 'INTEGER', repeated };
  // GoogleSQL's 100.0 is a FLOAT64 literal; DuckDB types it DECIMAL. The product's SQL never means NUMERIC.
  if (/^(DOUBLE|FLOAT|DECIMAL.*)$/.test(base)) return { type: 'FLOAT', repeated };
  if (base === 'BOOLEAN') return { type: 'BOOLEAN', repeated };
  if (base.startsWith('TIMESTAMP')) return { type: 'TIMESTAMP', repeated };
  if (base === 'DATE') return { type: 'DATE', repeated };
  throw new ApiFault(400, 'invalidQuery', `the fake cannot return DuckDB type ${duckType}`);
}

function fieldsOf(names: string[], types: string[], required: boolean[] = []): FieldSchema[] {
  return names.map((name, i) => {
    const { type, repeated } = bqType(types[i]!);
    return { name, type, mode: repeated ? 'REPEATED' : required[i] ? 'REQUIRED' : 'NULLABLE' };
  });
}

/** A REST cell value (`{v}`) from a DuckDB value, in the timestamp format the request asked for. */
export function encodeValue(value: unknown, field: FieldSchema, int64Timestamps: boolean): unknown {
  if (field.mode === 'REPEATED') {
    // BigQuery has no NULL arrays: a NULL array reads as an empty one.
    const list = (value ?? []) as unknown[];
    return list.map((v) => ({ v: encodeValue(v, { ...field, mode: 'NULLABLE' }, int64Timestamps) }));
  }
  if (value === null || value === undefined) return null;
  switch (field.type) {
    case 'TIMESTAMP': {
      const ms = (value as Date).getTime();
      return int64Timestamps ? String(BigInt(ms) * 1000n) : (ms / 1000).toString();
    }
    case 'BOOLEAN':
      return value ? 'true' : 'false';
    case 'DATE':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    default:
      return String(value);
  }
}

const PARAM_TYPES: Record<string, string> = { STRING: 'VARCHAR', INT64: 'BIGINT', FLOAT64: 'DOUBLE', BOOL: 'BOOLEAN', TIMESTAMP: 'TIMESTAMPTZ' };

/**
 * The fake's storage: every dataset a DuckDB schema, every table a DuckDB table, in one in-memory
 * database. Rows arrive through insertAll (checked against the table's columns as BigQuery checks
 * them) and are read back by the SQL of queries, translated by ./dialect.ts.
 */
export class FakeStore {
  private readonly instance: DuckDBInstance;
  private readonly datasets = new Map<string, { location: string; created: number }>();
  private readonly layouts = new Map<string, TableLayout>();
  private readonly views = new Map<string, string>();
  private readonly results = new Map<string, QueryResult & { projectId: string; location: string }>();
  /** insertId → time first seen, per table: BigQuery's best-effort de-duplication. */
  private readonly seenInsertIds = new Map<string, Map<string, number>>();

  private constructor(instance: DuckDBInstance) {
    this.instance = instance;
  }

  static async create(): Promise<FakeStore> {
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    for (const macro of MACROS) await conn.run(macro);
    conn.closeSync();
    return new FakeStore(instance);
  }

  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    await this.turn.catch(() => undefined);
    this.instance.closeSync();
  }

  /**
   * One statement at a time: the fake serves many concurrent HTTP requests, and running them on
   * concurrent DuckDB connections crashed the process now and then (a native mutex assertion) when
   * inserts, catalog reads and DDL met. The fake does not need the throughput.
   */
  private turn: Promise<unknown> = Promise.resolve();

  private withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = async () => {
      if (this.closed) throw new ApiFault(503, 'backendError', 'the fake is shutting down');
      const conn = await this.instance.connect();
      try {
        return await fn(conn);
      } finally {
        conn.closeSync();
      }
    };
    const next = this.turn.catch(() => undefined).then(run);
    this.turn = next;
    return next;
  }

  hasDataset(project: string, dataset: string): boolean {
    return this.datasets.has(`${project}.${dataset}`);
  }

  datasetLocation(project: string, dataset: string): string | undefined {
    return this.datasets.get(`${project}.${dataset}`)?.location;
  }

  async createDataset(project: string, dataset: string, location: string): Promise<boolean> {
    if (this.hasDataset(project, dataset)) return false;
    await this.withConnection((c) => c.run(`CREATE SCHEMA IF NOT EXISTS ${schemaOf(project, dataset)}`));
    this.datasets.set(`${project}.${dataset}`, { location, created: Date.now() });
    return true;
  }

  /** Columns of a table or view, or undefined when it does not exist. */
  async describe(project: string, dataset: string, table: string): Promise<{ fields: FieldSchema[]; view: string | undefined; layout: TableLayout | undefined } | undefined> {
    if (!this.hasDataset(project, dataset)) return undefined;
    const rows = await this.withConnection(async (c) =>
      (
        await c.runAndReadAll(`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [
          `${project}.${dataset}`,
          table,
        ])
      ).getRowObjectsJS(),
    );
    if (rows.length === 0) return undefined;
    const fields = fieldsOf(
      rows.map((r) => String(r.column_name)),
      rows.map((r) => String(r.data_type)),
      rows.map((r) => r.is_nullable === 'NO'),
    );
    const key = `${project}.${dataset}.${table}`;
    return { fields, view: this.views.get(key), layout: this.layouts.get(key) };
  }

  /**
   * Runs one GoogleSQL statement. `defaultDataset` resolves unqualified names, as the REST request's
   * defaultDataset does. Returns the job ID its result is stored under.
   */
  async query(
    project: string,
    location: string,
    sql: string,
    params: readonly QueryParameter[],
    defaultDataset: { projectId?: string; datasetId: string } | undefined,
  ): Promise<{ jobId: string; result: QueryResult; created?: CreatedTable }> {
    if (defaultDataset && !this.hasDataset(defaultDataset.projectId ?? project, defaultDataset.datasetId)) {
      throw new ApiFault(404, 'notFound', `Not found: Dataset ${defaultDataset.projectId ?? project}:${defaultDataset.datasetId}`);
    }
    const { sql: duck, layout } = translate(sql, project);
    const bound: Record<string, DuckDBValue> = {};
    for (const p of params) {
      if (!p.name) throw new ApiFault(400, 'invalidQuery', 'the fake takes named query parameters only');
      const type = PARAM_TYPES[p.parameterType.type];
      if (!type) throw new ApiFault(400, 'invalidQuery', `the fake takes no ${p.parameterType.type} parameters`);
      bound[p.name] = p.parameterValue.value ?? null;
    }
    // Parameters arrive as strings; the statement casts them to their declared types.
    const typed = Object.keys(bound).reduce(
      (s, name) => s.replace(new RegExp(`\\$${name}\\b`, 'g'), `CAST($${name} AS ${PARAM_TYPES[params.find((p) => p.name === name)!.parameterType.type]})`),
      duck,
    );
    const result = await this.withConnection(async (c) => {
      if (defaultDataset) await c.run(`SET search_path = '${schemaOf(defaultDataset.projectId ?? project, defaultDataset.datasetId)},main'`);
      try {
        const reader = await c.runAndReadAll(typed, bound);
        return { names: reader.columnNames(), types: reader.columnTypes().map((t) => t.toString()), rows: reader.getRowsJS() as unknown[][] };
      } catch (error) {
        // BigQuery answers a query over a missing table with 404 notFound, not a compile error.
        const missing = /Table with name (\S+) does not exist/.exec((error as Error).message);
        if (missing) throw new ApiFault(404, 'notFound', `Not found: Table ${missing[1]} was not found in location ${location}`);
        throw new ApiFault(400, 'invalidQuery', `${(error as Error).message.split('\n')[0]} [fake: translated SQL: ${typed.replace(/\s+/g, ' ').slice(0, 400)}]`);
      }
    });
    const statement = sql.replace(/--[^\n]*/g, '');
    const statementType = /^\s*(CREATE|DROP|ALTER)\b/i.test(statement) ? (/^\s*CREATE\s+(OR\s+REPLACE\s+)?VIEW/i.test(statement) ? 'CREATE_VIEW' : 'CREATE_TABLE') : 'SELECT';
    const target = /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?`([^`]+)`/i.exec(statement)?.[1];
    let created: CreatedTable | undefined;
    if (target) {
      const parts = target.split('.');
      const [p, d, t] = parts.length === 3 ? parts : parts.length === 2 ? [project, ...parts] : [defaultDataset?.projectId ?? project, defaultDataset?.datasetId ?? '', target];
      const key = `${p}.${d}.${t}`;
      if (layout) this.layouts.set(key, layout);
      if (statementType === 'CREATE_VIEW') this.views.set(key, sql);
      created = { project: p!, dataset: d!, table: t!, ifNotExists: /^\s*CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\b/i.test(statement) };
    }
    const stored: QueryResult = {
      schema: statementType === 'SELECT' ? { fields: fieldsOf(result.names, result.types) } : undefined,
      rows: statementType === 'SELECT' ? result.rows : [],
      statementType,
    };
    const jobId = `job_${randomUUID().replaceAll('-', '')}`;
    this.results.set(jobId, { ...stored, projectId: project, location });
    return created ? { jobId, result: stored, created } : { jobId, result: stored };
  }

  result(jobId: string): (QueryResult & { projectId: string; location: string }) | undefined {
    return this.results.get(jobId);
  }

  /**
   * Stores the rows of one insertAll request. Rows whose insertId was seen within `dedupeWindowMs` are
   * acknowledged and dropped, unless `keepCopy` says this copy slips through, as BigQuery's best-effort
   * de-duplication does. Invalid rows are returned with BigQuery's reason; with `skipInvalidRows` false
   * one invalid row stops the whole request.
   */
  async insert(
    project: string,
    dataset: string,
    table: string,
    rows: readonly { insertId?: string; json: Record<string, unknown> }[],
    options: { skipInvalidRows: boolean; dedupeWindowMs: number; keepCopy?: () => boolean; rejectRow?: (json: Record<string, unknown>) => string | undefined },
  ): Promise<{ errors: Map<number, RowError[] | 'stopped'>; stored: number; deduplicated: number; copiesStored: number }> {
    const described = await this.describe(project, dataset, table);
    if (!described || described.view) throw new ApiFault(404, 'notFound', `Not found: Table ${project}:${dataset}.${table}`);
    const errors = new Map<number, RowError[] | 'stopped'>();
    rows.forEach((row, i) => {
      const problems = validate(row.json, described.fields);
      const injected = options.rejectRow?.(row.json);
      if (injected) problems.push({ reason: 'invalid', location: '', message: injected });
      if (problems.length > 0) errors.set(i, problems);
    });
    if (errors.size > 0 && !options.skipInvalidRows) {
      rows.forEach((_, i) => {
        if (!errors.has(i)) errors.set(i, 'stopped');
      });
      return { errors, stored: 0, deduplicated: 0, copiesStored: 0 };
    }
    const key = `${project}.${dataset}.${table}`;
    const seen = this.seenInsertIds.get(key) ?? new Map<string, number>();
    this.seenInsertIds.set(key, seen);
    const now = Date.now();
    const accepted: { insertId?: string; json: Record<string, unknown> }[] = [];
    let deduplicated = 0;
    const claimed: string[] = [];
    let copiesStored = 0;
    rows.forEach((row, i) => {
      if (errors.has(i)) return;
      const at = row.insertId === undefined ? undefined : seen.get(row.insertId);
      if (at !== undefined && now - at < options.dedupeWindowMs) {
        if (options.keepCopy?.()) {
          copiesStored++;
          accepted.push(row);
        } else deduplicated++;
        return;
      }
      accepted.push(row);
      if (row.insertId !== undefined) claimed.push(row.insertId);
    });
    // Claimed before the (asynchronous) append, so a copy arriving meanwhile is dropped; released if
    // the append fails: a failed request stores nothing and de-duplicates nothing.
    for (const id of claimed) seen.set(id, now);
    try {
      if (accepted.length > 0)
        await this.append(
          project,
          dataset,
          table,
          described.fields,
          accepted.map((r) => r.json),
        );
    } catch (error) {
      for (const id of claimed) seen.delete(id);
      throw error;
    }
    return { errors, stored: accepted.length, deduplicated, copiesStored };
  }

  private async append(project: string, dataset: string, table: string, fields: FieldSchema[], rows: Record<string, unknown>[]): Promise<void> {
    const values: DuckDBValue[] = [];
    const tuples = rows.map((json) => {
      const cells = fields.map((f) => {
        values.push(toDuck(json[f.name], f));
        const n = `$${values.length}`;
        if (f.mode === 'REPEATED') return `CAST(${n} AS VARCHAR[])`;
        if (f.type === 'TIMESTAMP') return `CAST(${n} AS TIMESTAMPTZ)`;
        if (f.type === 'INTEGER') return `CAST(${n} AS BIGINT)`;
        if (f.type === 'FLOAT') return `CAST(${n} AS DOUBLE)`;
        return n;
      });
      return `(${cells.join(', ')})`;
    });
    await this.withConnection((c) => c.run(`INSERT INTO ${schemaOf(project, dataset)}."${table}" (${fields.map((f) => `"${f.name}"`).join(', ')}) VALUES ${tuples.join(', ')}`, values));
  }

  /** Every stored row of a table, as JS values (for tests to assert on exactly what arrived). */
  async rows(project: string, dataset: string, table: string): Promise<Record<string, unknown>[]> {
    return this.withConnection(async (c) => (await c.runAndReadAll(`SELECT * FROM ${schemaOf(project, dataset)}."${table}"`)).getRowObjectsJS());
  }
}

/** A JSON value of a streamed row as a DuckDB parameter for its column. */
function toDuck(value: unknown, field: FieldSchema): DuckDBValue {
  if (value === undefined || value === null) return null;
  if (field.mode === 'REPEATED') {
    const items = (value as unknown[]).map((v) => String(v));
    // An empty list has no item type to bind; NULL (a field left out) reads back as [], as in BigQuery.
    return items.length === 0 ? null : listValue(items);
  }
  if (field.type === 'TIMESTAMP') return typeof value === 'number' ? new Date(value * 1000).toISOString() : String(value);
  if (field.type === 'BOOLEAN') return value === true || value === 'true';
  return String(value);
}

const INTEGER = /^-?[0-9]+$/;

/** BigQuery's checks of one streamed row against the table's columns. */
function validate(json: Record<string, unknown>, fields: FieldSchema[]): RowError[] {
  const problems: RowError[] = [];
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const key of Object.keys(json)) {
    if (!byName.has(key)) problems.push({ reason: 'invalid', location: key, message: `no such field: ${key}.` });
  }
  for (const f of fields) {
    const v = json[f.name];
    // A REPEATED field may be left out (it reads back as []), never set to null: the backend refuses
    // `{"repeated_col": null}` in insertAll's JSON (googleapis/google-cloud-python#10196, which made
    // that client leave such fields out instead).
    if (v === null && f.mode === 'REPEATED') {
      problems.push({ reason: 'invalid', location: f.name, message: `Only optional fields can be set to NULL. Field: ${f.name}; Value: NULL` });
      continue;
    }
    if (v === undefined || v === null) {
      if (f.mode === 'REQUIRED') problems.push({ reason: 'invalid', location: f.name, message: `Missing required field: ${f.name}.` });
      continue;
    }
    const scalars = f.mode === 'REPEATED' ? (Array.isArray(v) ? v : [Symbol('not an array')]) : [v];
    for (const s of scalars) {
      const ok =
        f.type === 'STRING'
          ? typeof s === 'string'
          : f.type === 'INTEGER'
            ? (typeof s === 'number' && Number.isSafeInteger(s)) || (typeof s === 'string' && INTEGER.test(s) && BigInt(s) < 1n << 63n && BigInt(s) >= -(1n << 63n))
            : f.type === 'FLOAT'
              ? typeof s === 'number' || (typeof s === 'string' && s.trim() !== '' && !Number.isNaN(Number(s)))
              : f.type === 'BOOLEAN'
                ? typeof s === 'boolean' || s === 'true' || s === 'false'
                : f.type === 'TIMESTAMP'
                  ? typeof s === 'number' || (typeof s === 'string' && !Number.isNaN(Date.parse(s)))
                  : true;
      if (!ok) {
        problems.push({ reason: 'invalid', location: f.name, message: `Cannot convert value to ${f.type.toLowerCase()}: ${JSON.stringify(s)?.slice(0, 40)} in field ${f.name}.` });
        break;
      }
    }
  }
  return problems;
}
