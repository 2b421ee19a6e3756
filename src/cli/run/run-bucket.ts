import type { Logger } from 'pino';
import type { RequestBudget } from '../../collector/budget.ts';
import { Collector, type CollectorOptions } from '../../collector/collector.ts';
import type { RunStats } from '../../collector/stats.ts';
import { HeartbeatWriter } from '../../monitor/heartbeat.ts';
import { ProgressReporter, type ProgressMode } from '../../monitor/progress.ts';
import { toRow, type RunInfo, type RunState } from '../../sinks/row.ts';
import type { Sink } from '../../sinks/sink.ts';
import type { Source, UserRef } from '../../sources/source.ts';
import type { Shutdown } from '../shutdown.ts';
import { shortListsWarning } from '../../collector/completeness.ts';
import { recordRun } from './record-run.ts';

export interface BucketRun {
  sink: Sink;
  source: Source;
  /** Lanes by credential, or by host for a source with `routing`. */
  budget: RequestBudget<number | string>;
  stats: RunStats;
  log: Logger;
  info: RunInfo;
  /** The users to collect, in batches. */
  users: AsyncIterable<readonly UserRef[]>;
  collector: CollectorOptions;
  progress: { mode: ProgressMode; intervalMs: number };
  heartbeatIntervalMs: number;
  /** Stops the collector on SIGTERM and bounds the last flush (absent when the caller handles no signals). */
  shutdown?: Shutdown | undefined;
}

/**
 * The run phase: records the run as running, collects the users into the sink (progress and
 * heartbeats meanwhile), waits for the last rows to be stored, and records how it ended: `finished`,
 * `interrupted` by a signal, or `failed` (the error is rethrown after it is recorded).
 */
export async function runBucket(run: BucketRun): Promise<RunState> {
  const { sink, stats, log, info } = run;
  const collector = new Collector({ source: run.source, budget: run.budget, stats, log, onResult: (result) => sink.write(toRow(result, info)) }, run.collector);
  await recordRun(sink, info, stats, 'running');
  // The logger names the worker already (a child with `worker`): a key given twice is ambiguous to log tools.
  log.info({ runId: info.run_id, settings: JSON.parse(info.settings) as unknown, planned: stats.usersPlanned }, 'run started');

  const progress = new ProgressReporter(stats, { mode: run.progress.mode, intervalMs: run.progress.intervalMs, log });
  const heartbeat = new HeartbeatWriter({ sink, stats, info, intervalMs: run.heartbeatIntervalMs, log });
  run.shutdown?.attach(collector);
  // Aborted before the stop warning is logged: the bar's line ends first.
  run.shutdown?.signal.addEventListener('abort', () => progress.endLine(), { once: true });
  progress.start();
  heartbeat.start();
  let state: RunState = 'finished';
  let error: string | null = null;
  try {
    await collector.run(run.users);
    await sink.flush(run.shutdown?.flushDeadline);
    if (run.shutdown?.requested) state = 'interrupted';
  } catch (e) {
    state = 'failed';
    error = e instanceof Error ? e.message : String(e);
    throw e;
  } finally {
    progress.stop();
    await heartbeat.stop();
    await recordRun(sink, info, stats, state, error);
    log.info({ runId: info.run_id, state, stats: stats.snapshot() }, 'run ended');
    const short = shortListsWarning(stats.snapshot());
    if (short) log.warn(short, 'lists shorter than the users table says');
  }
  return state;
}
