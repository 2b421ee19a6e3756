/**
 * What chaos scenarios share: a sim per scenario, workers run in this process or as `friendfleet
 * collect` processes, and the final check of the warehouse against `/_sim/truth`.
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { runCollect, type CollectOutcome } from '../../src/cli/worker.ts';
import { SimGraph } from '../../src/sim/graph.ts';
import { startSim, type RunningSim, type SimOptions } from '../../src/sim/server.ts';
import { truthOf } from '../../src/sim/truth.ts';
import { StagedUserTable } from '../../src/users/staged-table.ts';
import { CLI } from '../support/cli.ts';
import { checkAgainstTruth, type StoredRow } from '../support/truth.ts';
import { latestRows, type SinkHandle, type SinkTarget, type SourceTarget } from './targets.ts';

export type Form = 'short' | 'full';

/** What a scenario reports: users checked against the truth and what was wrong with them. */
export interface Outcome {
  users: number;
  lost: number;
  duplicated: number;
  wrong: number;
  /** What happened on the way (faults injected, restarts, exit codes), for the table. */
  notes: string[];
}

export interface ScenarioContext {
  readonly form: Form;
  readonly source: SourceTarget;
  readonly sinkTarget: SinkTarget;
  /** A fresh directory for this scenario. */
  readonly dir: string;
  /** Deterministic randomness (the suite's --seed). */
  random(): number;
  /** `short` in the short form, `full` in the full one. */
  scale<T>(short: T, full: T): T;
  /** Runs `fn` when the scenario ends, last registered first. */
  defer(fn: () => unknown): void;
}

export interface Scenario {
  readonly group: 'source' | 'sink' | 'process' | 'input' | 'hostile';
  readonly name: string;
  /** The sinks it runs against in each form (names of SINKS rows that apply to it). */
  readonly sinks: { readonly short: readonly string[]; readonly full: readonly string[] };
  /**
   * The sources it runs against in each form (names of SOURCES rows); by default the HTML site in the
   * short form and every source in the full one.
   */
  readonly sources?: { readonly short: readonly string[]; readonly full: readonly string[] };
  /**
   * Whether it may run beside other such scenarios: in-process runs that mostly wait on the sim's
   * faults and the backoff between retries, and check no timing tighter than seconds.
   */
  readonly concurrent?: boolean;
  run(ctx: ScenarioContext): Promise<Outcome>;
}

/** A sim for this scenario, stopped when it ends. */
export async function sim(ctx: ScenarioContext, options: SimOptions): Promise<RunningSim> {
  const running = await startSim({ port: 0, ...options });
  ctx.defer(() => running.close());
  return running;
}

/** The sim's users table, written as the scenario's source reads it. */
export async function usersFile(ctx: ScenarioContext, running: RunningSim, name = 'users.csv'): Promise<string> {
  const path = `${ctx.dir}/${name}`;
  await ctx.source.writeUsers(running.graph, path, running.variants);
  return path;
}

/** The warehouse for this scenario, closed when it ends. */
export async function warehouse(ctx: ScenarioContext, dir = ctx.dir): Promise<SinkHandle> {
  const handle = await ctx.sinkTarget.open(dir);
  ctx.defer(() => handle.close());
  return handle;
}

/** The IDs of bucket k of n of a users file, as a worker cuts it (NTILE over ID order). */
export async function bucketIds(ctx: ScenarioContext, file: string, k: number, n: number): Promise<string[]> {
  const table = await StagedUserTable.fromFile(file, ctx.source.idKind);
  try {
    const bucket = (await table.ntile(n)).find((b) => b.partition_id === k)!;
    const ids: string[] = [];
    for await (const batch of table.batches({ kind: ctx.source.idKind, min: bucket.min_id, max: bucket.max_id }, { batchSize: 1000 })) ids.push(...batch.map((u) => u.id));
    return ids;
  } finally {
    await table.close();
  }
}

/**
 * The users table of the sim a scenario is about to start, and bucket k of n of it, with the requests
 * a clean run of that bucket takes (each readable list's pages up to MAX_FRIENDS, one request for
 * anyone else), so that the sim's faults or latency can be set from the source's page size.
 */
export async function plannedBucket(ctx: ScenarioContext, graph: { users: number; seed: number }, k: number, n: number, maxFriends = 2000) {
  const simGraph = new SimGraph(graph);
  const users = `${ctx.dir}/users.csv`;
  await ctx.source.writeUsers(simGraph, users);
  const ids = await bucketIds(ctx, users, k, n);
  let requests = 0;
  for (const id of ids) requests += Math.max(1, Math.ceil(Math.min(truthOf(simGraph, id)!.following.length, maxFriends) / ctx.source.pageSize));
  return { users, ids, requests };
}

/** The settings every worker of a scenario gets: its source at the sim, its warehouse, quiet output. */
export function baseEnv(ctx: ScenarioContext, running: RunningSim, sink: SinkHandle, users: string): Record<string, string> {
  return { SOURCE: ctx.source.name, SOURCE_URL: running.url, USERS: users, PROGRESS: 'off', HEARTBEAT_INTERVAL: '5s', ...sink.env, ...ctx.source.env };
}

/** A logger whose JSON lines are kept, to check what a worker reported. */
export function capturedLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { log, lines };
}

/** One `collect` run in this process (settings as env vars). */
export function collect(env: Record<string, string>, log: Logger = pino({ level: 'silent' })): Promise<CollectOutcome> {
  return runCollect({}, { env, isTTY: false, handleSignals: false, log });
}

/**
 * Runs `collect` again until the bucket is done, as a restarted worker would: a user that failed
 * (retries ran out) is tried again by the next run, up to MAX_ATTEMPTS runs. Returns the outcomes.
 */
export async function collectUntilDone(env: Record<string, string>, maxRuns = 5): Promise<CollectOutcome[]> {
  const outcomes: CollectOutcome[] = [];
  for (let run = 0; run < maxRuns; run++) {
    const outcome = await collect(env);
    outcomes.push(outcome);
    if (outcome.state === 'nothing_to_do') return outcomes;
  }
  throw new Error(`bucket still not done after ${maxRuns} runs`);
}

export interface WorkerProcess {
  readonly pid: number;
  /** The worker's stderr (pino JSON lines and the CLI's own error line). */
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `friendfleet collect` as a process with exactly these settings (a worker on its own machine). */
export function spawnCollect(ctx: ScenarioContext, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'collect'], {
    cwd: ctx.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  ctx.defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { pid: child.pid!, stderr: () => stderr, exited, kill: (signal) => child.kill(signal) };
}

/** The pino lines a worker process wrote. */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface VerifyOptions {
  /** MAX_FRIENDS of the runs. Default 2,000. */
  maxFriends?: number;
  /** Users the sim does not have (an ID only the users table names), with the status the source gives them. */
  others?: Readonly<Record<string, string>>;
  /**
   * Rows the warehouse refused as invalid, read from the dead-letter file. The owners' rule is that
   * every user ends in a stated status and none is silently dropped: a refused user's row, status and
   * all, is in the dead-letter file (and counted in the run's `dead_letters`) instead of the warehouse.
   * So here a dead-lettered row stands for its user: it is checked against the truth like a stored
   * one, a user with neither is lost, and a user with both is duplicated.
   */
  deadLetters?: readonly StoredRow[];
}

/** Checks the warehouse's latest rows of `ids` against the sim's truth. */
export async function verify(ctx: ScenarioContext, running: RunningSim, sink: SinkHandle, ids: readonly string[], options: VerifyOptions = {}): Promise<Omit<Outcome, 'notes'>> {
  const others = options.others ?? {};
  const rows = [...(await latestRows(sink)), ...(options.deadLetters ?? [])];
  const check = await checkAgainstTruth(running.url, ids, rows, options.maxFriends ?? 2000, ctx.source.name);
  const known = new Set(ids);
  let wrong = check.wrong.length;
  let lost = check.lost.length;
  for (const [id, status] of Object.entries(others)) {
    const row = rows.filter((r) => r.user_id === id);
    if (row.length === 0) lost++;
    else if (row[0]!.status !== status) wrong++;
  }
  // A row for a user the scenario did not ask for is as wrong as a wrong row.
  wrong += rows.filter((r) => !known.has(r.user_id) && !(r.user_id in others)).length;
  return { users: ids.length + Object.keys(others).length, lost, duplicated: check.duplicated.length, wrong };
}

/** Counts what the sim injected, for the notes: `5xx 31, reset 4`. */
export function faultNotes(running: RunningSim): string {
  const stats = running.stats();
  const parts = Object.entries(stats.faults).map(([k, n]) => `${k} ${n}`);
  if (stats.rateLimited > 0) parts.push(`429s ${stats.rateLimited}`);
  return parts.join(', ') || 'no faults';
}

/** A scenario that cannot run here (a missing permission): reported as skipped, with the reason. */
export class Skip extends Error {}

/** Fails the scenario with `message` unless `condition` holds. */
export function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}
