/**
 * Projects the measured throughput onto the reference workload (REFERENCE-RUN.md): 3.6 million users on
 * 10 dynos, pages of 20 accounts at ~0.4 s each, friend lists capped at 2,000 with the reference's
 * per-bucket averages (which the sim graph is calibrated to). Pages per user come from a 3.6M-user sim
 * graph; the concurrency ratios from bench/results/throughput.json (run bench/throughput.ts first).
 * A worker's pages per second are min(rate limit, ratio × threads ÷ latency).
 *
 * Run: node bench/projection.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { SimGraph } from '../src/sim/graph.ts';
import { expectedPages } from '../src/partition/work.ts';
import { printTable, writeResults } from './table.ts';
import { REFERENCE_LATENCY_MS } from './workload.ts';

const USERS = 3_600_000;
const DYNOS = 10;
const MAX_FRIENDS = 2000;
/** The reference's dynos peaked near 1,500 users an hour each (its timed trials). */
const REFERENCE_USERS_PER_HOUR = 1500;
/** The official API the reference could not use: 15 requests per 15 minutes per token. */
const API_REQUESTS_PER_S = 15 / 900;

const graph = new SimGraph({ users: USERS, seed: 1 });
let requests = 0;
let sampled = 0;
for (let i = 0; i < USERS; i += 97, sampled++) requests += graph.status(i) === 'ok' ? expectedPages(graph.followingCount(i), MAX_FRIENDS, 20) : 1;
const requestsPerUser = requests / sampled;

const resultsFile = new URL('./results/throughput.json', import.meta.url);
const measured = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { rows: { scenario: string; concurrency: number; ratio: number }[] }).rows.filter((r) =>
      r.scenario.includes('warehouse host'),
    )
  : [];

function row(scenario: string, threads: number | null, pagesPerS: number) {
  const usersPerHour = (pagesPerS * 3600) / requestsPerUser;
  return {
    scenario,
    threads_per_dyno: threads,
    pages_per_s_per_dyno: Number(pagesPerS.toFixed(2)),
    users_per_hour_per_dyno: Math.round(usersPerHour),
    fleet_users_per_day: Math.round(usersPerHour * 24 * DYNOS),
    days_for_3_6m_users: Number((USERS / (usersPerHour * 24 * DYNOS)).toFixed(USERS / (usersPerHour * 24 * DYNOS) < 10 ? 2 : 0)),
    requests_per_user: Number(requestsPerUser.toFixed(1)),
  };
}

const rows = [row('reference run (measured 1,500 users/hour a dyno)', 250, (REFERENCE_USERS_PER_HOUR * requestsPerUser) / 3600)];
for (const m of measured) {
  rows.push(row(`friendfleet, HTML pages at ${REFERENCE_LATENCY_MS} ms, measured ratio ${m.ratio}`, m.concurrency, (m.ratio * m.concurrency) / (REFERENCE_LATENCY_MS / 1000)));
}
rows.push(row('any worker on the official API (15 requests / 15 min)', null, API_REQUESTS_PER_S));
printTable(`Projection: ${USERS.toLocaleString('en')} users on ${DYNOS} dynos, ${requestsPerUser.toFixed(1)} requests a user (sim graph at the reference's friend counts, 2,000 cap)`, rows);
writeResults('projection', rows);
