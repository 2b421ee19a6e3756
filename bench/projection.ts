/**
 * Projects the measured throughput onto the reference workload (REFERENCE-RUN.md): 3.6 million users on
 * 10 dynos, pages of 20 accounts at ~0.4 s each, friend lists capped at 2,000 with the reference's
 * per-bucket averages (which the sim graph is calibrated to). Pages per user come from a 3.6M-user sim
 * graph; the concurrency ratios from bench/results/throughput.json (run bench/throughput.ts first).
 * A worker's pages per second are min(rate limit, ratio × threads ÷ latency). The official API's row
 * is X's 2026 terms (x-api/fundamentals/rate-limits.mdx, x-api/getting-started/pricing.mdx): 300
 * requests per 15 minutes per token, 1,000 accounts a page, $0.010 per account read.
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
/** The official API: GET /2/users/:id/following allows 300 requests per 15 minutes per token (2026). */
const API_REQUESTS_PER_S = 300 / 900;
const API_PAGE_SIZE = 1000;
/** X bills each followed account a page returns ("Following/Followers: Read", pay-per-usage pricing). */
const API_DOLLARS_PER_ACCOUNT = 0.01;

const graph = new SimGraph({ users: USERS, seed: 1 });
let requests = 0;
let apiRequests = 0;
let accounts = 0;
let sampled = 0;
for (let i = 0; i < USERS; i += 97, sampled++) {
  const ok = graph.status(i) === 'ok';
  requests += ok ? expectedPages(graph.followingCount(i), MAX_FRIENDS, 20) : 1;
  apiRequests += ok ? expectedPages(graph.followingCount(i), MAX_FRIENDS, API_PAGE_SIZE) : 1;
  accounts += ok ? Math.min(graph.followingCount(i), MAX_FRIENDS) : 0;
}
const requestsPerUser = requests / sampled;
const apiRequestsPerUser = apiRequests / sampled;
const accountsPerUser = accounts / sampled;

const resultsFile = new URL('./results/throughput.json', import.meta.url);
const measured = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as { rows: { scenario: string; concurrency: number; ratio: number }[] }).rows.filter((r) => r.scenario.includes('warehouse host'))
  : [];

function row(scenario: string, threads: number | null, pagesPerS: number, perUser = requestsPerUser, dollarsPerUser?: number) {
  const usersPerHour = (pagesPerS * 3600) / perUser;
  return {
    scenario,
    threads_per_dyno: threads,
    pages_per_s_per_dyno: Number(pagesPerS.toFixed(2)),
    users_per_hour_per_dyno: Math.round(usersPerHour),
    fleet_users_per_day: Math.round(usersPerHour * 24 * DYNOS),
    days_for_3_6m_users: Number((USERS / (usersPerHour * 24 * DYNOS)).toFixed(USERS / (usersPerHour * 24 * DYNOS) < 10 ? 2 : 0)),
    requests_per_user: Number(perUser.toFixed(1)),
    read_cost_usd: dollarsPerUser === undefined ? null : Math.round(dollarsPerUser * USERS),
  };
}

const rows = [row('reference run (measured 1,500 users/hour a dyno)', 250, (REFERENCE_USERS_PER_HOUR * requestsPerUser) / 3600)];
for (const m of measured) {
  rows.push(row(`friendfleet, HTML pages at ${REFERENCE_LATENCY_MS} ms, measured ratio ${m.ratio}`, m.concurrency, (m.ratio * m.concurrency) / (REFERENCE_LATENCY_MS / 1000)));
}
rows.push(row('any worker on the official API (one token: 300 requests / 15 min, 1,000 a page)', null, API_REQUESTS_PER_S, apiRequestsPerUser, accountsPerUser * API_DOLLARS_PER_ACCOUNT));
printTable(`Projection: ${USERS.toLocaleString('en')} users on ${DYNOS} dynos, ${requestsPerUser.toFixed(1)} requests a user (sim graph at the reference's friend counts, 2,000 cap)`, rows);
writeResults('projection', rows);
