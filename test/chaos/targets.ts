/**
 * What a chaos scenario runs against: a source (a wire format the sim speaks) and a sink (a warehouse).
 * Scenarios are written against these two interfaces only, so a new source or sink joins every
 * scenario that applies to it by adding a row here, not by adding code paths to the scenarios.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { IdKind } from '../../src/core/ids.ts';
import type { SimGraph } from '../../src/sim/graph.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import type { VariantUsers } from '../../src/sim/variants.ts';
import { setupBigQuery } from '../../src/sinks/bigquery/setup.ts';
import { BigQuerySink } from '../../src/sinks/bigquery/sink.ts';
import { startHost, type RunningHost } from '../../src/sinks/host/server.ts';
import { openSink } from '../../src/sinks/registry.ts';
import type { SourceName } from '../../src/sources/source.ts';
import { PROJECT, serviceAccount } from '../support/bigquery.ts';
import { startBigQueryFake, type FakeFaults, type FakeStats } from '../support/bigquery-fake/server.ts';
import type { StoredRow } from '../support/truth.ts';

export interface SourceTarget {
  /** The SOURCE value. */
  readonly name: SourceName;
  /** Accounts on a full page: a looping cursor shows only for users with more than one page. */
  readonly pageSize: number;
  readonly idKind: IdKind;
  /** Settings its workers need besides SOURCE and SOURCE_URL (a bearer token, ...). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The bucket (k of n) the source-fault scenarios collect, in each form: cheap in the short form,
   * and with lists long enough that some users need a second and a third page.
   */
  readonly bucket: { readonly short: readonly [number, number]; readonly full: readonly [number, number] };
  /** Writes the sim's users table as this source's workers read it (IDs and names or handles). */
  /** The sim's users table as this source reads it (`variants`: the running sim's, whose DIDs may differ). */
  writeUsers(graph: SimGraph, path: string, variants?: VariantUsers): Promise<unknown>;
}

/**
 * The scenario sims state no rate limit, so a source whose budget defaults to its documented one (15
 * requests per 15 minutes per X token, 3,000 per 5 minutes for Bluesky) gets one that never binds:
 * the suite tests faults, not the budget (test/integration/rate-limit.test.ts does).
 */
const UNBOUND_BUDGET = { RATE_LIMIT: '100000', RATE_WINDOW: '1s' };

export const SOURCES: readonly SourceTarget[] = [
  {
    name: 'twitter-html',
    pageSize: 20,
    idKind: 'numeric',
    env: {},
    // The newest bucket's lists are short (a few pages); a middle one's longer.
    bucket: { short: [40, 40], full: [10, 20] },
    writeUsers: (graph, path) => writeUsersFile(graph, path),
  },
  {
    name: 'twitter-api',
    pageSize: 1000,
    idKind: 'numeric',
    env: { TWITTER_BEARER_TOKEN: 'chaos-bearer-token', ...UNBOUND_BUDGET },
    // A page holds 1,000 accounts: only the older buckets have users with a second page.
    bucket: { short: [1, 40], full: [10, 20] },
    writeUsers: (graph, path) => writeUsersFile(graph, path),
  },
  {
    name: 'bluesky',
    pageSize: 100,
    idKind: 'opaque',
    env: UNBOUND_BUDGET,
    // Buckets are DID ranges, and DIDs are random: every bucket is a sample of all ages.
    bucket: { short: [40, 40], full: [10, 20] },
    writeUsers: (graph, path, variants) => writeUsersFile(graph, path, { naming: 'bluesky', variants }),
  },
];

/** Faults a warehouse stand-in injects into its writes (the BigQuery fake's: test/support/bigquery-fake/). */
export interface WriteFaults {
  /** Replaces some faults; the rest keep their values. */
  set(faults: Partial<FakeFaults>): void;
  /** Holds every write unanswered until `resume`. */
  stall(): void;
  resume(): void;
  stats(): FakeStats;
}

/** A warehouse opened for one scenario. Read it only while no worker writes to it directly. */
export interface SinkHandle {
  /**
   * The settings workers get to write here: SINK, and what reaching it takes (credentials, an API
   * endpoint, the dead-letter file). They change when the warehouse restarts.
   */
  readonly env: Readonly<Record<string, string>>;
  /** The DuckDB file the rows end up in, when there is one (the disk-fault scenarios fill its disk). */
  readonly file: string | undefined;
  /** Where rows the warehouse refuses as invalid go, for warehouses that can refuse rows. */
  readonly deadLetterFile: string | undefined;
  /** Fault injection into writes, for a warehouse stand-in that has it. */
  readonly faults: WriteFaults | undefined;
  /**
   * BigQuery has no NULL arrays: a NULL list reads back as []. The truth check then takes an empty
   * list where the embedded warehouse holds NULL (names of a user who is not `ok`, IDs of an empty list).
   */
  readonly nullListsReadEmpty: boolean;
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
    return (await conn.runAndReadAll(sql)).getRowObjectsJS();
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
    return {
      env: { SINK: `duckdb:${file}` },
      file,
      deadLetterFile: undefined,
      faults: undefined,
      nullListsReadEmpty: false,
      query: (sql) => readDuckDb(file, sql),
      restart: async () => undefined,
      close: async () => undefined,
    };
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
      get env() {
        return { SINK: `host:${host!.url}`, HOST_SECRET: host!.secret };
      },
      file,
      deadLetterFile: undefined,
      faults: undefined,
      nullListsReadEmpty: false,
      async query(sql) {
        const reader = await openSink({ kind: 'host', url: host!.url, secret: host!.secret });
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

/** One service account for every BigQuery fake of a run (an RSA key takes a moment to make). */
let account: ReturnType<typeof serviceAccount> | undefined;

/**
 * BigQuery, as the local fake of its REST API (test/support/bigquery-fake/): workers stream rows
 * through the real client with a service account's signed tokens; the dataset is made by `setup`.
 * Any number of workers may write at once, as to the real one.
 */
const bigquery: SinkTarget = {
  name: 'bigquery',
  sharedByProcesses: true,
  async open(dir) {
    account ??= serviceAccount();
    const fake = await startBigQueryFake({ serviceAccounts: { [account.key.client_email]: account.publicKey } });
    const dataset = 'chaos';
    const target = { project: PROJECT, dataset, connection: { credentials: account.key, apiEndpoint: fake.url, location: 'US' } };
    await setupBigQuery(target);
    const reader = new BigQuerySink(target);
    const deadLetterFile = join(dir, 'dead-letters.ndjson');
    return {
      env: { SINK: `bigquery:${PROJECT}.${dataset}`, GOOGLE_CREDENTIALS: account.json, BIGQUERY_API_ENDPOINT: fake.url, DEAD_LETTER_FILE: deadLetterFile },
      file: undefined,
      deadLetterFile,
      faults: { set: (f) => fake.setFaults(f), stall: () => fake.stall(), resume: () => fake.resume(), stats: () => structuredClone(fake.stats) },
      nullListsReadEmpty: true,
      query: (sql) => reader.query(sql),
      restart: async () => undefined,
      close: () => fake.close(),
    };
  },
};

export const SINKS: readonly SinkTarget[] = [duckdb, fleetHost, bigquery];

/** A row of user_friends as the truth check reads it; `nullListsReadEmpty` as the warehouse's handle says. */
export function asStored(r: Record<string, unknown>, nullListsReadEmpty = false): StoredRow {
  const list = (v: unknown, nullWhenEmpty: boolean) => (nullListsReadEmpty && nullWhenEmpty && Array.isArray(v) && v.length === 0 ? null : (v as string[] | null));
  return {
    user_id: String(r.user_id),
    status: String(r.status),
    friend_count: r.friend_count === null ? null : Number(r.friend_count),
    friend_names: list(r.friend_names, r.status !== 'ok'),
    friend_ids: list(r.friend_ids, true),
    truncated: Boolean(r.truncated),
    pages: Number(r.pages),
    error: (r.error ?? null) as string | null,
  };
}

/** The latest row of every user, as the truth check reads them. */
export async function latestRows(sink: SinkHandle): Promise<StoredRow[]> {
  const rows = await sink.query(`SELECT user_id, status, friend_count, friend_names, friend_ids, truncated, pages, error FROM user_friends_latest`);
  return rows.map((r) => asStored(r, sink.nullListsReadEmpty));
}
