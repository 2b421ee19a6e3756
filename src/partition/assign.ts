import { ConfigError } from '../core/errors.ts';
import { compareIds, normaliseId, type IdKind } from '../core/ids.ts';
import type { Bucket, BucketBounds, IdRange } from './bucket.ts';
import type { PartitionRow } from './plan.ts';

/** The settings a worker's bucket can come from, as validated by the config layer. */
export interface BucketSettings {
  minUserId?: string | undefined;
  maxUserId?: string | undefined;
  partition?: { partition: number; partitions: number | undefined } | undefined;
  partitions?: number | undefined;
  /** Heroku sets DYNO=worker.N on worker dynos (1-based). */
  dyno?: string | undefined;
  /** Kubernetes indexed Jobs set JOB_COMPLETION_INDEX (0-based). */
  jobCompletionIndex?: number | undefined;
  /** Cloud Run jobs set CLOUD_RUN_TASK_INDEX (0-based) and CLOUD_RUN_TASK_COUNT. */
  cloudRunTaskIndex?: number | undefined;
  cloudRunTaskCount?: number | undefined;
}

/** What a worker asks of its users table to find its bucket (users/user-table.ts implements it). */
export interface BucketLookup {
  readonly idKind: IdKind;
  /** Users in `range` (all when undefined). */
  count(range?: IdRange): Promise<number>;
  /** `NTILE(partitions) OVER (ORDER BY user_id)`: buckets of equal user count, with their ID bounds. */
  ntile(partitions: number): Promise<BucketBounds[]>;
}

/** The Procfile's process type whose dynos each collect one bucket. */
export const HEROKU_WORKER_PROCESS = 'worker';

/** Which rule gave the worker its bucket: the first that applies, in this order. */
export type BucketRequest =
  { rule: 'range'; min: string; max: string } | { rule: 'partition' | 'heroku' | 'kubernetes' | 'cloud-run'; partition: number; partitions: number | undefined; from: string } | { rule: 'all' };

/**
 * Decides, before any work, which rule assigns this worker's bucket: MIN_USER_ID/MAX_USER_ID, then
 * PARTITION (+ PARTITIONS), then the platform's own index (Heroku DYNO=worker.N, Kubernetes
 * JOB_COMPLETION_INDEX, Cloud Run CLOUD_RUN_TASK_INDEX/COUNT), else the whole table. Given the
 * source's ID kind, an ID range is checked too, so that a bad MIN_USER_ID stops the worker before it
 * opens anything.
 */
export function bucketRequest(s: BucketSettings, idKind?: IdKind): BucketRequest {
  if (s.minUserId !== undefined || s.maxUserId !== undefined) {
    if (s.minUserId === undefined) throw new ConfigError('MIN_USER_ID', 'MAX_USER_ID is set, so MIN_USER_ID must be set too');
    if (s.maxUserId === undefined) throw new ConfigError('MAX_USER_ID', 'MIN_USER_ID is set, so MAX_USER_ID must be set too');
    if (idKind) idRange(s.minUserId, s.maxUserId, idKind);
    return { rule: 'range', min: s.minUserId, max: s.maxUserId };
  }
  if (s.partition) {
    const { partition: k, partitions: inline } = s.partition;
    if (inline !== undefined && s.partitions !== undefined && inline !== s.partitions) {
      throw new ConfigError('PARTITIONS', `PARTITION=${k}/${inline} disagrees with PARTITIONS=${s.partitions}`);
    }
    return numbered('partition', k, inline ?? s.partitions, `PARTITION=${k}`);
  }
  const dyno = s.dyno === undefined ? undefined : /^(.+)\.([0-9]+)$/.exec(s.dyno);
  if (dyno && dyno[1] === HEROKU_WORKER_PROCESS) return numbered('heroku', Number(dyno[2]), s.partitions, `DYNO=${s.dyno}`);
  if (s.jobCompletionIndex !== undefined) {
    return numbered('kubernetes', s.jobCompletionIndex + 1, s.partitions, `JOB_COMPLETION_INDEX=${s.jobCompletionIndex}`);
  }
  if (s.cloudRunTaskIndex !== undefined) {
    return numbered('cloud-run', s.cloudRunTaskIndex + 1, s.cloudRunTaskCount ?? s.partitions, `CLOUD_RUN_TASK_INDEX=${s.cloudRunTaskIndex}`);
  }
  return { rule: 'all' };
}

function numbered(rule: 'partition' | 'heroku' | 'kubernetes' | 'cloud-run', k: number, n: number | undefined, from: string): BucketRequest {
  if (k < 1) throw new ConfigError(from.split('=')[0]!, `${from} names bucket ${k}; buckets are numbered from 1`);
  if (n !== undefined && k > n) throw new ConfigError(from.split('=')[0]!, `${from} names bucket ${k}, but there are only ${n} buckets`);
  return { rule, partition: k, partitions: n, from };
}

/**
 * The bucket of the users table this worker collects. A numbered bucket comes from the stored plan
 * (`friendfleet partition`) when there is one, else from NTILE over ID order, exactly as
 * `NTILE(n) OVER (ORDER BY CAST(user_id AS INT64))` cuts it.
 */
export async function resolveBucket(request: BucketRequest, users: BucketLookup, plan: readonly PartitionRow[]): Promise<Bucket> {
  if (request.rule === 'all') {
    return { rule: 'all', bounds: 'table', partitionId: null, partitions: null, range: undefined, userCount: await users.count(), planId: null };
  }
  if (request.rule === 'range') {
    const range = idRange(request.min, request.max, users.idKind);
    return { rule: 'range', bounds: 'range', partitionId: null, partitions: null, range, userCount: await users.count(range), planId: null };
  }
  const stored = plan[0];
  const n = bucketCount(request, plan);
  const k = request.partition;
  const base = { rule: request.rule, partitionId: k, partitions: n };
  if (stored) {
    if (stored.id_kind !== users.idKind) {
      throw new ConfigError('SOURCE', `the stored plan ${stored.plan_id} cuts ${stored.id_kind} IDs, but this source's IDs are ${users.idKind}`);
    }
    const row = plan.find((b) => b.partition_id === k);
    if (!row) return { ...base, bounds: 'stored plan', range: undefined, userCount: 0, planId: stored.plan_id };
    const range: IdRange = { kind: users.idKind, min: row.min_id, max: row.max_id };
    return { ...base, bounds: 'stored plan', range, userCount: await users.count(range), planId: stored.plan_id };
  }
  const bounds = (await users.ntile(n)).find((b) => b.partition_id === k);
  // A table with fewer users than buckets leaves the last buckets empty: userCount 0, nothing to read.
  if (!bounds) return { ...base, bounds: 'ntile', range: undefined, userCount: 0, planId: null };
  return { ...base, bounds: 'ntile', range: { kind: users.idKind, min: bounds.min_id, max: bounds.max_id }, userCount: bounds.user_count, planId: null };
}

/**
 * How many buckets a numbered request cuts the table into: PARTITIONS (or the platform's count), else
 * the stored plan's. Checked before any work: a count that is unknown, or that disagrees with the
 * stored plan, is a ConfigError.
 */
export function bucketCount(request: Extract<BucketRequest, { partition: number }>, plan: readonly PartitionRow[]): number {
  const stored = plan[0];
  const k = request.partition;
  const n = request.partitions ?? stored?.partitions;
  if (n === undefined) {
    throw new ConfigError('PARTITIONS', `${request.from} names bucket ${k} but not how many buckets there are: set PARTITIONS, or store a plan with friendfleet partition`);
  }
  if (k > n) throw new ConfigError('PARTITIONS', `${request.from} names bucket ${k}, but the stored plan has only ${n} buckets`);
  if (stored && stored.partitions !== n) {
    throw new ConfigError(
      'PARTITIONS',
      `PARTITIONS=${n} but the stored plan ${stored.plan_id} has ${stored.partitions} buckets: set PARTITIONS=${stored.partitions}, or run friendfleet partition --partitions ${n}`,
    );
  }
  return n;
}

/** Whether the request needs the stored plan (numbered buckets do). */
export function needsPlan(request: BucketRequest): request is Extract<BucketRequest, { partition: number }> {
  return request.rule !== 'all' && request.rule !== 'range';
}

function idRange(rawMin: string, rawMax: string, kind: IdKind): IdRange {
  const min = normaliseId(rawMin, kind);
  if (!min.ok) throw new ConfigError('MIN_USER_ID', `MIN_USER_ID must be a valid ${kind} user ID: ${min.reason}`);
  const max = normaliseId(rawMax, kind);
  if (!max.ok) throw new ConfigError('MAX_USER_ID', `MAX_USER_ID must be a valid ${kind} user ID: ${max.reason}`);
  if (compareIds(min.id, max.id, kind) > 0) throw new ConfigError('MIN_USER_ID', `MIN_USER_ID ${min.id} is above MAX_USER_ID ${max.id}`);
  return { kind, min: min.id, max: max.id };
}

/**
 * The bucket's ID range when it is known before the users table is read (MIN_USER_ID/MAX_USER_ID, or
 * the stored plan's bucket), so a warehouse users table need only be read for that range; undefined
 * when the bounds come from the whole table (NTILE) or the worker takes all of it. Invalid bounds give
 * undefined here and a ConfigError from resolveBucket.
 */
export function bucketRangeHint(request: BucketRequest, plan: readonly PartitionRow[], idKind: IdKind): IdRange | undefined {
  if (request.rule === 'range') {
    const min = normaliseId(request.min, idKind);
    const max = normaliseId(request.max, idKind);
    return min.ok && max.ok ? { kind: idKind, min: min.id, max: max.id } : undefined;
  }
  if (request.rule === 'all' || plan[0]?.id_kind !== idKind) return undefined;
  const row = plan.find((b) => b.partition_id === request.partition);
  return row ? { kind: idKind, min: row.min_id, max: row.max_id } : undefined;
}
