import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openSource } from '../../../src/cli/run/open-run.ts';
import { recordRun, runInfo } from '../../../src/cli/run/record-run.ts';
import { runBucket, type BucketRun } from '../../../src/cli/run/run-bucket.ts';
import { createBudget } from '../../../src/collector/create-budget.ts';
import { RunStats } from '../../../src/collector/stats.ts';
import { BudgetClosedError, CircuitOpenError, SinkError, SourceError } from '../../../src/core/errors.ts';
import type { Bucket } from '../../../src/partition/bucket.ts';
import { FakeSource, page } from '../../support/fake-source.ts';
import { MemorySink } from '../../support/memory-sink.ts';

const log = pino({ level: 'silent' });
const bucket: Bucket = { rule: 'range', bounds: 'range', planId: null, partitionId: null, partitions: null, range: { kind: 'numeric', min: '1', max: '3' }, userCount: 3 };

async function bucketRun(sink: MemorySink): Promise<BucketRun> {
  const stats = new RunStats();
  const source = new FakeSource({ '1@': [page(['a'])], '2@': [page(['b', 'c'])], '3@': [page([])] });
  return {
    sink,
    source,
    budget: await createBudget({ credentials: 1, local: { windowMs: 60_000 } }),
    stats,
    log,
    info: runInfo(bucket, { worker: 'w1', source: source.name, settings: { maxThreads: 2 } }, stats),
    users: (async function* () {
      yield [{ id: '1' }, { id: '2' }];
      yield [{ id: '3' }];
    })(),
    collector: { maxThreads: 2, maxFriends: 10, maxRetries: 0, maxRateLimitWaits: 1, backoff: { baseMs: 1, maxMs: 1 }, circuit: { firstUsers: 5, usersInARow: 100 } },
    progress: { mode: 'off', intervalMs: 60_000 },
    heartbeatIntervalMs: 60_000,
  };
}

describe('the run and record phases', () => {
  it('record the run as running, collect every user into the sink, and record it finished with its totals', async () => {
    const sink = new MemorySink();
    const run = await bucketRun(sink);
    expect(await runBucket(run)).toBe('finished');
    expect(sink.rows.map((r) => [r.user_id, r.friend_count])).toEqual([
      ['1', 1],
      ['2', 2],
      ['3', 0],
    ]);
    expect(sink.runs.map((r) => r.state)).toEqual(['running', 'finished']);
    expect(sink.runs[1]).toMatchObject({ run_id: run.info.run_id, users_done: 3, users_ok: 3, friends: 3, min_id: '1', max_id: '3', bucket_users: 3 });
    expect(sink.heartbeats.at(-1)).toMatchObject({ users_done: 3 });
    await run.budget.close();
  });

  it("record a run whose sink fails as failed (when the sink still can), and rethrow the sink's error", async () => {
    const sink = new MemorySink();
    const run = await bucketRun(sink);
    await recordRun(sink, run.info, run.stats, 'running');
    sink.failWrites = true;
    // Recording `failed` on a sink that cannot write does not hide the error that failed the run.
    await expect(recordRun(sink, run.info, run.stats, 'failed', 'the warehouse is gone')).resolves.toBeUndefined();
    await expect(recordRun(sink, run.info, run.stats, 'finished')).rejects.toBeInstanceOf(SinkError);
    sink.failWrites = false;
    const writes = sink.write.bind(sink);
    sink.write = async (row) => (row.user_id === '2' ? Promise.reject(new SinkError('disk full')) : writes(row));
    await expect(runBucket(run)).rejects.toThrow('disk full');
    expect(sink.runs.map((r) => [r.state, r.error])).toEqual([
      ['running', null],
      ['running', null],
      ['failed', 'disk full'],
    ]);
    await run.budget.close();
  });

  it('a source that goes away mid-run: the circuit opens, the rows already written stay as they were, no user is written failed', async () => {
    const sink = new MemorySink();
    const run = await bucketRun(sink);
    const gone = new SourceError('transient', 'request failed: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9', { connection: 'ECONNREFUSED at http://127.0.0.1:9' });
    const script: Record<string, (ReturnType<typeof page> | SourceError)[]> = { '1@': [page(['a'])], '2@': [page(['b', 'c'])] };
    for (let id = 3; id <= 40; id++) script[`${id}@`] = [gone];
    run.source = new FakeSource(script);
    run.users = (async function* () {
      for (let id = 1; id <= 40; id += 2) yield [{ id: String(id) }, { id: String(id + 1) }];
    })();
    run.collector = { ...run.collector, circuit: { firstUsers: 5, usersInARow: 6 } };
    const failure = await runBucket(run).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CircuitOpenError);
    expect(failure).toMatchObject({ code: 'FF_CIRCUIT_OPEN', connection: 'ECONNREFUSED at http://127.0.0.1:9', users: 6 });
    expect(sink.rows.map((r) => [r.user_id, r.status, r.friend_count])).toEqual([
      ['1', 'ok', 1],
      ['2', 'ok', 2],
    ]);
    expect(sink.runs.at(-1)).toMatchObject({ state: 'failed', users_done: 2 });
    // It stopped taking users: far fewer than the 38 unreachable ones were tried.
    expect(run.stats.usersStarted).toBeLessThan(12);
    await run.budget.close();
  });

  it('open phase: releasing the resources closes the budget, so nothing waits on it', async () => {
    const resources = new AsyncDisposableStack();
    const { source, budget } = await openSource(
      { name: 'twitter-html', baseUrl: 'http://127.0.0.1:9', tokens: [], connections: 1, timeoutMs: 1000, maxResponseMs: 5000, allowPrivateAddresses: false, repoRead: 'records' },
      (credentials) => ({ credentials, local: { windowMs: 60_000 } }),
      resources,
    );
    expect(source.name).toBe('twitter-html');
    await resources.disposeAsync();
    await expect(budget.schedule(async () => 'sent')).rejects.toBeInstanceOf(BudgetClosedError);
  });
});
