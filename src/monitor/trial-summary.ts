import type { Queryable } from '../sinks/sink.ts';

/** The figures `trial` prints for its run, read from the `trial_summary` view. */
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
  const [row] = await db.query(`SELECT * FROM trial_summary WHERE run_id = $1`, [runId]);
  if (!row) return undefined;
  const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
  return {
    run_id: String(row.run_id),
    first_start: row.first_start as Date,
    last_end: row.last_end as Date,
    rows: n(row.rows),
    distinct_users: n(row.distinct_users),
    runtime_minutes: n(row.runtime_minutes),
    avg_seconds_per_user: n(row.avg_seconds_per_user),
    avg_friends: row.avg_friends === null ? null : n(row.avg_friends),
    users_per_minute: n(row.users_per_minute),
    users_per_hour: n(row.users_per_hour),
    users_per_day: n(row.users_per_day),
    ok: n(row.ok),
    protected: n(row.protected),
    not_found: n(row.not_found),
    suspended: n(row.suspended),
    failed: n(row.failed),
  };
}
