/**
 * Google's SQL analyzer (ZetaSQL, the front end of BigQuery's GoogleSQL) as the tests' judge of the SQL
 * friendfleet sends to BigQuery. `@fivetrandevelopers/zetasql` ships ZetaSQL's local gRPC server as a
 * native executable (`lib/zetasql/remote_server.so` on linux x86-64) and a gRPC client for it; one
 * server runs per process, started on first use.
 *
 * The package's own `runServer` pipes the server's output into the caller's stdout and leaves the child
 * alive when the caller is killed, so the server is started here instead, under a `sh` that ends it
 * when this process's end of a pipe closes, however this process ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { ZetaSQLClient } from '@fivetrandevelopers/zetasql';

/** A GoogleSQL type as ZetaSQL's protocol spells it (`TypeProto`); kinds are TypeKind names or numbers. */
export interface ZetaType {
  typeKind: string | number;
  arrayType?: { elementType: ZetaType } | undefined;
}

export interface ZetaColumn {
  name: string;
  type: ZetaType;
}

/** A table or view as the analyzer's catalog (`SimpleCatalogProto`) holds it. */
export interface ZetaCatalog {
  name: string;
  table?: { name: string; column: ZetaColumn[] }[];
  catalog?: ZetaCatalog[];
  builtinFunctionOptions?: { languageOptions: typeof BIGQUERY_LANGUAGE };
}

export type Analysis =
  /** Accepted; for CREATE TABLE and CREATE VIEW, the columns the new table or view has. */
  | { ok: true; kind: 'query' | 'create_table' | 'create_view'; columns: ZetaColumn[] }
  /** Refused, with ZetaSQL's message (and where in the statement, `[at line:column]`). */
  | { ok: false; message: string };

/**
 * BigQuery's dialect as ZetaSQL language options: every feature of ZetaSQL's current language version,
 * plus the cross-version features BigQuery documents (window functions, CREATE TABLE's PARTITION BY,
 * CLUSTER BY and NOT NULL, NUMERIC/BIGNUMERIC, JSON, INTERVAL, GEOGRAPHY, RANGE, TABLESAMPLE, ...), in
 * external product mode (FLOAT64 and INT64 only, no INT32/UINT64), with QUALIFY reserved as BigQuery
 * reserves it (cloud.google.com/bigquery/docs/reference/standard-sql/lexical#reserved_keywords). The
 * statement kinds are those the BigQuery code sends: queries, CREATE TABLE and CREATE VIEW.
 */
const CROSS_VERSION_FEATURES = [
  'FEATURE_ANALYTIC_FUNCTIONS',
  'FEATURE_TABLESAMPLE',
  'FEATURE_TABLE_VALUED_FUNCTIONS',
  'FEATURE_CREATE_TABLE_FUNCTION',
  'FEATURE_GROUP_BY_ROLLUP',
  'FEATURE_CREATE_TABLE_PARTITION_BY',
  'FEATURE_CREATE_TABLE_CLUSTER_BY',
  'FEATURE_NUMERIC_TYPE',
  'FEATURE_CREATE_TABLE_NOT_NULL',
  'FEATURE_CREATE_TABLE_FIELD_ANNOTATIONS',
  'FEATURE_CREATE_TABLE_AS_SELECT_COLUMN_LIST',
  'FEATURE_GEOGRAPHY',
  'FEATURE_NAMED_ARGUMENTS',
  'FEATURE_BIGNUMERIC_TYPE',
  'FEATURE_JSON_TYPE',
  'FEATURE_INTERVAL_TYPE',
  'FEATURE_PARAMETERIZED_TYPES',
  'FEATURE_CREATE_TABLE_LIKE',
  'FEATURE_CREATE_VIEW_WITH_COLUMN_LIST',
  'FEATURE_CREATE_SNAPSHOT_TABLE',
  'FEATURE_CREATE_TABLE_COPY',
  'FEATURE_CREATE_MATERIALIZED_VIEW_PARTITION_BY',
  'FEATURE_CREATE_MATERIALIZED_VIEW_CLUSTER_BY',
  'FEATURE_JSON_ARRAY_FUNCTIONS',
  'FEATURE_JSON_VALUE_EXTRACTION_FUNCTIONS',
  'FEATURE_JSON_CONSTRUCTOR_FUNCTIONS',
  'FEATURE_RANGE_TYPE',
  'FEATURE_UNENFORCED_PRIMARY_KEYS',
  'FEATURE_FOREIGN_KEYS',
];

/** Filled in from the server's VERSION_CURRENT features when it starts. */
const BIGQUERY_LANGUAGE = {
  productMode: 'PRODUCT_EXTERNAL',
  enabledLanguageFeatures: [] as (string | number)[],
  supportedStatementKinds: ['RESOLVED_QUERY_STMT', 'RESOLVED_CREATE_TABLE_STMT', 'RESOLVED_CREATE_VIEW_STMT'],
  reservedKeywords: ['QUALIFY'],
};

/** Query parameter types as BigQuery's REST API names them → ZetaSQL type kinds. */
const PARAMETER_KINDS: Record<string, string> = {
  STRING: 'TYPE_STRING',
  INT64: 'TYPE_INT64',
  FLOAT64: 'TYPE_DOUBLE',
  BOOL: 'TYPE_BOOL',
  TIMESTAMP: 'TYPE_TIMESTAMP',
  DATE: 'TYPE_DATE',
  DATETIME: 'TYPE_DATETIME',
  TIME: 'TYPE_TIME',
  NUMERIC: 'TYPE_NUMERIC',
  BIGNUMERIC: 'TYPE_BIGNUMERIC',
  BYTES: 'TYPE_BYTES',
  JSON: 'TYPE_JSON',
};

/** A query parameter's type as jobs.query declares it (`queryParameters[].parameterType`). */
export interface ParameterType {
  type: string;
  arrayType?: ParameterType;
}

function parameterZetaType(p: ParameterType): ZetaType {
  if (p.type === 'ARRAY' && p.arrayType) return { typeKind: 'TYPE_ARRAY', arrayType: { elementType: parameterZetaType(p.arrayType) } };
  const kind = PARAMETER_KINDS[p.type];
  if (!kind) throw new Error(`no ZetaSQL type for query parameter type ${p.type}`);
  return { typeKind: kind };
}

/** A type from the analyzer's answer, without the fields it fills with nulls and empty lists. */
function plainType(t: { typeKind: string | number; arrayType?: { elementType: unknown } | null }): ZetaType {
  return t.arrayType ? { typeKind: t.typeKind, arrayType: { elementType: plainType(t.arrayType.elementType as ZetaType) } } : { typeKind: t.typeKind };
}

/** The value at `path` in the analyzer's answer (a resolved AST as nested objects), if there is one. */
function at(node: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((n, key) => (n as Record<string, unknown> | null | undefined)?.[key], node);
}

/** Reads what the analyzer resolved: the statement kind and, for CREATE TABLE or VIEW, the new columns. */
function describe(statement: unknown): Analysis {
  if (at(statement, 'resolvedQueryStmtNode')) return { ok: true, kind: 'query', columns: [] };
  const create = at(statement, 'resolvedCreateStatementNode');
  const table = at(create, 'resolvedCreateTableStmtBaseNode', 'resolvedCreateTableStmtNode', 'parent', 'columnDefinitionList') as { name: string; type: ZetaType }[] | undefined;
  if (table) return { ok: true, kind: 'create_table', columns: table.map((c) => ({ name: c.name, type: plainType(c.type) })) };
  const view = at(create, 'resolvedCreateViewBaseNode', 'resolvedCreateViewStmtNode', 'parent', 'outputColumnList') as { name: string; column: { type: ZetaType } }[] | undefined;
  if (view) return { ok: true, kind: 'create_view', columns: view.map((c) => ({ name: c.name, type: plainType(c.column.type) })) };
  return { ok: false, message: `the analyzer resolved a statement the BigQuery fake does not run (${Object.keys(statement ?? {}).join(', ')})` };
}

export interface SqlAnalyzer {
  /**
   * Resolves one statement against `catalog` (its tables and views, with their column types) with
   * these named parameters (`@name`) declared, as BigQuery compiles a jobs.query request.
   */
  analyze(sql: string, catalog: ZetaCatalog, parameters: Record<string, ParameterType>): Promise<Analysis>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts ZetaSQL's server on a free loopback port. `sh` runs it in the background and waits for EOF on
 * its stdin, then kills it: the pipe's other end is this process's, so the server ends with it.
 */
async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  // The package's names for its four builds, as its own runServer picks them.
  const build = `remote_server${process.arch.startsWith('arm') ? '_arm' : ''}${process.platform === 'darwin' ? '' : '.so'}`;
  const executable = join(dirname(createRequire(import.meta.url).resolve('@fivetrandevelopers/zetasql')), 'zetasql', build);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn('/bin/sh', ['-c', 'exec 3<&0; "$0" 127.0.0.1 "$1" > /dev/null 2>&1 & server=$!; (cat <&3 > /dev/null; kill $server 2> /dev/null) & wait $server', executable, String(port)], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.unref();
    (child.stdin as Socket).unref();
    const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
    ZetaSQLClient.init(port);
    const up = await Promise.race([ZetaSQLClient.getInstance().testConnection(), exited]);
    if (up === true) return { child, port };
    child.stdin?.end();
    if (attempt === 3) throw new Error(`ZetaSQL's server (${executable}) did not start on a loopback port`);
  }
}

let started: Promise<SqlAnalyzer> | undefined;

/** The process's ZetaSQL analyzer, started on first use and stopped when the process ends. */
export function zetaSqlAnalyzer(): Promise<SqlAnalyzer> {
  started ??= (async () => {
    await startServer();
    const client = ZetaSQLClient.getInstance();
    const current = await client.getLanguageOptions({ languageVersion: 'VERSION_CURRENT' });
    BIGQUERY_LANGUAGE.enabledLanguageFeatures = [...(current?.enabledLanguageFeatures ?? []), ...CROSS_VERSION_FEATURES];
    return {
      async analyze(sql, catalog, parameters) {
        try {
          const response = await client.analyze({
            options: {
              languageOptions: BIGQUERY_LANGUAGE,
              queryParameters: Object.entries(parameters).map(([name, type]) => ({ name, type: parameterZetaType(type) })),
              errorMessageMode: 'ERROR_MESSAGE_ONE_LINE',
            },
            simpleCatalog: { ...catalog, builtinFunctionOptions: { languageOptions: BIGQUERY_LANGUAGE } },
            sqlStatement: sql,
          } as Parameters<ZetaSQLClient['analyze']>[0]);
          return describe(response?.resolvedStatement);
        } catch (error) {
          const e = error as { code?: number; details?: string; message?: string };
          // 3 is gRPC's INVALID_ARGUMENT: the statement is wrong. Anything else is the server's trouble.
          if (e.code === 3) return { ok: false, message: e.details ?? String(error) };
          throw error;
        }
      },
    };
  })();
  return started;
}
