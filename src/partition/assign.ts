import { ConfigError } from '../errors.ts';
import type { UsersTable } from '../users/table.ts';
import type { Bucket } from './bucket.ts';

/** Bucket k of n, validated. */
export interface PartitionSpec {
  partition: number;
  partitions: number;
}

/**
 * Checks PARTITION / PARTITIONS together, before any work: PARTITION may be "k/n" or "k" with
 * PARTITIONS, and k must be within 1..n. Undefined when the worker takes the whole table.
 */
export function partitionSpec(
  partition: { partition: number; partitions: number | undefined } | undefined,
  partitions: number | undefined,
): PartitionSpec | undefined {
  if (!partition) return undefined;
  const k = partition.partition;
  const n = partition.partitions ?? partitions;
  if (n === undefined) {
    throw new ConfigError('PARTITIONS', `PARTITION=${k} needs the number of buckets: set PARTITIONS or use PARTITION=${k}/N`);
  }
  if (partition.partitions !== undefined && partitions !== undefined && partition.partitions !== partitions) {
    throw new ConfigError('PARTITIONS', `PARTITION=${k}/${partition.partitions} disagrees with PARTITIONS=${partitions}`);
  }
  if (k > n) throw new ConfigError('PARTITION', `PARTITION must be from 1 to PARTITIONS (${n}); got ${k}`);
  return { partition: k, partitions: n };
}

/**
 * Which bucket of the users table this worker collects. With bucket k of n, it is the k-th
 * NTILE(n) over ID order, exactly as `NTILE(n) OVER (ORDER BY CAST(user_id AS INT64))` cuts it;
 * without, the whole table.
 */
export async function resolveBucket(spec: PartitionSpec | undefined, users: UsersTable): Promise<Bucket> {
  if (!spec) return { rule: 'all', partitionId: null, partitions: null, range: undefined, userCount: await users.count() };
  const bounds = (await users.ntile(spec.partitions)).find((b) => b.partition_id === spec.partition);
  // A table with fewer users than buckets leaves the last buckets empty: userCount 0, nothing to read.
  if (!bounds) return { rule: 'ntile', partitionId: spec.partition, partitions: spec.partitions, range: undefined, userCount: 0 };
  return {
    rule: 'ntile',
    partitionId: spec.partition,
    partitions: spec.partitions,
    range: { kind: users.idKind, min: bounds.min_id, max: bounds.max_id },
    userCount: bounds.user_count,
  };
}
