import { existsSync, readFileSync } from 'node:fs';
import type { PartitionRow } from '../partition/plan.ts';
import type { BigQueryTarget } from './bigquery/sink.ts';
import { hostFileOf } from './host/host-file.ts';
import { RemoteSink } from './host/remote-sink.ts';
import type { Queryable, Sink, SinkOptions } from './sink.ts';

/**
 * A parsed SINK value: the embedded DuckDB file, a warehouse host that owns one (a fleet's), or a
 * BigQuery dataset with the connection settings to reach it.
 */
export type SinkUri = { kind: 'duckdb'; path: string } | { kind: 'host'; url: string } | ({ kind: 'bigquery' } & BigQueryTarget);

/** A sink that can also answer read-only SQL (monitoring, export, summaries). */
export type Warehouse = Sink & Queryable;

/** Opens (and prepares) the warehouse a SINK names. */
export async function openSink(uri: SinkUri, options: SinkOptions = {}): Promise<Warehouse> {
  const sink =
    uri.kind === 'duckdb' ? new (await duckDbSink()).DuckDbSink(uri.path, options) : uri.kind === 'host' ? new RemoteSink(uri.url, options) : new (await bigQuerySink())(uri, options);
  await sink.open();
  return sink;
}

/**
 * Opens a warehouse to read it (monitor, export, trial summary). A DuckDB file owned by a running
 * fleet's host is locked against other processes, so it is read through that host instead.
 */
export async function openForReading(uri: SinkUri): Promise<Warehouse> {
  if (uri.kind === 'duckdb') {
    const host = liveHost(uri.path);
    if (host) return openSink({ kind: 'host', url: host });
  }
  return openSink(uri);
}

/** The URL of the host that announced itself for this file, if its process is alive. */
function liveHost(dbPath: string): string | undefined {
  const file = hostFileOf(dbPath);
  if (!existsSync(file)) return undefined;
  try {
    const { url, pid } = JSON.parse(readFileSync(file, 'utf8')) as { url: string; pid: number };
    process.kill(pid, 0);
    return url;
  } catch {
    return undefined;
  }
}

/**
 * The newest stored bucket plan, read without creating or changing anything: a worker checks its
 * bucket settings against it before any work, and a warehouse that does not exist yet has no plan.
 */
export async function readPlan(uri: SinkUri): Promise<PartitionRow[]> {
  if (uri.kind === 'bigquery') return new (await bigQuerySink())(uri).latestPlan();
  if (uri.kind === 'host' || liveHost(uri.path)) {
    const sink = await openForReading(uri);
    try {
      return await sink.latestPlan();
    } finally {
      await sink.close();
    }
  }
  if (!existsSync(uri.path)) return [];
  return (await duckDbSink()).readDuckDbPlan(uri.path);
}

/**
 * The DuckDB sink's module, loaded only by a process that opens a DuckDB file itself: a worker writing
 * to a warehouse host or BigQuery never maps DuckDB's library (~30 MB resident once used).
 */
async function duckDbSink() {
  return import('./duckdb/sink.ts');
}

/**
 * The BigQuery sink's module, loaded only by a process whose SINK is BigQuery: its client library
 * would otherwise sit in every worker's heap unused (connection.ts).
 */
async function bigQuerySink() {
  return (await import('./bigquery/sink.ts')).BigQuerySink;
}
