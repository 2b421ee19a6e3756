import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { runCollect } from '../../src/cli/worker.ts';
import { setupBigQuery } from '../../src/sinks/bigquery/setup.ts';
import { BigQuerySink } from '../../src/sinks/bigquery/sink.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { PROJECT, serviceAccount, useBigQueryFake } from '../support/bigquery.ts';
import { NO_FAULTS } from '../support/bigquery-fake/server.ts';
import { CLI, runCli } from '../support/cli.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';
import { checkAgainstTruth, type StoredRow } from '../support/truth.ts';

const dir = tempDir();
const quiet = pino({ level: 'silent' });
const USERS = 2_000;

const sim = await useSim({ users: USERS, seed: 21, latencyMs: 0 });
const usersFile = join(dir, 'users.csv');
await writeUsersFile(sim.graph, usersFile);
const slowSim = await useSim({ users: USERS, seed: 21, latencyMs: 20 });
const w = await useBigQueryFake({ seed: 3 });
const DATASET = 'production';
const target = w.target(DATASET);
await setupBigQuery(target);
const reader = new BigQuerySink(target);

/** Every stdout and stderr of this file's CLI runs: none may show key material. */
const outputs: string[] = [];
async function cli(args: string[], env: Record<string, string> = {}) {
  const r = await runCli(args, { ...w.env(DATASET), ...env }, { cwd: dir });
  outputs.push(r.stdout, r.stderr);
  return r;
}

/**
 * BigQuery has no NULL arrays: the worker sends [] where the embedded warehouse holds NULL (the names of
 * a user who is not `ok`, the IDs of a source that gives none or of an empty list).
 */
function asStored(r: Record<string, unknown>): StoredRow {
  const names = r.friend_names as string[];
  const ids = r.friend_ids as string[];
  return {
    user_id: String(r.user_id),
    status: String(r.status),
    friend_count: r.friend_count === null ? null : Number(r.friend_count),
    friend_names: r.status !== 'ok' && names.length === 0 ? null : names,
    friend_ids: ids.length === 0 ? null : ids,
    truncated: Boolean(r.truncated),
    pages: Number(r.pages),
    error: r.error as string | null,
  };
}

let runId = '';

/**
 * The fake is as strict as BigQuery (test/support/bigquery-fake/behaviour.ts) throughout: every
 * statement goes through Google's analyzer, queries often answer that they are not complete yet, and
 * a row sent again is sometimes stored twice; here one copy in five is kept.
 */
w.fake.setBehaviour({ dedupeMissRate: 0.2 });

describe('collecting into BigQuery (the fake) under insert faults', () => {
  // About 230 insert calls, a quarter of them failed and retried one at a time with backoff: a minute
  // or more on a busy machine.
  it(`${USERS} users through 10% failing insert calls, 5% partial failures, lost answers and 403s: every user once, run totals as stored`, { timeout: 240_000 }, async () => {
    w.fake.setFaults({ ...NO_FAULTS, insertErrorRate: 0.1, partialFailureRate: 0.05, lostResponseRate: 0.05, rateLimitRate: 0.03, quotaExceededRate: 0.02 });
    const before = structuredClone(w.fake.stats);
    const outcome = await runCollect(
      // A small buffer makes many insert calls (about one per 10 rows), so both faults happen often.
      { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, maxThreads: '50', maxFriends: '100', progress: 'off', heartbeatInterval: '1s', sinkBufferRows: '10', worker: 'bq-1' },
      { env: w.env(DATASET), isTTY: false, handleSignals: false, log: quiet },
    );
    w.fake.setFaults(NO_FAULTS);
    expect(outcome.state).toBe('finished');
    runId = outcome.runId!;
    const injected = { error: w.fake.stats.injected.error - before.injected.error, partial: w.fake.stats.injected.partial - before.injected.partial };
    // Every tenth insert call failed whole, every twentieth in part; all of them were retried.
    const calls = w.fake.stats.insertCalls - before.insertCalls;
    expect(calls).toBeGreaterThan(40);
    expect(injected.error).toBeGreaterThanOrEqual(Math.floor(calls / 10));
    expect(injected.partial).toBeGreaterThanOrEqual(Math.floor((calls - injected.error) / 20));

    const lost = w.fake.stats.injected.lostResponse - before.injected.lostResponse;
    const quota = w.fake.stats.injected.rateLimited + w.fake.stats.injected.quotaExceeded - before.injected.rateLimited - before.injected.quotaExceeded;
    expect(lost).toBeGreaterThan(0);
    expect(quota).toBeGreaterThan(0);

    // Exactly what arrived: one attempt per user (no loss, no second attempt), each as the sim says. A
    // request whose answer was lost was sent again, and some of its rows were stored twice (here, and
    // in runs and heartbeats): user_friends holds more rows than users, user_friends_distinct one each.
    expect(w.fake.stats.copiesStored - before.copiesStored).toBeGreaterThan(0);
    const [raw] = await reader.query(`SELECT COUNT(*) AS n FROM user_friends`);
    expect(raw!.n).toBeGreaterThan(BigInt(USERS));
    const rows = await reader.query(`SELECT * FROM user_friends_distinct`);
    expect(rows).toHaveLength(USERS);
    expect(new Set(rows.map((r) => r.user_id)).size).toBe(USERS);
    const ids = Array.from({ length: USERS }, (_, i) => sim.graph.idOf(i).toString());
    expect(await checkAgainstTruth(sim.url, ids, rows.map(asStored), 100)).toEqual({ lost: [], wrong: [], duplicated: [] });
    const [latest] = await reader.query(`SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM user_friends_latest`);
    expect(latest).toEqual({ n: BigInt(USERS), users: BigInt(USERS) });

    // The run's totals are what BigQuery holds.
    expect(outcome.stats.usersSaved).toBe(USERS);
    const [run] = await reader.query(`SELECT * FROM runs_latest WHERE run_id = $1`, [runId]);
    const byStatus = await reader.query(`SELECT status, COUNT(*) AS n FROM user_friends_distinct WHERE run_id = $1 GROUP BY status`, [runId]);
    const count = (s: string) => Number(byStatus.find((r) => r.status === s)?.n ?? 0);
    expect(run).toMatchObject({
      state: 'finished',
      worker: 'bq-1',
      bucket_users: BigInt(USERS),
      users_done: BigInt(USERS),
      users_saved: BigInt(USERS),
      users_ok: BigInt(count('ok')),
      users_protected: BigInt(count('protected')),
      users_not_found: BigInt(count('not_found')),
      users_suspended: BigInt(count('suspended')),
      users_failed: BigInt(count('failed')),
      dead_letters: 0n,
    });
    const [beat] = await reader.query(`SELECT users_saved, requests FROM heartbeats WHERE run_id = $1 ORDER BY beat_at DESC LIMIT 1`, [runId]);
    expect(beat).toEqual({ users_saved: BigInt(USERS), requests: BigInt(outcome.stats.requests) });
  });

  it('counts rows refused as invalid in the run totals and the dead-letter file; the next run resumes and retries them', async () => {
    await setupBigQuery(w.target('resume'));
    const resumeReader = new BigQuerySink(w.target('resume'));
    const ids = Array.from({ length: USERS }, (_, i) => sim.graph.idOf(i).toString());
    const refused = [ids[10]!, ids[20]!];
    const deadLetters = join(dir, 'dead-letters.ndjson');
    const flags = { users: usersFile, source: 'twitter-html', sourceUrl: sim.url, maxFriends: '100', progress: 'off', usersLimit: '100', deadLetterFile: deadLetters };
    const io = { env: w.env('resume'), isTTY: false, handleSignals: false, log: quiet };
    w.fake.setFaults({ ...NO_FAULTS, invalidUserIds: refused });
    const first = await runCollect(flags, io);
    w.fake.setFaults(NO_FAULTS);
    expect(first.stats).toMatchObject({ usersDone: 100, usersSaved: 98, deadLetters: 2 });
    const [run] = await resumeReader.query(`SELECT users_done, users_saved, dead_letters FROM runs_latest WHERE run_id = $1`, [first.runId!]);
    expect(run).toEqual({ users_done: 100n, users_saved: 98n, dead_letters: 2n });
    const letters = readFileSync(deadLetters, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { table: string; reason: string; row: { user_id: string } });
    expect(letters.map((l) => l.row.user_id).sort()).toEqual([...refused].sort());
    expect(letters.every((l) => l.table === 'user_friends' && l.reason.startsWith('invalid: '))).toBe(true);

    // The next run skips the 98 stored users, collects the 2 refused ones again, and 98 more.
    const second = await runCollect(flags, io);
    expect(second.stats).toMatchObject({ usersDone: 100, usersSaved: 100, deadLetters: 0 });
    const secondIds = (await resumeReader.query(`SELECT user_id FROM user_friends WHERE run_id = $1`, [second.runId!])).map((r) => String(r.user_id));
    expect(secondIds).toEqual(expect.arrayContaining(refused));
    const [all] = await resumeReader.query(`SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM user_friends_distinct`);
    expect(all).toEqual({ n: 198n, users: 198n });
  });

  it('monitor and plan read the BigQuery views', async () => {
    const monitor = await cli(['monitor', '--format', 'json']);
    expect(monitor.code).toBe(0);
    const report = JSON.parse(monitor.stdout) as { trial_summary: Record<string, unknown>[]; status_breakdown: { users: number }[]; throughput_timeline: { users: number }[] };
    const trial = report.trial_summary.find((t) => t.run_id === runId)!;
    const [view] = await reader.query(`SELECT * FROM trial_summary WHERE run_id = $1`, [runId]);
    expect(trial).toMatchObject({ distinct_users: USERS, rows: USERS, outcome: 'finished', worker: 'bq-1', ok: Number(view!.ok), users_per_hour: view!.users_per_hour });
    expect(report.status_breakdown.reduce((n, s) => n + s.users, 0)).toBe(USERS);
    expect(report.throughput_timeline.reduce((n, s) => n + s.users, 0)).toBe(USERS);

    const plan = await cli(['plan', '--users', '3600000', '--workers', '10', '--format', 'json']);
    expect(plan.code).toBe(0);
    const inputs = (JSON.parse(plan.stdout) as { inputs: { rate: number; rate_source: string } }).inputs;
    expect(inputs.rate).toBe(view!.users_per_hour);
    expect(inputs.rate_source).toBe(`measured in run ${runId}, twitter-html on the sim at ${sim.url}`);
  });

  it('partition reads the users table from BigQuery and stores the plan there; a worker then finds its bucket collected', async () => {
    // The researcher's table, with INT64 IDs, in the same project.
    await w.fake.execute(`CREATE TABLE \`${PROJECT}.${DATASET}.users\` (user_id INT64, screen_name STRING)`, { project: PROJECT });
    const table = Array.from({ length: USERS }, (_, i) => ({ json: { user_id: sim.graph.idOf(i).toString(), screen_name: sim.graph.screenName(i) } }));
    await w.fake.store.insert(PROJECT, DATASET, 'users', table, { skipInvalidRows: false, dedupeWindowMs: 0 });

    const fromBigQuery = await cli(['partition', '--source', 'twitter-html', '--users', `bigquery:${PROJECT}.${DATASET}.users`, '--partitions', '4', '--balance', 'count', '--format', 'json']);
    expect(fromBigQuery.code).toBe(0);
    const fromFile = await cli(['partition', '--source', 'twitter-html', '--users', usersFile, '--partitions', '4', '--balance', 'count', '--format', 'json', '--dry-run']);
    expect(fromBigQuery.stdout).toBe(fromFile.stdout);
    const buckets = JSON.parse(fromBigQuery.stdout) as { partition_id: number; min_id: string; max_id: string; user_count: number }[];
    expect(buckets.map((b) => b.user_count)).toEqual([500, 500, 500, 500]);
    const stored = await reader.latestPlan();
    expect(stored.map((b) => [b.partition_id, b.min_id, b.max_id])).toEqual(buckets.map((b) => [b.partition_id, b.min_id, b.max_id]));

    const queries = w.fake.stats.queryTexts.length;
    const worker = await cli(['collect', '--users', `bigquery:${PROJECT}.${DATASET}.users`, '--partition', '3', '--source', 'twitter-html', '--source-url', sim.url, '--progress', 'off']);
    expect(worker.code).toBe(0);
    expect(worker.stderr).toContain('bucket already collected; nothing to do');
    expect(worker.stderr).toContain('"bounds":"stored plan"');
    // The worker read only its bucket's users, the bounds passed as parameters.
    const usersQuery = w.fake.stats.queryTexts.slice(queries).find((q) => q.includes('AS user_id') && q.includes('@min_id'));
    expect(usersQuery).toBeDefined();
    expect(usersQuery).not.toContain(buckets[2]!.min_id);
  });

  it('SIGTERM: what BigQuery took is saved and recorded; with BigQuery stalled the worker still exits by the deadline', async () => {
    await setupBigQuery(w.target('sigterm'));
    const sigtermReader = new BigQuerySink(w.target('sigterm'));
    const env = { ...w.env('sigterm'), USERS: usersFile, SOURCE: 'twitter-html', SOURCE_URL: slowSim.url, MAX_THREADS: '20', PROGRESS: 'off', SHUTDOWN_TIMEOUT: '0s' };
    const run = async (stall: boolean) => {
      const child = spawn(process.execPath, [CLI, 'collect'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      let done = false;
      void exited.then(() => (done = true));
      while (!stderr.includes('run started') && !done) await sleep(50);
      expect(done, stderr).toBe(false);
      await sleep(800);
      if (stall) w.fake.stall();
      const at = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      w.fake.resume();
      outputs.push(stderr);
      return { code, stderr, ms: Date.now() - at };
    };

    const healthy = await run(false);
    expect(healthy.code).toBe(0);
    const [rec] = await sigtermReader.query(`SELECT run_id, state, users_saved FROM runs_latest ORDER BY started_at DESC LIMIT 1`);
    expect(rec!.state).toBe('interrupted');
    const [rows] = await sigtermReader.query(`SELECT COUNT(*) AS n FROM user_friends_distinct WHERE run_id = $1`, [rec!.run_id as string]);
    expect(rec!.users_saved).toBeGreaterThan(0n);
    expect(rec!.users_saved).toBe(rows!.n);

    // Stalled: in-flight users get SHUTDOWN_TIMEOUT (0 s here), the flush 5 s more, the run record 2 s
    // more, then the worker exits (25 s and 27 s with the default SHUTDOWN_TIMEOUT of 20 s).
    const stalled = await run(true);
    expect(stalled.ms).toBeGreaterThan(5_000);
    expect(stalled.ms).toBeLessThan(5_000 + 2_000 + 3_000);
    expect(stalled.code).toBe(1);
    expect(stalled.stderr).toContain('shutdown deadline passed');
  });

  it('never shows the key: logs say [redacted], errors name the problem without quoting it', async () => {
    const bad = await cli(['monitor'], { GOOGLE_CREDENTIALS: w.account.json.replace('service_account', 'authorized_user') });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(
      'friendfleet: GOOGLE_CREDENTIALS (flag --google-credentials) must be the JSON text of a service-account key file (with type "service_account", client_email and private_key); got [redacted]',
    );
    // A key the warehouse does not accept: a clear error, no key material.
    const stranger = serviceAccount('stranger@elsewhere.iam.gserviceaccount.com');
    const refused = await cli(['monitor'], { GOOGLE_CREDENTIALS: stranger.json });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/HTTP 401 authError: Request had invalid authentication credentials/);
    const keyLines = [w.account.key.private_key, stranger.key.private_key].flatMap((k) => k.split('\n').filter((l) => l.length > 40));
    expect(keyLines.length).toBeGreaterThan(10);
    for (const text of outputs) {
      expect(text).not.toContain('PRIVATE KEY');
      for (const line of keyLines) expect(text).not.toContain(line);
    }
    expect(outputs.join('\n')).toContain('"googleCredentials":"[redacted]"');
  });
});
