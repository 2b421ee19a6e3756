import { describe, expect, it } from 'vitest';
import { bucketCount, bucketRequest, resolveBucket } from '../../src/partition/assign.ts';
import type { PartitionRow } from '../../src/partition/plan.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { UserTable } from '../../src/users/user-table.ts';

/** A users table of IDs 1..100 (only what resolveBucket asks of it). */
const table = {
  idKind: 'numeric',
  count: async (range?: { min: string; max: string }) => (range ? Math.max(0, Math.min(100, Number(range.max)) - Math.max(1, Number(range.min)) + 1) : 100),
  ntile: async (n: number) => Array.from({ length: n }, (_, i) => ({ partition_id: i + 1, user_count: 100 / n, min_id: String((i * 100) / n + 1), max_id: String(((i + 1) * 100) / n) })),
} as unknown as UserTable;

function plan(partitions: number, bounds: [string, string][]): PartitionRow[] {
  return bounds.map(([min, max], i) => ({
    plan_id: 'plan-x',
    partition_id: i + 1,
    partitions,
    user_count: 0,
    min_id: min,
    max_id: max,
    expected_pages: null,
    id_kind: 'numeric',
    balance: 'work',
    created_at: new Date(0),
  }));
}

describe('bucketRequest: the first rule that applies wins', () => {
  it('takes MIN_USER_ID/MAX_USER_ID over everything else', () => {
    expect(bucketRequest({ minUserId: '5', maxUserId: '9', partition: { partition: 2, partitions: 4 }, dyno: 'worker.3' })).toEqual({ rule: 'range', min: '5', max: '9' });
  });

  it('then PARTITION, then DYNO=worker.N, then JOB_COMPLETION_INDEX, then CLOUD_RUN_TASK_INDEX', () => {
    expect(bucketRequest({ partition: { partition: 2, partitions: undefined }, partitions: 4, dyno: 'worker.3' })).toMatchObject({ rule: 'partition', partition: 2, partitions: 4 });
    expect(bucketRequest({ dyno: 'worker.3', partitions: 10, jobCompletionIndex: 0 })).toMatchObject({ rule: 'heroku', partition: 3, partitions: 10 });
    expect(bucketRequest({ jobCompletionIndex: 0, partitions: 10, cloudRunTaskIndex: 4 })).toMatchObject({ rule: 'kubernetes', partition: 1, partitions: 10 });
    expect(bucketRequest({ cloudRunTaskIndex: 4, cloudRunTaskCount: 5 })).toMatchObject({ rule: 'cloud-run', partition: 5, partitions: 5 });
    expect(bucketRequest({})).toEqual({ rule: 'all' });
  });

  it('ignores dynos of other process types (heroku run, web)', () => {
    expect(bucketRequest({ dyno: 'run.2345', partitions: 10 })).toEqual({ rule: 'all' });
    expect(bucketRequest({ dyno: 'web.1', jobCompletionIndex: 2, partitions: 10 })).toMatchObject({ rule: 'kubernetes', partition: 3 });
  });

  it('refuses half a range, bucket 0, and an index past the count, naming the variable', () => {
    expect(() => bucketRequest({ minUserId: '5' })).toThrow(expect.objectContaining({ variable: 'MAX_USER_ID' }) as unknown);
    expect(() => bucketRequest({ dyno: 'worker.0', partitions: 3 })).toThrow(/DYNO=worker.0 names bucket 0/);
    expect(() => bucketRequest({ dyno: 'worker.4', partitions: 3 })).toThrow(/only 3 buckets/);
    expect(() => bucketRequest({ cloudRunTaskIndex: 5, cloudRunTaskCount: 5 })).toThrow(ConfigError);
    expect(() => bucketRequest({ partition: { partition: 2, partitions: 4 }, partitions: 5 })).toThrow(/disagrees/);
  });
});

describe('resolveBucket', () => {
  it('cuts NTILE over the table when no plan is stored', async () => {
    const b = await resolveBucket({ rule: 'heroku', partition: 2, partitions: 4, from: 'DYNO=worker.2' }, table, []);
    expect(b).toMatchObject({ rule: 'heroku', bounds: 'ntile', partitionId: 2, partitions: 4, range: { min: '26', max: '50' }, userCount: 25 });
  });

  it('uses the stored plan, taking the bucket count from it when none is set', async () => {
    const stored = plan(3, [
      ['1', '10'],
      ['11', '60'],
      ['61', '100'],
    ]);
    const b = await resolveBucket({ rule: 'kubernetes', partition: 2, partitions: undefined, from: 'JOB_COMPLETION_INDEX=1' }, table, stored);
    expect(b).toMatchObject({ bounds: 'stored plan', planId: 'plan-x', partitionId: 2, partitions: 3, range: { min: '11', max: '60' }, userCount: 50 });
  });

  it('refuses a count that is unknown or disagrees with the stored plan, before any work', () => {
    expect(() => bucketCount({ rule: 'heroku', partition: 2, partitions: undefined, from: 'DYNO=worker.2' }, [])).toThrow(/set PARTITIONS, or store a plan/);
    expect(() => bucketCount({ rule: 'partition', partition: 2, partitions: 4, from: 'PARTITION=2' }, plan(3, [['1', '100']]))).toThrow(/PARTITIONS=4 but the stored plan plan-x has 3 buckets/);
  });

  it('normalises and checks an explicit range', async () => {
    const b = await resolveBucket({ rule: 'range', min: ' 007', max: '20' }, table, []);
    expect(b).toMatchObject({ rule: 'range', bounds: 'range', range: { min: '7', max: '20' }, userCount: 14 });
    await expect(resolveBucket({ rule: 'range', min: '30', max: '20' }, table, [])).rejects.toThrow(/MIN_USER_ID 30 is above MAX_USER_ID 20/);
    await expect(resolveBucket({ rule: 'range', min: 'x', max: '20' }, table, [])).rejects.toThrow(ConfigError);
  });
});
