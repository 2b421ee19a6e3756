import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Collector } from '../collector/collector.ts';
import type { RequestBudget } from '../collector/budget.ts';
import { createBudget } from '../collector/credential-budgets.ts';
import { DEFAULT_BACKOFF } from '../collector/backoff.ts';
import { RunStats, type StatsSnapshot } from '../collector/stats.ts';
import { describeSettings, loadSettings, type Settings } from '../config/load.ts';
import { sinkFrom, usersFrom } from '../config/warehouse.ts';
import type { SettingKey } from '../config/settings.ts';
import { sourceSetup } from '../config/source-settings.ts';
import { ConfigError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { HeartbeatWriter } from '../monitor/heartbeat.ts';
import { ProgressReporter, type ProgressMode } from '../monitor/progress.ts';
import { bucketCount, bucketRangeHint, bucketRequest, needsPlan, resolveBucket } from '../partition/assign.ts';
import type { Bucket } from '../partition/bucket.ts';
import { openSink, readPlan } from '../sinks/registry.ts';
import { toRow, toRunRecord, type RunInfo, type RunState } from '../sinks/row.ts';
import type { Sink } from '../sinks/sink.ts';
import { createSource, SOURCE_ID_KINDS } from '../sources/registry.ts';
import type { Source } from '../sources/source.ts';
import { describeReport } from '../users/report.ts';
import { StagedUserTable } from '../users/staged-table.ts';

export const COLLECT_SETTINGS = [
  'source',
  'sourceUrl',
  'twitterBearerToken',
  'twitterBearerTokens',
  'users',
  'usersQuery',
  'minUserId',
  'maxUserId',
  'partition',
  'partitions',
  'dyno',
  'jobCompletionIndex',
  'cloudRunTaskIndex',
  'cloudRunTaskCount',
  'usersLimit',
  'batchSize',
  'maxThreads',
  'rateLimit',
  'rateWindow',
  'maxFriends',
  'maxRetries',
  'maxAttempts',
  'requestTimeout',
  'sink',
  'googleCredentials',
  'googleApplicationCredentials',
  'bigqueryLocation',
  'bigqueryApiEndpoint',
  'deadLetterFile',
  'sinkBufferRows',
  'worker',
  'shutdownTimeout',
  'heartbeatInterval',
  'tier',
  'progress',
  'progressInterval',
  'logLevel',
] as const satisfies readonly SettingKey[];

export type CollectSettings = Settings<(typeof COLLECT_SETTINGS)[number]>;

export interface CollectIO {
  env: NodeJS.ProcessEnv;
  /** Whether a terminal is attached (chooses the progress bar in PROGRESS=auto). */
  isTTY: boolean;
  /** Install SIGTERM/SIGINT handlers for a graceful stop. */
  handleSignals: boolean;
  log?: Logger;
}

export interface CollectOutcome {
  runId: string | undefined;
  state: RunState | 'nothing_to_do';
  bucket: Bucket;
  stats: StatsSnapshot;
  sink: string;
}

/** Time the sink gets to store the last rows after in-flight users were let finish (see gracefulStop). */
export const FLUSH_GRACE_MS = 5_000;

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run-${t}-${randomBytes(3).toString('hex')}`;
}

/**
 * Shutdown in two steps: the first SIGTERM/SIGINT stops taking users and lets in-flight ones finish
 * for up to `timeoutMs`; then (or on a second signal) in-flight users are abandoned.
 */
function gracefulStop(collector: Collector, timeoutMs: number, log: Logger) {
  let interrupted = false;
  let stoppedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      collector.abort(`second ${signal}`);
      return;
    }
    interrupted = true;
    stoppedAt = Date.now();
    log.warn({ signal, shutdownTimeoutMs: timeoutMs }, 'stopping: no new users; in-flight users may finish');
    collector.stop();
    timer = setTimeout(() => {
      log.warn('shutdown timeout: abandoning in-flight users (the next run redoes them)');
      collector.abort('shutdown timeout');
    }, timeoutMs);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    get interrupted() {
      return interrupted;
    },
    /**
     * When rows must be stored by, after a signal: in-flight users get the shutdown timeout, the
     * flush FLUSH_GRACE_MS more (Heroku kills 30 s after SIGTERM; 20 s + 5 s by default).
     */
    get flushDeadline(): number | undefined {
      return interrupted ? stoppedAt + timeoutMs + FLUSH_GRACE_MS : undefined;
    },
    dispose() {
      if (timer) clearTimeout(timer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/**
 * One worker's run: validate settings, load the users table, find the bucket, skip users already
 * collected, collect the rest into the sink, record the run. Every bad setting throws a ConfigError
 * before any work.
 */
export async function runCollect(flags: Record<string, unknown>, io: CollectIO): Promise<CollectOutcome> {
  const settings = loadSettings(COLLECT_SETTINGS, flags, io.env);
  const setup = sourceSetup(settings);
  const usersLocation = usersFrom(settings);
  if (!usersLocation) {
    throw new ConfigError('USERS', 'USERS (flag --users) is required: a .csv or .ndjson file with a user_id column, duckdb:PATH#TABLE or bigquery:PROJECT.DATASET.TABLE (or USERS_QUERY)');
  }
  const sinkUri = sinkFrom(settings);
  const request = bucketRequest(settings);
  // A numbered bucket needs its count, from PARTITIONS or the stored plan: checked before any work.
  const plan = needsPlan(request) ? await readPlan(sinkUri) : [];
  if (needsPlan(request)) bucketCount(request, plan);
  const worker = settings.worker ?? io.env.DYNO ?? `${hostname()}-${process.pid}`;
  const log = (io.log ?? createLogger(settings.logLevel!)).child({ worker });

  const idKind = SOURCE_ID_KINDS[settings.source!];
  const users = await StagedUserTable.open(usersLocation, idKind, { range: bucketRangeHint(request, plan, idKind) });
  const stats = new RunStats();
  let sink: Sink | undefined;
  let source: Source | undefined;
  let budget: RequestBudget | undefined;
  try {
    const problems = describeReport(users.report);
    if (problems) log.warn({ report: users.report }, `users table: ${problems}`);
    sink = await openSink(sinkUri, {
      onAcknowledged: (rows) => (stats.usersSaved += rows.length),
      onDeadLettered: (rows) => (stats.deadLetters += rows),
      deadLetterFile: settings.deadLetterFile,
      maxBufferedRows: settings.sinkBufferRows,
      log,
    });
    const bucket = await resolveBucket(request, users, plan);
    log.info(
      {
        rule: bucket.rule,
        from: 'from' in request ? request.from : undefined,
        bounds: bucket.bounds,
        planId: bucket.planId ?? undefined,
        partition: bucket.partitionId,
        partitions: bucket.partitions,
        range: bucket.range,
        users: bucket.userCount,
      },
      'bucket assigned',
    );
    const completed = bucket.userCount === 0 ? new Set<string>() : await sink.completedUserIds(bucket.range, settings.maxAttempts!);
    const remaining = bucket.userCount - completed.size;
    const planned = settings.usersLimit === undefined ? remaining : Math.min(remaining, settings.usersLimit);
    stats.usersPlanned = planned;
    if (planned <= 0) {
      log.info({ partition: bucket.partitionId, users: bucket.userCount, completed: completed.size }, 'bucket already collected; nothing to do');
      return { runId: undefined, state: 'nothing_to_do', bucket, stats: stats.snapshot(), sink: sink.description };
    }

    source = createSource(setup.source);
    budget = createBudget(source.credentials, setup.budget);
    const info: RunInfo = {
      run_id: newRunId(),
      worker,
      source: source.name,
      partition_id: bucket.partitionId,
      partitions: bucket.partitions,
      min_id: bucket.range?.min ?? null,
      max_id: bucket.range?.max ?? null,
      settings: JSON.stringify(describeSettings(settings)),
      bucket_users: bucket.userCount,
      started_at: new Date(stats.startedAt),
    };
    const activeSink = sink;
    const collector = new Collector(
      { source, budget, stats, log, onResult: (result) => activeSink.write(toRow(result, info)) },
      {
        maxThreads: settings.maxThreads!,
        maxFriends: settings.maxFriends!,
        maxRetries: settings.maxRetries!,
        maxRateLimitWaits: 1000,
        backoff: DEFAULT_BACKOFF,
      },
    );
    await sink.writeRun(toRunRecord(info, stats.snapshot(), 'running', null));
    log.info({ runId: info.run_id, worker, settings: describeSettings(settings), planned }, 'run started');

    const mode: ProgressMode = settings.progress === 'auto' ? (io.isTTY ? 'bar' : 'log') : (settings.progress as ProgressMode);
    const progress = new ProgressReporter(stats, { mode, intervalMs: settings.progressInterval!, log });
    const heartbeat = new HeartbeatWriter({ sink, stats, info, intervalMs: settings.heartbeatInterval!, log });
    const shutdown = io.handleSignals ? gracefulStop(collector, settings.shutdownTimeout!, log) : undefined;
    progress.start();
    heartbeat.start();
    let state: RunState = 'finished';
    let error: string | null = null;
    try {
      await collector.run(users.batches(bucket.range, { batchSize: settings.batchSize!, skip: completed, limit: settings.usersLimit }));
      await sink.flush(shutdown?.flushDeadline);
      if (shutdown?.interrupted) state = 'interrupted';
    } catch (e) {
      state = 'failed';
      error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      shutdown?.dispose();
      progress.stop();
      await heartbeat.stop();
      const record = sink.writeRun(toRunRecord(info, stats.snapshot(), state, error));
      // A failed sink cannot record its own failure; the original error is what matters then.
      if (state === 'failed') await record.catch(() => undefined);
      else await record;
      log.info({ runId: info.run_id, state, stats: stats.snapshot() }, 'run ended');
    }
    return { runId: info.run_id, state, bucket, stats: stats.snapshot(), sink: sink.description };
  } finally {
    await budget?.close();
    await source?.close();
    await sink?.close().catch((e: unknown) => log.error({ err: e }, 'closing the sink failed'));
    await users.close();
  }
}
