import { z } from 'zod';
import { USER_STATUSES } from '../../collector/result.ts';
import type { IdRange } from '../../partition/bucket.ts';
import type { PartitionRow } from '../../partition/plan.ts';
import type { DuckDbSink } from '../duckdb/sink.ts';
import { copyStatement, EXPORT_FORMATS } from '../duckdb/export.ts';
import type { HeartbeatRow, RunRecord, UserFriendsRow } from '../row.ts';
import { checkReadOnly, exportTarget } from './read-only.ts';

const text = z.string().min(1).max(10_000);
const count = z.number().int().min(0);
const partition = z.number().int().min(1).nullable();
const id = z.string().min(1).max(1000);
/** A row's followed names or IDs: up to MAX_FRIENDS of them, checked in one pass rather than by a schema per element. */
const names = z.custom<string[]>((v) => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length <= 1000), { message: 'expected a list of strings' });

const ROW = z.strictObject({
  user_id: id,
  screen_name: z.string().max(1000).nullable(),
  friend_count: count.nullable(),
  friend_names: names.nullable(),
  friend_ids: names.nullable(),
  expected_count: count.nullable(),
  status: z.enum(USER_STATUSES),
  error: z.string().max(100_000).nullable(),
  truncated: z.boolean(),
  pages: count,
  partition_id: partition,
  run_id: text,
  worker: text,
  source: text,
  start_at: z.date(),
  end_at: z.date(),
}) satisfies z.ZodType<UserFriendsRow>;

const RUN = z.strictObject({
  run_id: text,
  worker: text,
  source: text,
  partition_id: partition,
  partitions: partition,
  min_id: id.nullable(),
  max_id: id.nullable(),
  settings: z.string().max(100_000),
  bucket_users: count,
  started_at: z.date(),
  state: z.enum(['running', 'finished', 'interrupted', 'failed']),
  ended_at: z.date().nullable(),
  users_planned: count.nullable(),
  users_done: count,
  users_saved: count,
  users_ok: count,
  users_protected: count,
  users_not_found: count,
  users_suspended: count,
  users_failed: count,
  friends: count,
  pages: count,
  requests: count,
  retries: count,
  rate_limited: count,
  dead_letters: count,
  error: z.string().max(100_000).nullable(),
}) satisfies z.ZodType<RunRecord>;

const HEARTBEAT = z.strictObject({
  run_id: text,
  worker: text,
  partition_id: partition,
  beat_at: z.date(),
  users_planned: count.nullable(),
  users_done: count,
  users_saved: count,
  friends: count,
  pages: count,
  requests: count,
  retries: count,
  rate_limited: count,
  rate_limit_wait_ms: count,
  rss_mb: z.number().min(0),
}) satisfies z.ZodType<HeartbeatRow>;

const PLAN_ROW = z.strictObject({
  plan_id: text,
  partition_id: z.number().int().min(1),
  partitions: z.number().int().min(1),
  user_count: count,
  min_id: id,
  max_id: id,
  expected_pages: z.number().min(0).nullable(),
  id_kind: z.enum(['numeric', 'opaque']),
  balance: z.enum(['count', 'work']),
  created_at: z.date(),
}) satisfies z.ZodType<PartitionRow>;

const RANGE = z.strictObject({ kind: z.enum(['numeric', 'opaque']), min: id, max: id }) satisfies z.ZodType<IdRange>;

const PARAM = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const SELECT = z.string().min(1).max(100_000);

/** A route: what its body must be (none for a GET), and what it does with it. */
export interface Route<T = unknown> {
  readonly input: z.ZodType<T> | undefined;
  run(input: T): Promise<unknown>;
}

function route<T>(input: z.ZodType<T> | undefined, run: (input: T) => Promise<unknown>): Route {
  return { input, run };
}

/** The host's routes over the DuckDB file it owns: the workers' writes and resume queries, and readers' SELECTs. */
export function hostRoutes(sink: DuckDbSink, options: { exportDir: string | undefined; database: string }): Record<string, Route> {
  return {
    'POST /rows': route(z.array(ROW), async (rows) => {
      await sink.insertRows(rows);
      return { acknowledged: rows.length };
    }),
    'POST /runs': route(RUN, (run) => sink.writeRun(run)),
    'POST /heartbeats': route(HEARTBEAT, (beat) => sink.writeHeartbeat(beat)),
    'POST /plan': route(z.array(PLAN_ROW), (rows) => sink.writePlan(rows)),
    'GET /plan': route(undefined, () => sink.latestPlan()),
    'POST /collected-work': route(z.strictObject({ source: text }), ({ source }) => sink.collectedWork(source)),
    'POST /completed': route(z.strictObject({ source: text, range: RANGE.nullable(), maxAttempts: z.number().int().min(1).max(100) }), async ({ source, range, maxAttempts }) => [
      ...(await sink.completedUserIds(source, range ?? undefined, maxAttempts)),
    ]),
    'POST /query': route(z.strictObject({ sql: SELECT, params: z.array(PARAM).max(100) }), async ({ sql, params }) => {
      await checkReadOnly(sink, sql);
      return sink.query(sql, params);
    }),
    'POST /export': route(z.strictObject({ sql: SELECT, format: z.enum(EXPORT_FORMATS), path: z.string().min(1).max(4096) }), async ({ sql, format, path }) => {
      await checkReadOnly(sink, sql);
      const [row] = await sink.query(copyStatement(sql, format, exportTarget(options.exportDir, path)));
      return Number(row?.Count ?? 0);
    }),
    'GET /health': route(undefined, async () => ({ ok: true, database: options.database, pid: process.pid })),
  };
}
