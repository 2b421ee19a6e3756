-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.

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
  bucket_users    BIGINT,
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

-- Added after the first release of this table: warehouses created before it get the column here.
ALTER TABLE runs ADD COLUMN IF NOT EXISTS bucket_users BIGINT;
