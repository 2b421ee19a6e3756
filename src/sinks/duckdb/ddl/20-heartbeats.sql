-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.

-- A worker's counters every HEARTBEAT_INTERVAL, so monitoring shows live throughput even where rows
-- cannot be updated (BigQuery streaming). Counters are cumulative for the run.
CREATE TABLE IF NOT EXISTS heartbeats (
  run_id        VARCHAR     NOT NULL,
  worker        VARCHAR     NOT NULL,
  partition_id  INTEGER,
  beat_at       TIMESTAMPTZ NOT NULL,
  users_planned BIGINT,
  users_done    BIGINT      NOT NULL,
  users_saved   BIGINT      NOT NULL,
  friends       BIGINT      NOT NULL,
  pages         BIGINT      NOT NULL,
  requests      BIGINT      NOT NULL,
  retries       BIGINT      NOT NULL,
  rate_limited  BIGINT      NOT NULL,
  rss_mb        INTEGER     NOT NULL,
  rate_limit_wait_ms BIGINT
);

-- Added after the first release of this table: warehouses created before it get the column here
-- (NULL in their older heartbeats). Milliseconds requests waited for the rate-limit budget, summed.
ALTER TABLE heartbeats ADD COLUMN IF NOT EXISTS rate_limit_wait_ms BIGINT;
