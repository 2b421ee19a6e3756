import type { Logger } from 'pino';
import { UsageError } from '../../core/errors.ts';
import type { IdKind } from '../../core/ids.ts';
import { bucketRangeHint, resolveBucket, type BucketLookup, type BucketRequest } from '../../partition/assign.ts';
import type { Bucket, IdRange } from '../../partition/bucket.ts';
import type { PartitionRow } from '../../partition/plan.ts';
import { spoolFileRange } from '../../users/range-spool.ts';
import { describeReport, type LoadReport } from '../../users/report.ts';
import type { UserSpool } from '../../users/spool.ts';
import type { UsersLocation } from '../../users/staged-table.ts';
import { StagingProcess } from '../../users/staging-process.ts';

export interface BucketJob {
  users: UsersLocation;
  idKind: IdKind;
  request: BucketRequest;
  /** The stored plan (empty when none, or the bucket is not numbered). */
  plan: readonly PartitionRow[];
  /** MAX_ATTEMPTS: a user failed this often counts as collected. */
  maxAttempts: number;
  /** USERS_LIMIT. */
  usersLimit: number | undefined;
}

/** The worker's bucket and the users of it still to collect. */
export interface TakenBucket {
  bucket: Bucket;
  /** Users already collected (skipped). */
  completed: Set<string>;
  /** Users this run will collect: the rest of the bucket, up to USERS_LIMIT. */
  planned: number;
  /** The bucket's users in a file, when `planned` > 0 (removed when `resources` are released). */
  spool: UserSpool | undefined;
}

/**
 * The first phase of a worker: find its bucket, and put the bucket's users in a spool file the run
 * reads. A users file whose range is known before reading (MIN_USER_ID/MAX_USER_ID, or a stored plan)
 * is read once, keeping the range; any other table is staged in DuckDB by a child process (NTILE needs
 * the whole table), which ends before this returns. Users collected already are left out; with
 * USERS_LIMIT, only as many as the run can take are spooled (staged tables: the first, in ID order).
 * `completed` (the warehouse's answer) is asked only once the users table was read: a table that
 * cannot be read stops the worker before it opens the warehouse. `signal` (SIGTERM) ends staging at
 * once: the call rejects with the abort.
 */
export async function takeBucket(
  job: BucketJob,
  completed: (range: IdRange | undefined, maxAttempts: number) => Promise<Set<string>>,
  log: Logger,
  resources: AsyncDisposableStack,
  signal?: AbortSignal,
): Promise<TakenBucket> {
  const range = bucketRangeHint(job.request, job.plan, job.idKind);
  let users: BucketLookup;
  let report: LoadReport;
  let staging: StagingProcess | undefined;
  let streamed: UserSpool | undefined;
  log.debug({ users: job.users.kind, range }, range && job.users.kind === 'file' ? "reading the bucket's users" : 'staging the users table');
  if (range && job.users.kind === 'file') {
    ({ spool: streamed, report } = await spoolFileRange(job.users.path, range, job.idKind, signal));
    const spool = streamed;
    resources.defer(() => spool.remove());
    users = spooledLookup(spool, job.idKind);
  } else {
    staging = await StagingProcess.start(job.users, job.idKind, { range }, signal);
    const started = staging;
    resources.defer(() => started.close());
    users = staging;
    report = staging.report;
  }
  const problems = describeReport(report);
  if (problems) log.warn({ report }, `users table: ${problems}`);

  const bucket = await resolveBucket(job.request, users, job.plan);
  log.info(
    {
      rule: bucket.rule,
      from: 'from' in job.request ? job.request.from : undefined,
      bounds: bucket.bounds,
      planId: bucket.planId ?? undefined,
      partition: bucket.partitionId,
      partitions: bucket.partitions,
      range: bucket.range,
      users: bucket.userCount,
    },
    'bucket assigned',
  );
  const done = bucket.userCount === 0 ? new Set<string>() : await completed(bucket.range, job.maxAttempts);
  const remaining = bucket.userCount - done.size;
  const planned = job.usersLimit === undefined ? remaining : Math.min(remaining, job.usersLimit);
  if (planned <= 0 || signal?.aborted) return { bucket, completed: done, planned, spool: undefined };
  if (!staging) return { bucket, completed: done, planned, spool: streamed };
  // With USERS_LIMIT, the first limit + collected users in ID order hold every user the run will take.
  const spool = await staging.spool(bucket.range, job.usersLimit === undefined ? undefined : job.usersLimit + done.size);
  resources.defer(() => spool.remove());
  // The staging process ends before the first request: a collecting worker never maps DuckDB.
  await staging.close();
  return { bucket, completed: done, planned, spool };
}

/** The lookup of a bucket already read into a spool: its users are the spool's. */
function spooledLookup(spool: UserSpool, idKind: IdKind): BucketLookup {
  return {
    idKind,
    count: async () => spool.count,
    ntile: async () => {
      throw new UsageError('a bucket read by its range has no NTILE: it needs the whole table');
    },
  };
}
