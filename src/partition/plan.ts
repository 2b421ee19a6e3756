import { randomBytes } from 'node:crypto';
import type { IdKind } from '../core/ids.ts';
import { fillBins, makespanRatio, type CollectedWork, type WorkBucket, type WorkModel } from './work.ts';

export type Balance = 'count' | 'work';

/** What `partition` asks of a users table to cut it (users/user-table.ts implements it). */
export interface CuttableTable {
  readonly idKind: IdKind;
  /** Share of users whose following count the table gives (0 to 1). */
  friendsCountCoverage(): Promise<number>;
  /**
   * Contiguous ID ranges, `balance: 'count'` as NTILE or `'work'` of equal expected pages, each with
   * its expected pages under `model`.
   */
  cut(partitions: number, balance: Balance, model: WorkModel): Promise<WorkBucket[]>;
  /**
   * Mean of `samples` (requests per collected user) in each of `bins` equal-count bins of the table in
   * ID order; undefined for bins without a sample. Fits the `fitted` work model.
   */
  fitBins(samples: readonly CollectedWork[], bins: number): Promise<(number | undefined)[]>;
}

/** One stored bucket of a plan: a row of the `partitions` table. */
export interface PartitionRow {
  plan_id: string;
  partition_id: number;
  partitions: number;
  user_count: number;
  min_id: string;
  max_id: string;
  expected_pages: number | null;
  id_kind: IdKind;
  balance: Balance;
  created_at: Date;
}

export const PARTITION_COLUMNS = [
  'plan_id',
  'partition_id',
  'partitions',
  'user_count',
  'min_id',
  'max_id',
  'expected_pages',
  'id_kind',
  'balance',
  'created_at',
] as const satisfies readonly (keyof PartitionRow)[];

export interface PlanOptions {
  partitions: number;
  balance: Balance;
  maxFriends: number;
  /** Accounts per page of the source the plan is for. */
  pageSize: number;
}

export interface PartitionPlan {
  planId: string;
  balance: Balance;
  idKind: IdKind;
  partitions: number;
  /** The work model the cuts and predictions used. */
  model: WorkModel;
  /** Why that model: which data it came from. */
  modelNote: string;
  buckets: WorkBucket[];
  /** Predicted makespan ratio (slowest bucket / mean) of each balance under the model. */
  predicted: Record<Balance, number>;
}

/** Below this many collected users a fitted model is noise; 20 samples per bin, at most 100 bins. */
const MIN_SAMPLES = 50;
const SAMPLES_PER_BIN = 20;
const MAX_BINS = 100;
/** friends_count must be known for most users to be the model. */
const MIN_COVERAGE = 0.5;

/**
 * Chooses the work model: the table's `friends_count` when most users have it, else a model fitted
 * from rows already collected, else uniform (work balance = count balance, said in `modelNote`).
 */
export async function chooseWorkModel(
  users: CuttableTable,
  collected: () => Promise<CollectedWork[]>,
  options: Pick<PlanOptions, 'maxFriends' | 'pageSize'>,
): Promise<{ model: WorkModel; note: string }> {
  const coverage = await users.friendsCountCoverage();
  if (coverage >= MIN_COVERAGE) {
    return {
      model: { kind: 'friends_count', maxFriends: options.maxFriends, pageSize: options.pageSize },
      note: `friends_count column (known for ${(coverage * 100).toFixed(0)}% of users)`,
    };
  }
  const samples = await collected();
  if (samples.length >= MIN_SAMPLES) {
    const bins = Math.min(MAX_BINS, Math.floor(samples.length / SAMPLES_PER_BIN));
    const fitted = await users.fitBins(samples, bins);
    return {
      model: { kind: 'fitted', bins: fillBins(fitted), sampleSize: samples.length },
      note: `fitted from ${samples.length} collected users (${bins} ID bins)`,
    };
  }
  return {
    model: { kind: 'uniform' },
    note: `no friends_count column and only ${samples.length} collected users (need ${MIN_SAMPLES}): every user counted equal`,
  };
}

/** Cuts the users table into buckets and predicts the makespan ratio of both balances. */
export async function planPartitions(users: CuttableTable, model: WorkModel, modelNote: string, options: PlanOptions): Promise<PartitionPlan> {
  const byCount = await users.cut(options.partitions, 'count', model);
  const byWork = await users.cut(options.partitions, 'work', model);
  // Empty buckets (more buckets than users) still count towards the mean: a worker idles on them.
  const works = (buckets: WorkBucket[]) => [...buckets.map((b) => b.expected_pages), ...new Array<number>(options.partitions - buckets.length).fill(0)];
  return {
    planId: `plan-${new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`,
    balance: options.balance,
    idKind: users.idKind,
    partitions: options.partitions,
    model,
    modelNote,
    buckets: options.balance === 'count' ? byCount : byWork,
    predicted: { count: makespanRatio(works(byCount)), work: makespanRatio(works(byWork)) },
  };
}

export function planRows(plan: PartitionPlan, createdAt: Date = new Date()): PartitionRow[] {
  return plan.buckets.map((b) => ({
    plan_id: plan.planId,
    partition_id: b.partition_id,
    partitions: plan.partitions,
    user_count: b.user_count,
    min_id: b.min_id,
    max_id: b.max_id,
    expected_pages: b.expected_pages,
    id_kind: plan.idKind,
    balance: plan.balance,
    created_at: createdAt,
  }));
}

/** Rows of `partitions_latest` as typed plan rows. */
export function planFromRows(rows: readonly Record<string, unknown>[]): PartitionRow[] {
  return rows.map((r) => ({
    plan_id: String(r.plan_id),
    partition_id: Number(r.partition_id),
    partitions: Number(r.partitions),
    user_count: Number(r.user_count),
    min_id: String(r.min_id),
    max_id: String(r.max_id),
    expected_pages: r.expected_pages === null ? null : Number(r.expected_pages),
    id_kind: r.id_kind as PartitionRow['id_kind'],
    balance: r.balance as PartitionRow['balance'],
    created_at: r.created_at as Date,
  }));
}
