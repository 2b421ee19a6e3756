-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- Append-only: one row per state of a run (running, then finished / interrupted / failed). Streamed
-- rows cannot be updated, so runs_latest picks each run's newest state by recorded_at.
CREATE TABLE IF NOT EXISTS `{{project}}.{{dataset}}.runs` (
  run_id          STRING    NOT NULL,
  worker          STRING    NOT NULL,
  source          STRING    NOT NULL,
  partition_id    INT64,
  partitions      INT64,
  min_id          STRING,
  max_id          STRING,
  settings        STRING    NOT NULL,
  bucket_users    INT64,
  state           STRING    NOT NULL,
  started_at      TIMESTAMP NOT NULL,
  ended_at        TIMESTAMP,
  users_planned   INT64,
  users_done      INT64     NOT NULL,
  users_saved     INT64     NOT NULL,
  users_ok        INT64     NOT NULL,
  users_protected INT64     NOT NULL,
  users_not_found INT64     NOT NULL,
  users_suspended INT64     NOT NULL,
  users_failed    INT64     NOT NULL,
  friends         INT64     NOT NULL,
  pages           INT64     NOT NULL,
  requests        INT64     NOT NULL,
  retries         INT64     NOT NULL,
  rate_limited    INT64     NOT NULL,
  dead_letters    INT64     NOT NULL,
  error           STRING,
  recorded_at     TIMESTAMP NOT NULL
)
OPTIONS (description = 'friendfleet: one row per state of a run (see runs_latest)')
