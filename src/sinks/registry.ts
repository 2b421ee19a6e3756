import { existsSync } from 'node:fs';
import { ConfigError, InternalError, NotAWarehouseError } from '../core/errors.ts';
import type { PartitionRow } from '../partition/plan.ts';
import type { BigQueryTarget } from './bigquery/sink.ts';
import { liveHost } from './host/host-file.ts';
import { RemoteSink } from './host/remote-sink.ts';
import type { Queryable, Sink, SinkOptions } from './sink.ts';

/**
 * A parsed SINK value: the embedded DuckDB file, a warehouse host that owns one (a fleet's) with the
 * fleet's secret (HOST_SECRET), or a BigQuery dataset with the connection settings to reach it.
 */
export type SinkUri = { kind: 'duckdb'; path: string } | { kind: 'host'; url: string; secret?: string | undefined } | ({ kind: 'bigquery' } & BigQueryTarget);

/** A sink that can also answer read-only SQL (monitoring, export, summaries). */
export type Warehouse = Sink & Queryable;

/** A SINK as its sink describes itself (`duckdb:./friendfleet.duckdb`), without opening it. */
export function describeSink(uri: SinkUri): string {
  return uri.kind === 'duckdb' ? `duckdb:${uri.path}` : uri.kind === 'host' ? `host:${uri.url}` : `bigquery:${uri.project}.${uri.dataset}`;
}

/** Opens (and prepares) the warehouse a SINK names. */
export async function openSink(uri: SinkUri, options: SinkOptions = {}): Promise<Warehouse> {
  const sink =
    uri.kind === 'duckdb'
      ? new (await duckDbSink()).DuckDbSink(uri.path, options)
      : uri.kind === 'host'
        ? new RemoteSink({ url: uri.url, secret: hostSecret(uri) }, options)
        : new (await bigQuerySink())(uri, options);
  await sink.open();
  return sink;
}

/** The secret a host target carries: settings are checked at the edge (config/warehouse.ts), so none here is a bug. */
function hostSecret(uri: { url: string; secret?: string | undefined }): string {
  if (uri.secret === undefined) throw new InternalError(`host:${uri.url} given without the fleet's secret`);
  return uri.secret;
}

/** A warehouse opened to read it: SQL, and its stored plan. */
export type WarehouseReader = Queryable & Pick<Sink, 'description' | 'latestPlan' | 'close'>;

/**
 * Opens a warehouse to read it (monitor, export, plan, a trial's summary), never creating or changing
 * one: a DuckDB file is opened read-only, and one that does not exist is a bad SINK. A file owned by a
 * running fleet's host is locked against other processes, so it is read through that host instead.
 */
export async function openForReading(uri: SinkUri): Promise<WarehouseReader> {
  if (uri.kind !== 'duckdb') return openSink(uri);
  const host = liveHost(uri.path);
  if (host) return openSink({ kind: 'host', ...host });
  if (!existsSync(uri.path)) {
    throw new ConfigError('SINK', `SINK names duckdb:${uri.path}, which does not exist (this command reads a warehouse and never creates one; collect, trial or fleet creates it)`);
  }
  return (await duckDbReader()).open(uri.path);
}

/**
 * The newest stored bucket plan, read without creating or changing anything: a worker checks its
 * bucket settings against it before any work, and a warehouse that does not exist yet has no plan,
 * nor does a DuckDB file the worker has yet to make one (it has no partitions table).
 */
export async function readPlan(uri: SinkUri): Promise<PartitionRow[]> {
  if (uri.kind === 'bigquery') return new (await bigQuerySink())(uri).latestPlan();
  if (uri.kind === 'duckdb' && !liveHost(uri.path) && !existsSync(uri.path)) return [];
  const reader = await openForReading(uri).catch((error: unknown) => {
    if (error instanceof NotAWarehouseError && error.missing.includes('partitions')) return undefined;
    throw error;
  });
  if (!reader) return [];
  try {
    return await reader.latestPlan();
  } finally {
    await reader.close();
  }
}

/**
 * The DuckDB sink's module, loaded only by a process that opens a DuckDB file itself: a worker writing
 * to a warehouse host or BigQuery never maps DuckDB's library (~30 MB resident once used).
 */
async function duckDbSink() {
  return import('./duckdb/sink.ts');
}

/** The DuckDB reader's module, loaded as the sink's is (only by a process that opens a file itself). */
async function duckDbReader() {
  return (await import('./duckdb/reader.ts')).DuckDbReader;
}

/**
 * The BigQuery sink's module, loaded only by a process whose SINK is BigQuery: its client library
 * would otherwise sit in every worker's heap unused (connection.ts).
 */
async function bigQuerySink() {
  return (await import('./bigquery/sink.ts')).BigQuerySink;
}
