import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { Collector } from '../collector/collector.ts';
import { LocalBudget, type RequestBudget } from '../collector/budget.ts';
import { DEFAULT_BACKOFF } from '../collector/backoff.ts';
import { RunStats, type StatsSnapshot } from '../collector/stats.ts';
import { describeSettings, loadSettings, type Settings } from '../config/load.ts';
import type { SettingKey } from '../config/settings.ts';
import { ConfigError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { ProgressReporter, type ProgressMode } from '../monitor/progress.ts';
import { partitionSpec, resolveBucket } from '../partition/assign.ts';
import type { Bucket } from '../partition/bucket.ts';
import { DuckDbSink } from '../sinks/duckdb/sink.ts';
import { toRow, type RunRecord, type RunState } from '../sinks/row.ts';
import { TwitterHtmlSource } from '../sources/twitter-html/source.ts';
import type { Source } from '../sources/source.ts';
import { describeReport } from '../users/report.ts';
import { UsersTable } from '../users/table.ts';

export const COLLECT_SETTINGS = [
  'source',
  'sourceUrl',
  'users',
  'partition',
  'partitions',
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
  'worker',
  'shutdownTimeout',
  'progress',
  'progressInterval',
  'logLevel',
] as const satisfies readonly SettingKey[];

export type CollectSettings = Settings<(typeof COLLECT_SETTINGS)[number]>;

/** Where a source is when SOURCE_URL is not set. */
const DEFAULT_SOURCE_URLS = { 'twitter-html': 'https://mobile.twitter.com' } as const;

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

function createSource(settings: CollectSettings): Source {
  const source = settings.source!;
  return new TwitterHtmlSource({
    baseUrl: settings.sourceUrl ?? DEFAULT_SOURCE_URLS[source],
    connections: settings.maxThreads!,
    timeoutMs: settings.requestTimeout!,
  });
}

/**
 * One worker's run: validate settings, load the users table, find the bucket, skip users already
 * collected, collect the rest into the sink, record the run. Every bad setting throws a ConfigError
 * before any work.
 */
export async function runCollect(flags: Record<string, unknown>, io: CollectIO): Promise<CollectOutcome> {
  const settings = loadSettings(COLLECT_SETTINGS, flags, io.env);
  if (!settings.users) throw new ConfigError('USERS', 'USERS (flag --users) is required: a .csv or .ndjson file with a user_id column');
  const spec = partitionSpec(settings.partition, settings.partitions);
  const log = io.log ?? createLogger(settings.logLevel!);
  const worker = settings.worker ?? io.env.DYNO ?? `${hostname()}-${process.pid}`;

  const users = await UsersTable.fromFile(settings.users, 'numeric');
  const stats = new RunStats();
  let sink: DuckDbSink | undefined;
  let source: Source | undefined;
  let budget: RequestBudget | undefined;
  try {
    const problems = describeReport(users.report);
    if (problems) log.warn({ report: users.report }, `users table: ${problems}`);
    const bucket = await resolveBucket(spec, users);
    log.info({ rule: bucket.rule, partition: bucket.partitionId, partitions: bucket.partitions, range: bucket.range, users: bucket.userCount }, 'bucket assigned');

    sink = new DuckDbSink(settings.sink!.path, { onAcknowledged: (rows) => (stats.usersSaved += rows.length) });
    await sink.open();
    const completed = bucket.userCount === 0 ? new Set<string>() : await sink.completedUserIds(bucket.range, settings.maxAttempts!);
    const remaining = bucket.userCount - completed.size;
    const planned = settings.usersLimit === undefined ? remaining : Math.min(remaining, settings.usersLimit);
    stats.usersPlanned = planned;
    if (planned <= 0) {
      log.info({ partition: bucket.partitionId, users: bucket.userCount, completed: completed.size }, 'bucket already collected; nothing to do');
      return { runId: undefined, state: 'nothing_to_do', bucket, stats: stats.snapshot(), sink: sink.description };
    }

    const runId = newRunId();
    source = createSource(settings);
    budget = new LocalBudget({ limit: settings.rateLimit, windowMs: settings.rateWindow! });
    const context = { run_id: runId, worker, source: source.name, partition_id: bucket.partitionId };
    const activeSink = sink;
    const collector = new Collector(
      { source, budget, stats, log, onResult: (result) => activeSink.write(toRow(result, context)) },
      {
        maxThreads: settings.maxThreads!,
        maxFriends: settings.maxFriends!,
        maxRetries: settings.maxRetries!,
        maxRateLimitWaits: 1000,
        backoff: DEFAULT_BACKOFF,
      },
    );
    const runRecord = (state: RunState, error: string | null): RunRecord => {
      const s = stats.snapshot();
      return {
        run_id: runId,
        worker,
        source: source!.name,
        partition_id: bucket.partitionId,
        partitions: bucket.partitions,
        min_id: bucket.range?.min ?? null,
        max_id: bucket.range?.max ?? null,
        settings: JSON.stringify(describeSettings(settings)),
        state,
        started_at: new Date(stats.startedAt),
        ended_at: state === 'running' ? null : new Date(),
        users_planned: planned,
        users_done: s.usersDone,
        users_saved: s.usersSaved,
        users_ok: s.byStatus.ok,
        users_protected: s.byStatus.protected,
        users_not_found: s.byStatus.not_found,
        users_suspended: s.byStatus.suspended,
        users_failed: s.byStatus.failed,
        friends: s.friends,
        pages: s.pages,
        requests: s.requests,
        retries: s.retries,
        rate_limited: s.rateLimited,
        dead_letters: s.deadLetters,
        error,
      };
    };
    await sink.writeRun(runRecord('running', null));
    log.info({ runId, worker, settings: describeSettings(settings), planned }, 'run started');

    const mode: ProgressMode = settings.progress === 'auto' ? (io.isTTY ? 'bar' : 'log') : (settings.progress as ProgressMode);
    const progress = new ProgressReporter(stats, { mode, intervalMs: settings.progressInterval!, log });
    let interrupted = false;
    let abortTimer: NodeJS.Timeout | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) {
        collector.abort(`second ${signal}`);
        return;
      }
      interrupted = true;
      log.warn({ signal, shutdownTimeoutMs: settings.shutdownTimeout }, 'stopping: no new users; in-flight users may finish');
      collector.stop();
      abortTimer = setTimeout(() => {
        log.warn('shutdown timeout: abandoning in-flight users (the next run redoes them)');
        collector.abort('shutdown timeout');
      }, settings.shutdownTimeout!);
    };
    if (io.handleSignals) {
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    }
    progress.start();
    let state: RunState = 'finished';
    let error: string | null = null;
    try {
      await collector.run(users.batches(bucket.range, { batchSize: settings.batchSize!, skip: completed, limit: settings.usersLimit }));
      await sink.flush();
      if (interrupted) state = 'interrupted';
    } catch (e) {
      state = 'failed';
      error = e instanceof Error ? e.message : String(e);
      throw e;
    } finally {
      if (abortTimer) clearTimeout(abortTimer);
      if (io.handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      progress.stop();
      if (state !== 'failed') await sink.writeRun(runRecord(state, error));
      else await sink.writeRun(runRecord(state, error)).catch(() => undefined);
      log.info({ runId, state, stats: stats.snapshot() }, 'run ended');
    }
    return { runId, state, bucket, stats: stats.snapshot(), sink: sink.description };
  } finally {
    await budget?.close();
    await source?.close();
    await sink?.close().catch((e: unknown) => log.error({ err: e }, 'closing the sink failed'));
    users.close();
  }
}
