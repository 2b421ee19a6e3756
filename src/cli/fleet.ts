import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { USER_STATUSES, type UserStatus } from '../collector/result.ts';
import type { BucketProgress, RunTotals } from '../monitor/run-summary.ts';
import { loadSettings } from '../config/load.ts';
import { optionKeyOf, SETTINGS, type Setting } from '../config/settings.ts';
import { sourceSetup } from '../config/source-settings.ts';
import { ConfigError } from '../core/errors.ts';
import { createLogger } from '../core/log.ts';
import { keepSecret } from '../core/secrets.ts';
import { isLoopback, startHost } from '../sinks/host/server.ts';
import { openSink, type Warehouse } from '../sinks/registry.ts';
import { sharingWorkers } from './request-budget.ts';
import { BUCKET_SETTINGS, COLLECT_SETTINGS, HOST_SETTINGS } from '../config/collect-settings.ts';

/** The CLI entry (main.ts in src/, main.js in dist/), which each worker process runs. */
const MAIN = fileURLToPath(new URL(`./main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export interface FleetOptions {
  partitions: number;
  /** Times a crashed worker is started again, as Heroku restarts a crashed dyno. */
  restarts: number;
  /** Receives each line a worker writes to stderr (its pino log); by default workers write to ours. */
  onWorkerLine?: (partition: number, line: string) => void;
  /** Receives each bucket's progress every PROGRESS_INTERVAL, as the `fleet progress` log line gives it. */
  onProgress?: (buckets: readonly BucketProgress[]) => void;
}

export interface PartitionOutcome {
  partition_id: number;
  /** Worker processes started for the bucket (1 + restarts). */
  starts: number;
  exit_code: number | null;
  runs: number;
  users: number;
  pages: number;
  /** From the first run's start to the last run's end, in seconds. */
  wall_seconds: number;
}

export interface FleetOutcome {
  ok: boolean;
  partitions: PartitionOutcome[];
  /** Every run of the fleet together, for the summary line. */
  totals: RunTotals;
}

/** Exit code of a worker refused for its configuration: starting it again cannot help. */
const EXIT_BAD_INPUT = 2;

/**
 * A local fleet: one warehouse host owning the DuckDB file, and one `collect` process per bucket, each
 * with its own budget and concurrency as a dyno would have, writing through the host. Workers that
 * crash are started again (up to `restarts` times) and resume their bucket; SIGTERM is passed on to
 * every worker, which stops as a dyno does, and the host closes last.
 */
export async function runFleet(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, options: FleetOptions, log?: Logger): Promise<FleetOutcome> {
  // Validate every worker setting here, once, so a bad value stops the fleet before any process starts.
  const settings = loadSettings(COLLECT_SETTINGS, flags, env);
  sourceSetup(settings);
  if (settings.sink!.kind !== 'duckdb') throw new ConfigError('SINK', 'a fleet owns an embedded warehouse: SINK must be duckdb:PATH');
  for (const key of BUCKET_SETTINGS) {
    if (settings[key] !== undefined) throw new ConfigError(SETTINGS[key].env, `${SETTINGS[key].env} is set, but a fleet assigns each worker its bucket: unset it`);
  }
  if (!settings.users) throw new ConfigError('USERS', 'USERS (flag --users) is required');
  sharingWorkers(settings, options.partitions);
  const hostSettings = loadSettings(HOST_SETTINGS, flags, env);
  const listen = hostSettings.hostListen!;
  if (!isLoopback(listen.host) && settings.hostSecret === undefined) {
    throw new ConfigError('HOST_SECRET', `HOST_LISTEN=${listen.host}:${listen.port} reaches beyond this machine: set HOST_SECRET (32 characters or more), which the workers elsewhere need too`);
  }
  const exportDir = hostSettings.hostExportDir;
  if (exportDir !== undefined && !statSync(exportDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError('HOST_EXPORT_DIR', `HOST_EXPORT_DIR names ${exportDir}, which is not a folder`);
  }
  const logger = log ?? createLogger(settings.logLevel!);
  const startedAt = new Date();
  const host = await startHost(settings.sink!.path, { listen, secret: settings.hostSecret, exportDir });
  keepSecret(host.secret);
  logger.info({ host: host.url, database: settings.sink!.path, partitions: options.partitions }, 'fleet warehouse host started');

  const childEnv = workerEnv(flags, env, host);
  const children = new Map<number, ChildProcess>();
  const starts = new Map<number, number>();
  const exits = new Map<number, number | null>();
  let stopping = false;
  let refused = false;

  const start = (k: number) => {
    starts.set(k, (starts.get(k) ?? 0) + 1);
    const child = spawn(process.execPath, [MAIN, 'collect'], {
      env: { ...childEnv, PARTITION: String(k), PARTITIONS: String(options.partitions), WORKER: `${env.WORKER ?? 'fleet'}-${k}` },
      stdio: ['ignore', 'inherit', options.onWorkerLine ? 'pipe' : 'inherit'],
    });
    if (options.onWorkerLine) {
      const onLine = options.onWorkerLine;
      createInterface({ input: child.stderr! }).on('line', (line) => onLine(k, line));
    }
    children.set(k, child);
    logger.info({ partition: k, workerPid: child.pid, start: starts.get(k) }, 'fleet worker started');
    child.on('exit', (code, signal) => {
      children.delete(k);
      logger.info({ partition: k, workerPid: child.pid, code, signal }, 'fleet worker exited');
      if (code === EXIT_BAD_INPUT) refused = true;
      if (!stopping && code !== 0 && code !== EXIT_BAD_INPUT && !refused && starts.get(k)! <= options.restarts) {
        logger.warn({ partition: k, code, signal }, 'fleet worker crashed; starting it again (it resumes its bucket)');
        setTimeout(() => {
          if (!stopping) start(k);
          else exits.set(k, code);
        }, 1000);
        return;
      }
      exits.set(k, code);
    });
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.warn({ signal }, 'fleet stopping: passing the signal to every worker');
    for (const child of children.values()) child.kill('SIGTERM');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let reader: Warehouse | undefined;
  try {
    for (let k = 1; k <= options.partitions; k++) start(k);
    reader = await openSink({ kind: 'host', url: host.url, secret: host.secret });
    const progress = setInterval(() => void logProgress(reader!, startedAt, logger, options.onProgress), settings.progressInterval);
    progress.unref();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (exits.size === options.partitions || (refused && children.size === 0)) {
          clearInterval(check);
          resolve();
        } else if (refused && !stopping) {
          onSignal('SIGTERM');
        }
      }, 200);
    });
    clearInterval(progress);
    const { partitions, totals } = await summarise(reader, startedAt, options.partitions, starts, exits);
    return { ok: partitions.every((p) => p.exit_code === 0), partitions, totals: { ...totals, elapsedMs: Date.now() - startedAt.getTime() } };
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await reader?.close();
    await host.close();
  }
}

/**
 * The workers' environment: the fleet's own, plus its flags as env vars, pointed at the host. The
 * secret goes in the environment, which only the fleet's user can read, never on a command line.
 */
function workerEnv(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, host: { url: string; secret: string }): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const key of COLLECT_SETTINGS) {
    const s = SETTINGS[key] as Setting;
    const value = flags[optionKeyOf(s)];
    if (value !== undefined) out[s.env] = String(value);
  }
  // Platform index variables would not override PARTITION, but a fleet must not inherit them anyway.
  for (const name of ['DYNO', 'JOB_COMPLETION_INDEX', 'CLOUD_RUN_TASK_INDEX', 'CLOUD_RUN_TASK_COUNT']) delete out[name];
  out.SINK = `host:${host.url}`;
  out.HOST_SECRET = host.secret;
  out.PROGRESS = 'off';
  out.HEARTBEAT_INTERVAL ??= '5s';
  return out;
}

async function logProgress(reader: Warehouse, since: Date, log: Logger, onProgress: FleetOptions['onProgress']): Promise<void> {
  try {
    const rows = await reader.query(
      `SELECT partition_id, max(users_done) AS done, max(users_planned) AS planned
       FROM heartbeats WHERE beat_at >= CAST($1 AS TIMESTAMPTZ) GROUP BY partition_id ORDER BY partition_id`,
      [since.toISOString()],
    );
    const buckets = rows.map((r) => ({ partition: Number(r.partition_id), done: Number(r.done), planned: Number(r.planned) }));
    log.info({ partitions: buckets }, 'fleet progress');
    onProgress?.(buckets);
  } catch (error) {
    log.warn({ err: error }, 'fleet progress unavailable');
  }
}

async function summarise(
  reader: Warehouse,
  since: Date,
  partitions: number,
  starts: ReadonlyMap<number, number>,
  exits: ReadonlyMap<number, number | null>,
): Promise<{ partitions: PartitionOutcome[]; totals: Omit<RunTotals, 'elapsedMs'> }> {
  const rows = await reader.query(
    `SELECT partition_id, count(*) AS runs, sum(users_done) AS users, sum(pages) AS pages,
            date_diff('millisecond', min(started_at), max(coalesce(ended_at, recorded_at))) / 1000.0 AS wall_seconds
     FROM runs_latest WHERE started_at >= CAST($1 AS TIMESTAMPTZ) GROUP BY partition_id`,
    [since.toISOString()],
  );
  const byPartition = new Map(rows.map((r) => [Number(r.partition_id), r]));
  // Users by status from the rows themselves: a SIGKILLed worker's run record never got its counts.
  const statuses = await reader.query(`SELECT status, count(*) AS users, sum(coalesce(friend_count, 0)) AS friends FROM user_friends WHERE start_at >= CAST($1 AS TIMESTAMPTZ) GROUP BY status`, [
    since.toISOString(),
  ]);
  const byStatus = Object.fromEntries(USER_STATUSES.map((s) => [s, Number(statuses.find((r) => r.status === s)?.users ?? 0)])) as Record<UserStatus, number>;
  const totals = {
    byStatus,
    friends: statuses.reduce((n, r) => n + Number(r.friends ?? 0), 0),
    pages: rows.reduce((n, r) => n + Number(r.pages ?? 0), 0),
  };
  const outcomes = Array.from({ length: partitions }, (_, i) => {
    const k = i + 1;
    const r = byPartition.get(k);
    return {
      partition_id: k,
      starts: starts.get(k) ?? 0,
      exit_code: exits.get(k) ?? null,
      runs: Number(r?.runs ?? 0),
      users: Number(r?.users ?? 0),
      pages: Number(r?.pages ?? 0),
      wall_seconds: Number(r?.wall_seconds ?? 0),
    };
  });
  return { partitions: outcomes, totals };
}
