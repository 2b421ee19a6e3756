/**
 * Sink faults of a streaming warehouse (BigQuery's, injected by its fake): insert calls that fail,
 * fail in part, lose their answer, answer slowly or not at all, refuse requests over the size limit,
 * and refuse rows as invalid. Every user must end stored once as the truth says, or (a refused row) in
 * the dead-letter file with its status, counted in the run's totals.
 */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningSim } from '../../../src/sim/server.ts';
import type { DeadLetter } from '../../../src/sinks/dead-letter.ts';
import type { FakeFaults, FakeStats } from '../../support/bigquery-fake/server.ts';
import { NO_FAULTS } from '../../support/bigquery-fake/server.ts';
import { baseEnv, bucketIds, collect, collectUntilDone, expect, sim, usersFile, verify, warehouse, type Outcome, type Scenario, type ScenarioContext } from '../harness.ts';
import { asStored, SOURCES, type SinkHandle, type WriteFaults } from '../targets.ts';

/** Warehouses that inject faults into their writes (SINKS rows with `faults`). */
const SINKS = ['bigquery'];

/** The oldest bucket: long lists, so rows are large (a 2,000-account row with IDs is about 82 KB). */
const BUCKET = { short: [1, 20], full: [1, 10] } as const;

interface Run {
  running: RunningSim;
  sink: SinkHandle;
  faults: WriteFaults;
  env: Record<string, string>;
  ids: string[];
}

/** A sim, its users, a warehouse with fault injection, and the settings of a worker of the bucket. */
async function setUp(ctx: ScenarioContext, env: Record<string, string> = {}): Promise<Run> {
  const running = await sim(ctx, { users: 2000, seed: 14, latencyMs: 1 });
  const users = await usersFile(ctx, running);
  const sink = await warehouse(ctx);
  expect(sink.faults !== undefined, `${ctx.sinkTarget.name} cannot inject write faults`);
  const [k, n] = BUCKET[ctx.form];
  // A small buffer makes many insert calls, so that a share of calls is many calls.
  const settings = { ...baseEnv(ctx, running, sink, users), PARTITION: `${k}/${n}`, SINK_BUFFER_ROWS: '10', ...env };
  return { running, sink, faults: sink.faults!, env: settings, ids: await bucketIds(ctx, users, k, n) };
}

/** What the fake counted since `before`. */
function since(before: FakeStats, after: FakeStats) {
  return {
    calls: after.insertCalls - before.insertCalls,
    error: after.injected.error - before.injected.error,
    partial: after.injected.partial - before.injected.partial,
    rowsFailedPartial: after.rowsFailedPartial - before.rowsFailedPartial,
    lost: after.injected.lostResponse - before.injected.lostResponse,
    deduplicated: after.rowsDeduplicated - before.rowsDeduplicated,
    oversize: after.injected.oversize - before.injected.oversize,
  };
}

/** Rows stored more than once in user_friends: none may be, after runs that each attempt a user once. */
async function rowsTwice(sink: SinkHandle): Promise<number> {
  const [r] = await sink.query(`SELECT COUNT(*) - COUNT(DISTINCT user_id) AS n FROM user_friends`);
  return Number(r!.n);
}

interface InsertFault {
  name: string;
  /** Sources in the short form (the full form runs every source). */
  short: readonly string[];
  faults: Partial<FakeFaults>;
  /**
   * Hold every insert until fetching pauses (the buffer full, or the bucket fetched), so that the
   * requests after it carry every buffered row however fast the source was.
   */
  pileUp?: boolean;
  env?(ctx: ScenarioContext): Record<string, string>;
  /** Checks what the fake counted; returns notes. */
  check(counted: ReturnType<typeof since>, twice: number): string[];
}

/** Collects the bucket while the fake injects `fault.faults` into every insert call, then checks. */
function insertFault(fault: InsertFault): Scenario {
  return {
    group: 'sink',
    name: fault.name,
    sinks: { short: fault.short.length > 0 ? SINKS : [], full: SINKS },
    sources: { short: fault.short.length > 0 ? fault.short : ['twitter-api'], full: SOURCES.map((s) => s.name) },
    concurrent: true,
    async run(ctx): Promise<Outcome> {
      const { running, sink, faults, env, ids } = await setUp(ctx, fault.env?.(ctx));
      const before = faults.stats();
      faults.set(fault.faults);
      const collecting = collectUntilDone(env);
      // Awaited below; a failure while this scenario waits is the scenario's failure, not a crash.
      collecting.catch(() => undefined);
      if (fault.pileUp) {
        // Once fetching began (the run's first record is stored: a worker starts nothing before).
        await until(() => running.stats().requests > 0);
        faults.stall();
        await fetchingPaused(running);
        faults.resume();
      }
      const outcomes = await collecting;
      faults.set(NO_FAULTS);
      const counted = since(before, faults.stats());
      const notes = fault.check(counted, await rowsTwice(sink));
      const deadLetters = outcomes.reduce((n, o) => n + o.stats.deadLetters, 0);
      expect(deadLetters === 0, `${deadLetters} rows dead-lettered: only invalid rows may be`);
      return { ...(await verify(ctx, running, sink, ids)), notes: [...notes, `${outcomes.filter((o) => o.runId).length} run(s)`] };
    },
  };
}

/** Resolves once `condition` holds (checked every 20 ms, for at most a minute). */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    expect(waited < 60_000, 'the worker never got that far');
    await sleep(20);
  }
}

/** Resolves once the source has had no request for a second (the worker waits for its warehouse). */
async function fetchingPaused(running: RunningSim): Promise<void> {
  let last = -1;
  for (let waited = 0; ; waited += 1000) {
    expect(waited < 300_000, 'fetching never paused');
    const now = running.stats().requests;
    if (now === last && now > 0) return;
    last = now;
    await sleep(1000);
  }
}

/** The rows of users refused as invalid, from the dead-letter file. */
function deadLetteredUsers(file: string | undefined): DeadLetter[] {
  if (!file || !existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DeadLetter)
    .filter((l) => l.table === 'user_friends');
}

export const STREAMING_SCENARIOS: readonly Scenario[] = [
  insertFault({
    name: 'insert calls answered 500/503 (20%)',
    short: ['twitter-api'],
    faults: { insertErrorRate: 0.2 },
    check: (c, twice) => {
      expect(c.error > 0, 'no insert call failed');
      expect(twice === 0, `${twice} users stored twice`);
      return [`${c.error} of ${c.calls} insert calls failed, sent again whole`];
    },
  }),
  insertFault({
    name: 'partial insert failures (insertErrors on 20% of calls)',
    short: ['twitter-api'],
    faults: { partialFailureRate: 0.2, partialRowShare: 0.3 },
    check: (c, twice) => {
      expect(c.partial > 0 && c.rowsFailedPartial > 0, 'no insert call failed in part');
      expect(twice === 0, `${twice} users stored twice`);
      return [`${c.partial} of ${c.calls} calls failed in part, ${c.rowsFailedPartial} rows sent again`];
    },
  }),
  insertFault({
    name: 'answers lost after the rows were stored (20%)',
    short: [],
    faults: { lostResponseRate: 0.2 },
    check: (c, twice) => {
      expect(c.lost > 0, 'no answer was lost');
      // Each lost answer's request is sent again with the same insertIds, and BigQuery drops the copies.
      expect(c.deduplicated > 0, 'no re-sent row was dropped by its insertId');
      expect(twice === 0, `${twice} users stored twice: a re-sent request doubled its rows`);
      return [`${c.lost} answers lost, ${c.deduplicated} re-sent rows dropped by insertId, none stored twice`];
    },
  }),
  insertFault({
    name: 'requests over the size limit (413, split)',
    short: [],
    // Requests of up to 500 rows against a 256 KB limit; the largest row is about 120 KB (Bluesky's DIDs and handles).
    faults: { maxRequestBytes: 256 * 1024 },
    pileUp: true,
    env: () => ({ SINK_BUFFER_ROWS: '1000' }),
    check: (c, twice) => {
      expect(c.oversize > 0, 'no request was over the limit');
      expect(twice === 0, `${twice} users stored twice`);
      return [`${c.oversize} requests answered 413 and split in two, until each fit 256 KB`];
    },
  }),
  {
    group: 'sink',
    name: 'slow answers, then a stall (fetching waits)',
    sinks: { short: SINKS, full: SINKS },
    sources: { short: ['twitter-api'], full: SOURCES.map((s) => s.name) },
    concurrent: true,
    async run(ctx) {
      const { running, sink, faults, env, ids } = await setUp(ctx);
      // Past the 30 s request timeout in the full form: the worker sends the stalled requests again.
      const stallMs = ctx.scale(3000, 35_000);
      faults.set({ delayMs: 100 });
      const collecting = collectUntilDone(env);
      collecting.catch(() => undefined);
      const stored = () => faults.stats().rowsStored;
      await until(() => stored() >= ids.length / 5);
      faults.stall();
      const stalledAt = Date.now();
      // The stall lasts until resumed: first the users in flight finish and fill the buffer, however
      // long that takes on a busy machine, then nothing more may be fetched.
      await fetchingPaused(running);
      const midway = running.stats().requests;
      await sleep(Math.max(stallMs / 2, stallMs - (Date.now() - stalledAt)));
      const atEnd = running.stats().requests;
      const held = faults.stats().stalledCalls;
      const storedInStall = stored();
      faults.resume();
      faults.set(NO_FAULTS);
      const outcomes = await collecting;
      // A slow sink slows the fetching: once the buffer is full no user is fetched.
      expect(atEnd === midway, `the source got ${atEnd - midway} requests in the second half of the stall`);
      expect(held > 0 && storedInStall < ids.length, 'the stall held no insert call');
      const twice = await rowsTwice(sink);
      expect(twice === 0, `${twice} users stored twice`);
      return {
        ...(await verify(ctx, running, sink, ids)),
        notes: [`100 ms per insert, then a ${stallMs / 1000} s stall with ${held} calls held`, `no request to the source in its second half`, `${outcomes.filter((o) => o.runId).length} run(s)`],
      };
    },
  },
  {
    group: 'sink',
    name: 'rows refused as invalid (dead letters)',
    sinks: { short: SINKS, full: SINKS },
    sources: { short: ['twitter-api'], full: SOURCES.map((s) => s.name) },
    concurrent: true,
    async run(ctx) {
      const { running, sink, faults, env, ids } = await setUp(ctx);
      // A tenth of the bucket's users, at least two.
      const refused = ids.filter((_, i) => i < 2 || ctx.random() < 0.1);
      faults.set({ invalidUserIds: refused });
      const first = await collect(env);
      faults.set(NO_FAULTS);
      // What "not silently dropped" means for a refused row: it is in the dead-letter file once, with
      // the user's status and list (checked against the truth below); the run counts it in
      // dead_letters and not in users_saved; the warehouse has no row for the user.
      const letters = deadLetteredUsers(sink.deadLetterFile);
      const lettered = letters.map((l) => String((l.row as { user_id: string }).user_id)).sort();
      expect(JSON.stringify(lettered) === JSON.stringify([...refused].sort()), `dead letters for ${lettered.length} users, ${refused.length} refused`);
      expect(
        letters.every((l) => l.reason.startsWith('invalid: ')),
        'a dead letter without the reason',
      );
      const [run] = await sink.query(`SELECT users_done, users_saved, dead_letters FROM runs_latest WHERE run_id = '${first.runId!}'`);
      expect(
        Number(run!.dead_letters) === refused.length && Number(run!.users_saved) === Number(run!.users_done) - refused.length,
        `run totals: ${String(run!.users_done)} done, ${String(run!.users_saved)} saved, ${String(run!.dead_letters)} dead letters`,
      );
      const afterFirst = await verify(ctx, running, sink, ids, { deadLetters: letters.map((l) => asStored(l.row as Record<string, unknown>)) });

      // The refusal ends (a schema fixed): the next run collects exactly the refused users again.
      const later = await collectUntilDone(env);
      const second = await sink.query(`SELECT user_id FROM user_friends WHERE run_id = '${later[0]!.runId!}'`);
      expect(JSON.stringify(second.map((r) => String(r.user_id)).sort()) === JSON.stringify([...refused].sort()), `the next run stored ${second.length} users, not the ${refused.length} refused`);
      const end = await verify(ctx, running, sink, ids);
      return {
        users: end.users,
        lost: afterFirst.lost + end.lost,
        duplicated: afterFirst.duplicated + end.duplicated,
        wrong: afterFirst.wrong + end.wrong,
        notes: [
          `${refused.length} users refused: each in the dead-letter file once (row as the truth says) and in runs.dead_letters, not in users_saved, no warehouse row`,
          'the next run stored them; checked after both runs',
        ],
      };
    },
  },
];
