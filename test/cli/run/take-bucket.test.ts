import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { takeBucket, type BucketJob } from '../../../src/cli/run/take-bucket.ts';
import { UsersStagingError } from '../../../src/core/errors.ts';
import type { PartitionRow } from '../../../src/partition/plan.ts';
import type { UserSpool } from '../../../src/users/spool.ts';
import { tempDir } from '../../support/tmp.ts';

const dir = tempDir('ff-take-bucket-');
const log = pino({ level: 'silent' });
// Out of ID order on purpose: a bucket staged in DuckDB comes back sorted, one read from the file does not.
const file = join(dir, 'users.csv');
writeFileSync(file, ['user_id,screen_name', '30,c', '10,a', '50,e', '20,b', ' 30,c-again', '40,d', 'x,bad'].join('\n'));
const nothingCollected = async () => new Set<string>();

function job(over: Partial<BucketJob>): BucketJob {
  return { users: { kind: 'file', path: file }, idKind: 'numeric', request: { rule: 'all' }, plan: [], maxAttempts: 3, usersLimit: undefined, ...over };
}

async function ids(spool: UserSpool | undefined): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of spool!.batches({ batchSize: 2 })) out.push(...batch.map((u) => u.id));
  return out;
}

const plan: PartitionRow[] = [1, 2].map((k) => ({
  plan_id: 'plan-1',
  partition_id: k,
  partitions: 2,
  user_count: 0,
  min_id: k === 1 ? '10' : '31',
  max_id: k === 1 ? '30' : '50',
  expected_pages: null,
  id_kind: 'numeric',
  balance: 'count',
  created_at: new Date(0),
}));

describe('takeBucket', () => {
  it('reads a bucket whose range a stored plan gives from the file in one pass, in file order, the first row of each ID', async () => {
    await using resources = new AsyncDisposableStack();
    const taken = await takeBucket(job({ request: { rule: 'partition', partition: 1, partitions: 2, from: 'PARTITION=1' }, plan }), nothingCollected, log, resources);
    expect(taken.bucket).toMatchObject({ bounds: 'stored plan', planId: 'plan-1', range: { min: '10', max: '30' }, userCount: 3 });
    expect(await ids(taken.spool)).toEqual(['30', '10', '20']);
  });

  it('stages a bucket NTILE cuts (the whole table is needed) and hands it over in ID order', async () => {
    await using resources = new AsyncDisposableStack();
    const taken = await takeBucket(job({ request: { rule: 'partition', partition: 2, partitions: 2, from: 'PARTITION=2' } }), nothingCollected, log, resources);
    expect(taken.bucket).toMatchObject({ bounds: 'ntile', range: { min: '40', max: '50' }, userCount: 2 });
    expect(await ids(taken.spool)).toEqual(['40', '50']);
  });

  it('leaves out collected users, and plans no more than USERS_LIMIT', async () => {
    await using resources = new AsyncDisposableStack();
    const collected = async () => new Set(['10', '40']);
    const taken = await takeBucket(job({ request: { rule: 'range', min: '10', max: '50' }, usersLimit: 2 }), collected, log, resources);
    expect(taken.bucket.userCount).toBe(5);
    expect(taken.planned).toBe(2);
    expect(taken.completed).toEqual(new Set(['10', '40']));
  });

  it('does not ask the warehouse about a users table it cannot read', async () => {
    await using resources = new AsyncDisposableStack();
    let asked = false;
    const missing = job({ users: { kind: 'file', path: join(dir, 'missing.csv') } });
    await expect(takeBucket(missing, async () => ((asked = true), new Set()), log, resources)).rejects.toThrow(/does not exist/);
    expect(asked).toBe(false);
  });

  it('ends staging at once when the signal aborts, killing the staging process', async () => {
    await using resources = new AsyncDisposableStack();
    const stop = new AbortController();
    const taking = takeBucket(job({}), nothingCollected, log, resources, stop.signal);
    stop.abort(new Error('SIGTERM'));
    const error = await taking.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsersStagingError);
    expect((error as Error).cause).toEqual(new Error('SIGTERM'));
  });
});
