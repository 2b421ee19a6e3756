import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { MAX_RATE_LIMIT_WAITS } from '../collector/collect-user.ts';
import { RunStats, type StatsSnapshot } from '../collector/stats.ts';
import { COLLECT_SETTINGS, type CollectSettings } from '../config/collect-settings.ts';
import { describeSettings, loadSettings } from '../config/load.ts';
import { friendsCap } from '../config/settings.ts';
import { sourceSetup, type SourceSetup } from '../config/source-settings.ts';
import { sinkFrom, usersFrom } from '../config/warehouse.ts';
import { DEFAULT_BACKOFF } from '../core/backoff.ts';
import { ConfigError } from '../core/errors.ts';
import { createLogger } from '../core/log.ts';
import type { ProgressMode } from '../monitor/progress.ts';
import { bucketCount, bucketRequest, needsPlan } from '../partition/assign.ts';
import type { Bucket, IdRange } from '../partition/bucket.ts';
import { describeSink, readPlan, type SinkUri, type Warehouse } from '../sinks/registry.ts';
import type { RunState } from '../sinks/row.ts';
import { SOURCE_ID_KINDS } from '../sources/registry.ts';
import { budgetSpec, sharingWorkers } from './request-budget.ts';
import { openSource, openWarehouse } from './run/open-run.ts';
import { runInfo } from './run/record-run.ts';
import { runBucket } from './run/run-bucket.ts';
import { takeBucket, type BucketJob } from './run/take-bucket.ts';
import { Shutdown } from './shutdown.ts';

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
  bucket: Bucket | undefined;
  stats: StatsSnapshot;
  sink: string;
}

/** Everything a worker decided from its settings before any work. */
interface WorkerSetup {
  settings: CollectSettings;
  source: SourceSetup;
  sink: SinkUri;
  job: BucketJob;
  /** Workers sharing a budget through Redis, when one is. */
  sharing: number | undefined;
  worker: string;
  log: Logger;
}

/**
 * One worker's run, in phases: take the bucket and its users (takeBucket), open the sink, source and
 * budget (open-run.ts), run (runBucket), record (recordRun, at its start and end). Every bad setting
 * throws a ConfigError before any of them; every resource a phase opens is released, last opened
 * first, when the run ends however it ends.
 */
export async function runCollect(flags: Record<string, unknown>, io: CollectIO): Promise<CollectOutcome> {
  const setup = await checkSettings(flags, io);
  const { settings, log } = setup;
  await using resources = new AsyncDisposableStack();
  // Signals are handled from here on: staging a large users table takes seconds, and a signal ends it.
  const shutdown = io.handleSignals ? resources.use(new Shutdown(settings.shutdownTimeout!, log)) : undefined;
  const stats = new RunStats();
  // Opened once the users table was read: a table that cannot be read leaves the warehouse untouched.
  let opened: Promise<Warehouse> | undefined;
  const warehouse = () => (opened ??= openWarehouse(setup.sink, { deadLetterFile: settings.deadLetterFile, maxBufferedRows: settings.sinkBufferRows }, stats, log, resources));
  const outcome = (state: CollectOutcome['state'], bucket?: Bucket, runId?: string): CollectOutcome => ({ runId, state, bucket, stats: stats.snapshot(), sink: describeSink(setup.sink) });

  const completed = async (range: IdRange | undefined, maxAttempts: number) => (await warehouse()).completedUserIds(setup.source.source.name, range, maxAttempts);
  const taken = await takeBucket(setup.job, completed, log, resources, shutdown?.signal).catch((error: unknown) => {
    if (shutdown?.signal.aborted) return undefined;
    throw error;
  });
  if (!taken) return outcome('interrupted');
  const sink = await warehouse();
  stats.usersPlanned = taken.planned;
  if (taken.planned <= 0) {
    log.info({ partition: taken.bucket.partitionId, users: taken.bucket.userCount, completed: taken.completed.size }, 'bucket already collected; nothing to do');
    return outcome('nothing_to_do', taken.bucket);
  }
  if (shutdown?.requested || !taken.spool) return outcome('interrupted', taken.bucket);

  const { source, budget } = await openSource(setup.source.source, (credentials, byHost) => budgetSpec(settings, setup.source, credentials, setup.sharing, log, byHost), resources);
  const info = runInfo(taken.bucket, { worker: setup.worker, source: source.name, settings: describeSettings(settings) }, stats);
  const mode: ProgressMode = settings.progress === 'auto' ? (io.isTTY ? 'bar' : 'log') : (settings.progress as ProgressMode);
  const state = await runBucket({
    sink,
    source,
    budget,
    stats,
    log,
    info,
    users: taken.spool.batches({ batchSize: settings.batchSize!, skip: taken.completed, limit: settings.usersLimit }),
    collector: {
      maxThreads: settings.maxThreads!,
      maxFriends: friendsCap(settings.maxFriends!),
      maxRetries: settings.maxRetries!,
      maxRateLimitWaits: MAX_RATE_LIMIT_WAITS,
      backoff: DEFAULT_BACKOFF,
      circuit: { firstUsers: settings.circuitFirstUsers!, usersInARow: settings.circuitUsers! },
    },
    progress: { mode, intervalMs: settings.progressInterval! },
    heartbeatIntervalMs: settings.heartbeatInterval!,
    shutdown,
  });
  return outcome(state, taken.bucket, info.run_id);
}

/** Reads and checks every setting, and the stored plan a numbered bucket needs, before any work. */
async function checkSettings(flags: Record<string, unknown>, io: CollectIO): Promise<WorkerSetup> {
  const settings = loadSettings(COLLECT_SETTINGS, flags, io.env);
  const source = sourceSetup(settings);
  const users = usersFrom(settings);
  if (!users) {
    throw new ConfigError('USERS', 'USERS (flag --users) is required: a .csv or .ndjson file with a user_id column, duckdb:PATH#TABLE or bigquery:PROJECT.DATASET.TABLE (or USERS_QUERY)');
  }
  const sink = sinkFrom(settings);
  const idKind = SOURCE_ID_KINDS[source.source.name];
  const request = bucketRequest(settings, idKind);
  // A numbered bucket needs its count, from PARTITIONS or the stored plan: checked before any work.
  const plan = needsPlan(request) ? await readPlan(sink) : [];
  const buckets = needsPlan(request) ? bucketCount(request, plan) : undefined;
  const sharing = sharingWorkers(settings, buckets);
  const worker = settings.worker ?? io.env.DYNO ?? `${hostname()}-${process.pid}`;
  const log = (io.log ?? createLogger(settings.logLevel!)).child({ worker });
  const job: BucketJob = { users, idKind, request, plan, maxAttempts: settings.maxAttempts!, usersLimit: settings.usersLimit };
  return { settings, source, sink, job, sharing, worker, log };
}
