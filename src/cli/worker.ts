import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Collector } from '../collector/collector.ts';
import type { RequestBudget } from '../collector/budget.ts';
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
import type { UserSpool } from '../users/spool.ts';
import { StagingProcess } from '../users/staging-process.ts';
import { shortListsWarning } from '../collector/completeness.ts';
import { createBudget, sharingWorkers } from './request-budget.ts';
import { Shutdown } from './shutdown.ts';

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
  'rateLimitRedisUrl',
  'rateLimitId',
  'rateLimitWorkers',
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

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `run-${t}-${randomBytes(3).toString('hex')}`;
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
  const idKind = SOURCE_ID_KINDS[settings.source!];
  const request = bucketRequest(settings, idKind);
  // A numbered bucket needs its count, from PARTITIONS or the stored plan: checked before any work.
  const plan = needsPlan(request) ? await readPlan(sinkUri) : [];
  const buckets = needsPlan(request) ? bucketCount(request, plan) : undefined;
  const sharing = sharingWorkers(settings, buckets);
  const worker = settings.worker ?? io.env.DYNO ?? `${hostname()}-${process.pid}`;
  const log = (io.log ?? createLogger(settings.logLevel!)).child({ worker });
  // Signals are handled from here on: the run's set-up (staging a large users table) takes seconds.
  const shutdown = io.handleSignals ? new Shutdown(settings.shutdownTimeout!, log) : undefined;

  const users = await StagingProcess.start(usersLocation, idKind, { range: bucketRangeHint(request, plan, idKind) }).catch((e: unknown) => {
    shutdown?.dispose();
    throw e;
  });
  const stats = new RunStats();
  let sink: Sink | undefined;
  let source: Source | undefined;
  let budget: RequestBudget | undefined;
  let spool: UserSpool | undefined;
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
    if (shutdown?.requested) return { runId: undefined, state: 'interrupted', bucket, stats: stats.snapshot(), sink: sink.description };
    // The bucket's users go to a file and the staging process ends before the first request. With
    // USERS_LIMIT, the first limit + collected users in ID order hold every user the run will take.
    spool = await users.spool(bucket.range, settings.usersLimit === undefined ? undefined : settings.usersLimit + completed.size);
    await users.close();

    source = createSource(setup.source);
    budget = await createBudget(settings, setup, source.credentials, sharing, log);
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
    shutdown?.attach(collector);
    progress.start();
    heartbeat.start();
    let state: RunState = 'finished';
    let error: string | null = null;
    try {
      await collector.run(spool.batches({ batchSize: settings.batchSize!, skip: completed, limit: settings.usersLimit }));
      await sink.flush(shutdown?.flushDeadline);
      if (shutdown?.requested) state = 'interrupted';
    } catch (e) {
      state = 'failed';
      error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      progress.stop();
      await heartbeat.stop();
      const record = sink.writeRun(toRunRecord(info, stats.snapshot(), state, error));
      // A failed sink cannot record its own failure; the original error is what matters then.
      if (state === 'failed') await record.catch(() => undefined);
      else await record;
      log.info({ runId: info.run_id, state, stats: stats.snapshot() }, 'run ended');
      const short = shortListsWarning(stats.snapshot());
      if (short) log.warn(short, 'lists shorter than the users table says');
    }
    return { runId: info.run_id, state, bucket, stats: stats.snapshot(), sink: sink.description };
  } finally {
    await budget?.close();
    await source?.close();
    await sink?.close().catch((e: unknown) => log.error({ err: e }, 'closing the sink failed'));
    await users.close();
    spool?.remove();
    shutdown?.dispose();
  }
}
