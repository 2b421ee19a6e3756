/**
 * Bluesky at network scale: the AppView source (one host, getFollows) against the repository source
 * (each account's repository on its PDS, 100 hosts) under the same per-host limit, 3,000 requests per
 * 5 minutes, run at that rate in 10 s windows (100 requests per host per window). Each source runs
 * once as a real `collect` process against a sim process; the sim's per-host counters are read at
 * every window boundary (the sim's windows are aligned to the epoch), and the measured span is the
 * whole windows after the first while every host still has users waiting. Reports users per hour for
 * one worker, requests and bytes per user, each host's use of its budget (requests answered ÷ limit,
 * min and mean over hosts and windows), and the fleet days 30 million users would take.
 *
 * Run: node bench/bluesky-network.ts [--quick] [--with-car] [--hosts N] [--per-host 1000]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import type { NetworkDescription } from '../src/sim/atproto/network.ts';
import { didOfId } from '../src/sim/did.ts';
import type { SimStats } from '../src/sim/server.ts';
import { workerCli } from './collect-process.ts';
import { startSimProcess } from './sim-process.ts';
import { printTable, writeResults } from './table.ts';
import { DYNO_ENV, DYNO_NODE_ARGS, SIM_SEED, SIM_USERS, simGraph } from './workload.ts';

const quick = process.argv.includes('--quick');
const argument = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
/**
 * PDS host counts the repository source runs against, each in a network of its own: 100 as Bluesky's
 * own hosts number, and 20, whose sum of budgets a busy 2-core machine serves and collects with room to
 * spare (at 100 the sim and the worker share the cores with the whole network's traffic).
 */
const HOST_COUNTS = process.argv.includes('--hosts') ? [argument('--hosts', 100)] : quick ? [10] : [20, 100];
const WINDOW_S = quick ? 2 : 10;
/**
 * Requests per host per 5 minutes, run at that rate in WINDOW_S windows: 1,000, a third of Bluesky's
 * 3,000, so that the hosts' sum stays within what a shared 2-core machine can serve and collect at once.
 * Both sources run under it, budget-bound, so users per hour at 3,000 are the measured ones times 3.
 */
const PER_HOST_5MIN = argument('--per-host', 1000);
const LIMIT = Math.round((PER_HOST_5MIN * WINDOW_S) / 300);
const MEASURED_WINDOWS = quick ? 2 : 4;
const MAX_FRIENDS = 2000;
const LATENCY_MS = 50;
const PROJECTED_USERS = 30_000_000;
const FLEET = 10;

interface Run {
  source: 'bluesky' | 'bluesky-repo';
  read?: 'auto' | 'records';
  users: number;
  threads: number;
  hosts: number;
}

/**
 * The AppView, and the repository source as it runs by default (pages of records). `--with-car` adds
 * the `auto` reading (a page, then the repository file): on this machine the sim's building of
 * repository files, not the worker, then bounds it.
 */
const RUNS: Run[] = HOST_COUNTS.flatMap((hosts, k): Run[] => [
  ...(k === 0 ? [{ source: 'bluesky' as const, users: quick ? 60 : 150, threads: 50, hosts }] : []),
  { source: 'bluesky-repo', read: 'records', users: quick ? 800 : 200 * hosts, threads: 500, hosts },
  ...(process.argv.includes('--with-car') ? [{ source: 'bluesky-repo' as const, read: 'auto' as const, users: quick ? 1500 : 500 * hosts, threads: 500, hosts }] : []),
]);

const dir = mkdtempSync(join(tmpdir(), 'ff-bluesky-network-'));
const rows: Record<string, unknown>[] = [];
let offset = 0;
try {
  for (const hosts of HOST_COUNTS) {
    const sim = await startSimProcess([
      '--users',
      String(SIM_USERS),
      '--seed',
      String(SIM_SEED),
      '--latency-ms',
      String(LATENCY_MS),
      '--rate-limit',
      String(LIMIT),
      '--rate-window',
      `${WINDOW_S}s`,
      '--atproto-hosts',
      String(hosts),
    ]);
    const network = async () => (await (await fetch(`${sim.plcUrl}/_sim/network`)).json()) as NetworkDescription;
    try {
      for (const run of RUNS.filter((r) => r.hosts === hosts)) {
        // A different slice of the graph for each run, spread over the whole of it (DIDs fall on every host).
        const usersFile = join(dir, `users-${rows.length}.csv`);
        const step = Math.floor(SIM_USERS / run.users);
        const ids: string[] = [];
        for (let k = 0; k < run.users; k++) ids.push(didOfId(simGraph.idOf((k * step + offset) % SIM_USERS)));
        offset++;
        writeFileSync(usersFile, `user_id\n${ids.join('\n')}\n`);
        const warehouse = join(dir, `run-${rows.length}.duckdb`);
        const url = run.source === 'bluesky' ? sim.url : sim.plcUrl!;
        const child = spawn(process.execPath, [...DYNO_NODE_ARGS, workerCli(), 'collect'], {
          stdio: ['ignore', 'ignore', 'inherit'],
          env: {
            PATH: process.env.PATH,
            ...DYNO_ENV,
            SOURCE: run.source,
            SOURCE_URL: url,
            ALLOW_PRIVATE_ADDRESSES: 'true',
            BLUESKY_REPO_READ: run.read ?? 'auto',
            USERS: usersFile,
            SINK: `duckdb:${warehouse}`,
            MAX_THREADS: String(run.threads),
            MAX_FRIENDS: String(MAX_FRIENDS),
            PROGRESS: 'off',
            LOG_LEVEL: 'warn',
          },
        });
        const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
        // The worker stages its users first: measuring starts at the second window boundary after its first request.
        const sent = async () => {
          const net = await network();
          return (await sim.stats()).requests + net.plc.requests + net.hosts.reduce((n, h) => n + (h.stats?.requests ?? 0), 0);
        };
        const before = await sent();
        while ((await sent()) === before) {
          if (child.exitCode !== null) throw new Error('collect ended before its first request');
          await sleep(100);
        }
        const windowMs = WINDOW_S * 1000;
        const readings: { at: number; net: NetworkDescription; appview: SimStats }[] = [];
        let boundary = (Math.ceil(Date.now() / windowMs) + 1) * windowMs;
        while (readings.length <= MEASURED_WINDOWS) {
          await Promise.race([sleep(Math.max(0, boundary - Date.now())), exited]);
          if (child.exitCode !== null) throw new Error(`collect ended before the measured windows (${run.users} users were too few)`);
          readings.push({ at: boundary, net: await network(), appview: await sim.stats() });
          boundary += windowMs;
        }
        child.kill('SIGTERM');
        await exited;
        rows.push(await measure(run, readings, warehouse));
      }
    } finally {
      sim.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

printTable(`Bluesky, ${LIMIT} requests / ${WINDOW_S} s per host (${PER_HOST_5MIN.toLocaleString('en')} / 5 min), ${MAX_FRIENDS} cap, ${LATENCY_MS} ms a request: the AppView against PDS hosts`, rows);
writeResults('bluesky-network', rows);

/** One run's figures over its measured windows. */
async function measure(run: Run, readings: { at: number; net: NetworkDescription; appview: SimStats }[], warehouse: string) {
  const first = readings[0]!;
  const last = readings.at(-1)!;
  const spanS = (last.at - first.at) / 1000;
  // Requests each host let through in each measured window (the sim counts them by window), over its limit.
  const lanes =
    run.source === 'bluesky'
      ? [{ before: first.appview, after: last.appview, limit: LIMIT }]
      : last.net.hosts.map((h, k) => ({ before: first.net.hosts[k]!.stats!, after: h.stats!, limit: h.rateLimit }));
  const uses: number[] = [];
  let requests = 0;
  let bytes = 0;
  for (const { before, after, limit } of lanes) {
    for (let w = first.at; w < last.at; w += WINDOW_S * 1000) uses.push((after.allowedByWindow[String(w)] ?? 0) / limit);
    requests += after.requests - before.requests;
    bytes += after.bytes - before.bytes;
  }
  if (run.source === 'bluesky-repo') {
    requests += last.net.plc.requests - first.net.plc.requests;
    bytes += last.net.plc.bytes - first.net.plc.bytes;
  }
  const instance = await DuckDBInstance.create(warehouse, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const done = (await conn.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM user_friends WHERE epoch_ms(end_at) > ${first.at} AND epoch_ms(end_at) <= ${last.at}`)).getRowObjectsJS()[0] as {
    n: number;
  };
  conn.closeSync();
  instance.closeSync();
  // At Bluesky's 3,000 requests / 5 min per host: the runs are bound by their budgets, so their rates scale with it.
  const usersPerHour = (done.n / spanS) * 3600 * (3000 / PER_HOST_5MIN);
  return {
    source: run.source === 'bluesky' ? 'bluesky (AppView getFollows, 1 host)' : `bluesky-repo (${run.read}, ${run.hosts} PDS hosts)`,
    threads: run.threads,
    measured_users_per_hour: Math.round((done.n / spanS) * 3600),
    users_per_hour_at_3000: Math.round(usersPerHour),
    requests_per_user: Number((requests / done.n).toFixed(2)),
    kb_per_user: Number((bytes / done.n / 1024).toFixed(1)),
    host_budget_use_min: Number(Math.min(...uses).toFixed(3)),
    host_budget_use_mean: Number((uses.reduce((a, b) => a + b, 0) / uses.length).toFixed(3)),
    fleet_days_30m_1_worker: Number((PROJECTED_USERS / usersPerHour / 24).toFixed(1)),
    [`fleet_days_30m_${FLEET}_workers`]: Number((PROJECTED_USERS / usersPerHour / 24 / FLEET).toFixed(2)),
    measured_s: spanS,
  };
}
