/**
 * What a chaos scenario runs against: a source (a wire format the sim speaks) and a sink (a warehouse).
 * Scenarios are written against these two interfaces only, so a new source or sink joins every
 * scenario that applies to it by adding a row here (the BigQuery fake of issue 4; the X API v2 and
 * Bluesky sources of issue 5), not by adding code paths to the scenarios.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { IdKind } from '../../src/ids.ts';
import type { SimGraph } from '../../src/sim/graph.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { startHost, type RunningHost } from '../../src/sinks/host/server.ts';
import { openSink } from '../../src/sinks/registry.ts';
import type { SourceName } from '../../src/sources/source.ts';
import type { StoredRow } from '../support/truth.ts';

export interface SourceTarget {
  /** The SOURCE value. */
  readonly name: SourceName;
  /** Accounts on a full page: a looping cursor shows only for users with more than one page. */
  readonly pageSize: number;
  readonly idKind: IdKind;
  /** Settings its workers need besides SOURCE and SOURCE_URL (a bearer token, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** Writes the sim's users table as this source's workers read it (IDs and names or handles). */
  writeUsers(graph: SimGraph, path: string): Promise<unknown>;
}

export const SOURCES: readonly SourceTarget[] = [
  { name: 'twitter-html', pageSize: 20, idKind: 'numeric', env: {}, writeUsers: (graph, path) => writeUsersFile(graph, path) },
];

/** A warehouse opened for one scenario. Read it only while no worker writes to it directly. */
export interface SinkHandle {
  /** The SINK value workers get (it changes when the warehouse restarts). */
  readonly uri: string;
  /** The DuckDB file the rows end up in, when there is one (the disk-fault scenarios fill its disk). */
  readonly file: string | undefined;
  /** Runs a read-only query; no rows when the warehouse was never created. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Starts again what holds the warehouse, as a restarted fleet would (after a fault it cannot outlive). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface SinkTarget {
  readonly name: string;
  /** Whether several worker processes can write at once (a DuckDB file locks out every other process). */
  readonly sharedByProcesses: boolean;
  /** Opens a warehouse whose data lives under `dir`. */
  open(dir: string): Promise<SinkHandle>;
}

/** A DuckDB file read without creating or changing anything (a worker that never ran leaves none). */
async function readDuckDb(file: string, sql: string): Promise<Record<string, unknown>[]> {
  if (!existsSync(file)) return [];
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const duckdb: SinkTarget = {
  name: 'duckdb',
  sharedByProcesses: false,
  async open(dir) {
    const file = join(dir, 'warehouse.duckdb');
    return { uri: `duckdb:${file}`, file, query: (sql) => readDuckDb(file, sql), restart: async () => undefined, close: async () => undefined };
  },
};

/** The local fleet's warehouse host (`friendfleet fleet` runs one): workers write over loopback HTTP. */
const fleetHost: SinkTarget = {
  name: 'fleet-host',
  sharedByProcesses: true,
  async open(dir) {
    const file = join(dir, 'warehouse.duckdb');
    let host: RunningHost | undefined = await startHost(file);
    return {
      get uri() {
        return `host:${host!.url}`;
      },
      file,
      async query(sql) {
        const reader = await openSink({ kind: 'host', url: host!.url });
        try {
          return await reader.query(sql);
        } finally {
          await reader.close();
        }
      },
      async restart() {
        await host?.close().catch(() => undefined);
        host = await startHost(file);
      },
      async close() {
        await host?.close().catch(() => undefined);
        host = undefined;
      },
    };
  },
};

export const SINKS: readonly SinkTarget[] = [duckdb, fleetHost];

/** The latest row of every user, as the truth check reads them. */
export async function latestRows(sink: SinkHandle): Promise<StoredRow[]> {
  const rows = await sink.query(`SELECT user_id, status, friend_count, friend_names, friend_ids, truncated, pages, error FROM user_friends_latest`);
  return rows.map((r) => ({ ...r, user_id: String(r.user_id), friend_count: r.friend_count === null ? null : Number(r.friend_count), pages: Number(r.pages) }) as StoredRow);
}
