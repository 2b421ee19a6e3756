import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { setupBigQuery } from '../../src/sinks/bigquery/setup.ts';
import { BigQuerySink } from '../../src/sinks/bigquery/sink.ts';
import { writeUsersFile } from '../../src/sim/users-file.ts';
import { useBigQueryFake } from '../support/bigquery.ts';
import { CLI } from '../support/cli.ts';
import { useSim } from '../support/sim.ts';
import { tempDir } from '../support/tmp.ts';

/**
 * How long BigQuery stops answering. The issue asks for 60 s; `npm test` runs a 5 s stall (a minute is
 * too long for every CI run) and `npm run test:stall60` runs the literal 60 s one. Over 30 s, the
 * worker's insert requests also time out and are sent again (same insertIds) while the stall lasts.
 */
const STALL_S = Number(process.env.BIGQUERY_STALL_SECONDS ?? 5);
const USERS = 1_000;

const dir = tempDir();
const sim = await useSim({ users: 5_000, seed: 9, latencyMs: 2 });
const usersFile = join(dir, 'users.csv');
await writeUsersFile(sim.graph, usersFile);
const w = await useBigQueryFake();
await setupBigQuery(w.target('stall'));

/** Resident memory of a process, from /proc (Linux). */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

describe(`BigQuery stalled for ${STALL_S} s`, () => {
  // A thousand users end to end: under a minute on a quiet machine, several on a busy one.
  it('fetching pauses and memory stays flat while BigQuery is stalled; the run resumes and stores every user once', { timeout: (STALL_S + 300) * 1000 }, async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      ...w.env('stall'),
      USERS: usersFile,
      SOURCE: 'twitter-html',
      SOURCE_URL: sim.url,
      USERS_LIMIT: String(USERS),
      MAX_THREADS: '50',
      MAX_FRIENDS: '400',
      SINK_BUFFER_ROWS: '100',
      PROGRESS: 'off',
    };
    const child = spawn(process.execPath, [CLI, 'collect'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const stored = () => w.fake.stats.rowsStored;

    while (stored() < 200) await sleep(50);
    w.fake.stall();
    // Fetching pauses once the users in flight finish and the buffer is full (100 rows, plus the 100
    // of the stalled request), however long that takes on a busy machine: no request for a second.
    const stalledAt = Date.now();
    for (let before = -1; sim.stats().requests !== before;) {
      before = sim.stats().requests;
      await sleep(1000);
    }
    const pausedAfter = (Date.now() - stalledAt) / 1000;
    // Then the stall goes on for STALL_S: no user is started, and memory stays flat however long it lasts.
    const start = Date.now();
    const samples: { t: number; requests: number; rss: number }[] = [];
    while (Date.now() - start < STALL_S * 1000) {
      samples.push({ t: (Date.now() - start) / 1000, requests: sim.stats().requests, rss: rssMb(child.pid!) });
      await sleep(200);
    }
    const storedAtResume = stored();
    w.fake.resume();
    const code = await exited;

    expect(samples.length).toBeGreaterThan(5);
    expect(samples.every((s) => s.requests === samples[0]!.requests)).toBe(true);
    // The worker holds its buffers only.
    const held = samples.map((s) => s.rss);
    expect(Math.max(...held) - held[0]!).toBeLessThan(16);
    expect(storedAtResume).toBeLessThan(USERS);

    // It resumes: every user stored once (a request that timed out during a long stall and was sent
    // again is de-duplicated by its insertIds, or its copies counted once), and the run's totals say so.
    expect(code, stderr.slice(-2000)).toBe(0);
    const reader = new BigQuerySink(w.target('stall'));
    const [rows] = await reader.query(`SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM user_friends_distinct`);
    expect(rows).toEqual({ n: BigInt(USERS), users: BigInt(USERS) });
    const [run] = await reader.query(`SELECT state, users_saved FROM runs_latest`);
    expect(run).toEqual({ state: 'finished', users_saved: BigInt(USERS) });
    process.stdout.write(
      `stall ${STALL_S} s after fetching paused (${pausedAfter.toFixed(1)} s into it): rss ${samples[0]!.rss.toFixed(0)} MB, ` +
        `max ${Math.max(...held).toFixed(0)} MB after; insert calls ${w.fake.stats.insertCalls}, rows de-duplicated ${w.fake.stats.rowsDeduplicated}\n`,
    );
  });
});
