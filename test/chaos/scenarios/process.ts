/**
 * Process faults: workers stopped by SIGTERM (a platform restart) or SIGKILL (a crash, an OOM kill)
 * at random points, again and again, then run to the end; and two workers started on one bucket by
 * mistake. Nothing may be lost or doubled, and a SIGTERM must end in exit 0 within the platform's grace.
 */
import { readdirSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  baseEnv,
  bucketIds,
  plannedBucket,
  collectUntilDone,
  expect,
  logLines,
  sim,
  spawnCollect,
  usersFile,
  verify,
  warehouse,
  type Outcome,
  type Scenario,
  type ScenarioContext,
  type WorkerProcess,
} from '../harness.ts';
import type { SinkHandle } from '../targets.ts';

const SINKS = { short: ['duckdb'], full: ['duckdb', 'fleet-host', 'bigquery'] } as const;

/** Heroku sends SIGKILL 30 s after SIGTERM; a worker must be gone well before. */
const GRACE_MS = 25_000;

/**
 * A bucket that takes a worker seconds (short: 200 users, 10 at a time, about 4.5 s; full: 400 users,
 * 5 at a time, about 16 s), so that most random signals land while it collects. The sim's latency is
 * set from the requests the bucket takes with the source's page size: 20 ms a page for the HTML
 * site's 20-account pages, about 200 ms for the X API's 1,000-account ones.
 */
async function slowBucket(ctx: ScenarioContext) {
  const simOptions = { users: ctx.scale(2000, 4000), seed: 11 };
  const { users, ids, requests } = await plannedBucket(ctx, simOptions, 10, 10);
  const threads = ctx.scale(10, 5);
  const latencyMs = Math.max(20, Math.round((ctx.scale(4500, 16_000) * threads) / requests));
  const running = await sim(ctx, { ...simOptions, latencyMs });
  const sink = await warehouse(ctx);
  const env = { ...baseEnv(ctx, running, sink, users), PARTITION: '10/10', MAX_THREADS: String(threads) };
  return { running, users, sink, env, ids };
}

/** Whether the worker had begun collecting (its handlers were installed long before). */
const collecting = (worker: WorkerProcess) => logLines(worker.stderr()).some((l) => l.msg === 'run started');

/** Terminal rows stored more than once for one user: work done twice. */
async function storedTwice(sink: SinkHandle): Promise<number> {
  const [r] = await sink.query(`SELECT count(*) - count(DISTINCT user_id) AS n FROM user_friends WHERE status <> 'failed'`);
  return Number(r!.n);
}

/** Every interrupted run stored exactly the rows it counted as done, and recorded those totals. */
async function interruptedRunsFlushed(sink: SinkHandle): Promise<number> {
  const runs = await sink.query(`
    SELECT r.run_id, r.users_done, r.users_saved, (SELECT count(*) FROM user_friends f WHERE f.run_id = r.run_id) AS stored
    FROM runs_latest r WHERE r.state = 'interrupted'`);
  for (const r of runs) {
    expect(
      Number(r.users_saved) === Number(r.users_done) && Number(r.stored) === Number(r.users_done),
      `run ${String(r.run_id)}: ${String(r.users_done)} done, ${String(r.users_saved)} saved, ${String(r.stored)} stored`,
    );
  }
  return runs.length;
}

function randomSignals(signal: 'SIGTERM' | 'SIGKILL'): Scenario {
  return {
    group: 'process',
    name: `${signal} at random points, repeated`,
    sinks: SINKS,
    async run(ctx): Promise<Outcome> {
      const { running, sink, env, ids } = await slowBucket(ctx);
      const shutdownMs = ctx.scale(2000, 20_000);
      const runEnv = { ...env, SHUTDOWN_TIMEOUT: `${shutdownMs}ms` };
      const rounds = ctx.scale(3, 8);
      const stops: number[] = [];
      const killed: { pid: number; at: number }[] = [];
      let early = 0;
      let midRun = 0;
      for (let round = 0; round < rounds; round++) {
        const worker = spawnCollect(ctx, runEnv);
        await sleep(200 + ctx.random() * ctx.scale(2000, 5800));
        const sentAt = Date.now();
        if (collecting(worker)) midRun++;
        worker.kill(signal);
        const { code, signal: by } = await worker.exited;
        stops.push(Date.now() - sentAt);
        killed.push({ pid: worker.pid, at: sentAt });
        if (signal === 'SIGKILL') continue;
        if (by === 'SIGTERM') {
          // Before the worker read its settings it has no handler yet; it had started nothing.
          expect(!collecting(worker), `a collecting worker died of SIGTERM instead of stopping`);
          early++;
          continue;
        }
        expect(code === 0, `exit ${code} after SIGTERM: ${worker.stderr().trim().split('\n').at(-1)}`);
        // The product's promise: gone before Heroku's SIGKILL, whatever else runs on the machine.
        expect(Date.now() - sentAt < GRACE_MS, `stopped ${Date.now() - sentAt} ms after SIGTERM`);
      }
      // The last start runs to the end (faster: more users at a time).
      await collectUntilDone({ ...runEnv, MAX_THREADS: '50', ...sink.env });
      const twice = await storedTwice(sink);
      expect(twice === 0, `${twice} users stored twice as done`);
      const notes = [`${rounds} ${signal}s, ${midRun} while collecting`];
      if (signal === 'SIGTERM') {
        notes.push(`exit 0 within ${(Math.max(...stops) / 1000).toFixed(1)} s`, `${await interruptedRunsFlushed(sink)} interrupted runs flushed whole`);
        if (early > 0) notes.push(`${early} before the worker read its settings`);
      } else {
        // A killed worker cannot clean up after itself: the next worker removes what it left.
        // Only files older than the kill: other processes on the machine (other test runs) may get a
        // killed worker's pid later, and their own staging files are theirs.
        const left = readdirSync(tmpdir()).filter((f) => {
          if (!f.startsWith(`friendfleet-users-${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-`)) return false;
          const written = statSync(join(tmpdir(), f), { throwIfNoEntry: false })?.mtimeMs;
          return written !== undefined && killed.some((k) => f.includes(`-${k.pid}-`) && written <= k.at);
        });
        expect(left.length === 0, `staged users tables of killed workers left in ${tmpdir()}: ${left.join(', ')}`);
        notes.push('no terminal row stored twice', 'no staging file left');
      }
      return { ...(await verify(ctx, running, sink, ids)), notes };
    },
  };
}

export const PROCESS_SCENARIOS: readonly Scenario[] = [
  randomSignals('SIGTERM'),
  randomSignals('SIGKILL'),
  {
    group: 'process',
    name: 'SIGTERM while every request hangs',
    sinks: { short: ['duckdb'], full: ['duckdb'] },
    async run(ctx) {
      // Every answer stalls for two minutes: no in-flight user can finish, the shutdown timeout must end them.
      const stalling = await sim(ctx, { users: 4000, seed: 11, faultRate: 1, faultKinds: ['stall'], stallMs: 120_000 });
      const users = await usersFile(ctx, stalling);
      const sink = await warehouse(ctx);
      // The full form keeps every default: REQUEST_TIMEOUT 30 s, SHUTDOWN_TIMEOUT 20 s.
      const env = { ...baseEnv(ctx, stalling, sink, users), PARTITION: '10/10', ...ctx.scale<Record<string, string>>({ SHUTDOWN_TIMEOUT: '2s' }, {}) };
      const worker = spawnCollect(ctx, env);
      for (let waited = 0; !collecting(worker); waited += 50) {
        expect(waited < 20_000, 'the worker never started collecting');
        await sleep(50);
      }
      await sleep(500);
      const sentAt = Date.now();
      worker.kill('SIGTERM');
      const { code } = await worker.exited;
      const stopMs = Date.now() - sentAt;
      expect(code === 0, `exit ${code} after SIGTERM`);
      expect(stopMs < GRACE_MS, `stopped ${stopMs} ms after SIGTERM, past Heroku's grace`);
      expect(
        logLines(worker.stderr()).some((l) => l.msg === 'shutdown timeout: abandoning in-flight users (the next run redoes them)'),
        'in-flight users were not abandoned',
      );
      const [run] = await sink.query(`SELECT state, users_done FROM runs_latest`);
      expect(run?.state === 'interrupted' && Number(run.users_done) === 0, `the run ended ${String(run?.state)}`);
      // The same network without faults: the next run collects the whole bucket.
      const healthy = await sim(ctx, { users: 4000, seed: 11 });
      await collectUntilDone({ ...env, SOURCE_URL: healthy.url });
      return {
        ...(await verify(ctx, healthy, sink, await bucketIds(ctx, users, 10, 10))),
        notes: [`exit 0 ${(stopMs / 1000).toFixed(1)} s after SIGTERM`, `SHUTDOWN_TIMEOUT ${ctx.scale('2 s', '20 s (default)')}`],
      };
    },
  },
  {
    group: 'process',
    name: 'two workers on one bucket',
    sinks: { short: ['bigquery'], full: ['duckdb', 'fleet-host', 'bigquery'] },
    async run(ctx) {
      const { running, sink, env, ids } = await slowBucket(ctx);
      const workers = [spawnCollect(ctx, env), spawnCollect(ctx, env)];
      const exits = await Promise.all(workers.map((w) => w.exited));
      const codes = exits.map((e) => e.code).sort();
      if (ctx.sinkTarget.sharedByProcesses) {
        expect(codes.join() === '0,0', `exit codes ${codes.join()}`);
      } else {
        // One of them holds the file; the other stops at once (or, if it came late, finds nothing to do).
        const loser = workers[exits.findIndex((e) => e.code !== 0)];
        expect(codes.join() === '0,0' || (codes.join() === '0,1' && /another process has the file open/.test(loser!.stderr())), `exit codes ${codes.join()}`);
      }
      const [latest] = await sink.query(`SELECT count(*) - count(DISTINCT user_id) AS n FROM user_friends_latest`);
      expect(Number(latest!.n) === 0, `${String(latest!.n)} duplicate latest rows`);
      const twice = await storedTwice(sink);
      return {
        ...(await verify(ctx, running, sink, ids)),
        notes: [`exit codes ${codes.join(', ')}`, `${twice} of ${ids.length} users collected by both (one latest row each)`],
      };
    },
  },
];
