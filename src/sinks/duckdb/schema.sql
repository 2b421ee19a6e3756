-- friendfleet embedded warehouse (DuckDB). Idempotent: run at every start.

-- One row per attempt at one user. Reference column names: user_id, screen_name, friend_count,
-- start_at, end_at. friend_count and friend_names are NULL unless status = 'ok'.
CREATE TABLE IF NOT EXISTS user_friends (
  user_id      VARCHAR     NOT NULL,
  screen_name  VARCHAR,
  friend_count INTEGER,
  friend_names VARCHAR[],
  friend_ids   VARCHAR[],
  status       VARCHAR     NOT NULL,
  error        VARCHAR,
  truncated    BOOLEAN     NOT NULL,
  pages        INTEGER     NOT NULL,
  partition_id INTEGER,
  run_id       VARCHAR     NOT NULL,
  worker       VARCHAR     NOT NULL,
  source       VARCHAR     NOT NULL,
  start_at     TIMESTAMPTZ NOT NULL,
  end_at       TIMESTAMPTZ NOT NULL
);

-- Append-only: one row per state of a run (running, then finished / interrupted / failed).
CREATE TABLE IF NOT EXISTS runs (
  run_id          VARCHAR     NOT NULL,
  worker          VARCHAR     NOT NULL,
  source          VARCHAR     NOT NULL,
  partition_id    INTEGER,
  partitions      INTEGER,
  min_id          VARCHAR,
  max_id          VARCHAR,
  settings        VARCHAR     NOT NULL,
  state           VARCHAR     NOT NULL,
  started_at      TIMESTAMPTZ NOT NULL,
  ended_at        TIMESTAMPTZ,
  users_planned   BIGINT,
  users_done      BIGINT      NOT NULL,
  users_saved     BIGINT      NOT NULL,
  users_ok        BIGINT      NOT NULL,
  users_protected BIGINT      NOT NULL,
  users_not_found BIGINT      NOT NULL,
  users_suspended BIGINT      NOT NULL,
  users_failed    BIGINT      NOT NULL,
  friends         BIGINT      NOT NULL,
  pages           BIGINT      NOT NULL,
  requests        BIGINT      NOT NULL,
  retries         BIGINT      NOT NULL,
  rate_limited    BIGINT      NOT NULL,
  dead_letters    BIGINT      NOT NULL,
  error           VARCHAR,
  recorded_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

-- One row per user: the newest terminal row, or the newest failed row when there is no terminal one.
CREATE OR REPLACE VIEW user_friends_latest AS
SELECT *
FROM user_friends
QUALIFY row_number() OVER (
  PARTITION BY user_id
  ORDER BY (status <> 'failed') DESC, end_at DESC, run_id DESC
) = 1;

-- The newest state of each run.
CREATE OR REPLACE VIEW runs_latest AS
SELECT *
FROM runs
QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY recorded_at DESC) = 1;
