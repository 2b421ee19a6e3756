/** Anything that answers SQL: the embedded warehouse, and later BigQuery. */
export interface Queryable {
  query(sql: string, params?: (string | number | boolean | null)[]): Promise<Record<string, unknown>[]>;
}

/**
 * The reference's per-trial summary (first start, last end, rows, distinct users, runtime in minutes,
 * average seconds per user, average friends) plus throughput and status counts, for one run.
 * `avg_seconds_per_user` is the mean time from a user's first request to its last, as the reference
 * measured; `users_per_hour` is the run's throughput.
 */
export const TRIAL_SUMMARY_SQL = `
SELECT run_id,
       min(start_at) AS first_start,
       max(end_at) AS last_end,
       count(*) AS rows,
       count(DISTINCT user_id) AS distinct_users,
       date_diff('millisecond', min(start_at), max(end_at)) / 60000.0 AS runtime_minutes,
       avg(date_diff('millisecond', start_at, end_at)) / 1000.0 AS avg_seconds_per_user,
       avg(friend_count) FILTER (WHERE status = 'ok') AS avg_friends,
       count(DISTINCT user_id) / greatest(date_diff('millisecond', min(start_at), max(end_at)) / 60000.0, 1e-9) AS users_per_minute,
       count(*) FILTER (WHERE status = 'ok') AS ok,
       count(*) FILTER (WHERE status = 'protected') AS protected,
       count(*) FILTER (WHERE status = 'not_found') AS not_found,
       count(*) FILTER (WHERE status = 'suspended') AS suspended,
       count(*) FILTER (WHERE status = 'failed') AS failed
FROM user_friends
WHERE run_id = $1
GROUP BY run_id`;

export interface TrialSummary {
  run_id: string;
  first_start: Date;
  last_end: Date;
  rows: number;
  distinct_users: number;
  runtime_minutes: number;
  avg_seconds_per_user: number;
  avg_friends: number | null;
  users_per_minute: number;
  users_per_hour: number;
  users_per_day: number;
  ok: number;
  protected: number;
  not_found: number;
  suspended: number;
  failed: number;
}

export async function trialSummary(db: Queryable, runId: string): Promise<TrialSummary | undefined> {
  const [row] = await db.query(TRIAL_SUMMARY_SQL, [runId]);
  if (!row) return undefined;
  const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
  const perMinute = n(row.users_per_minute);
  return {
    run_id: String(row.run_id),
    first_start: row.first_start as Date,
    last_end: row.last_end as Date,
    rows: n(row.rows),
    distinct_users: n(row.distinct_users),
    runtime_minutes: n(row.runtime_minutes),
    avg_seconds_per_user: n(row.avg_seconds_per_user),
    avg_friends: row.avg_friends === null ? null : n(row.avg_friends),
    users_per_minute: perMinute,
    users_per_hour: perMinute * 60,
    users_per_day: perMinute * 1440,
    ok: n(row.ok),
    protected: n(row.protected),
    not_found: n(row.not_found),
    suspended: n(row.suspended),
    failed: n(row.failed),
  };
}
