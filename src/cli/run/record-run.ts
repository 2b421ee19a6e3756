import { randomBytes } from 'node:crypto';
import type { RunStats } from '../../collector/stats.ts';
import type { Bucket } from '../../partition/bucket.ts';
import { toRunRecord, type RunInfo, type RunState } from '../../sinks/row.ts';
import type { Sink } from '../../sinks/sink.ts';

/** `run-20260101T000000Z-a1b2c3`: sortable by start, unique across a fleet. */
export function newRunId(now: Date = new Date()): string {
  const t = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `run-${t}-${randomBytes(3).toString('hex')}`;
}

/** What is fixed about a run: who collects which bucket, from where, with which settings. */
export function runInfo(bucket: Bucket, who: { worker: string; source: string; settings: Record<string, unknown> }, stats: RunStats): RunInfo {
  return {
    run_id: newRunId(),
    worker: who.worker,
    source: who.source,
    partition_id: bucket.partitionId,
    partitions: bucket.partitions,
    min_id: bucket.range?.min ?? null,
    max_id: bucket.range?.max ?? null,
    settings: JSON.stringify(who.settings),
    bucket_users: bucket.userCount,
    started_at: new Date(stats.startedAt),
  };
}

/**
 * The record phase: appends the run's state and its totals so far to the runs table (`running` at the
 * start, the outcome at the end). A sink that failed cannot record its own failure, so recording
 * `failed` never throws: the error that failed the run is the one to report.
 */
export async function recordRun(sink: Pick<Sink, 'writeRun'>, info: RunInfo, stats: RunStats, state: RunState, error: string | null = null): Promise<void> {
  const record = sink.writeRun(toRunRecord(info, stats.snapshot(), state, error));
  if (state === 'failed') await record.catch(() => undefined);
  else await record;
}
