-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- A worker's cumulative counters every HEARTBEAT_INTERVAL, so monitoring shows live throughput although
-- streamed rows cannot be updated.
CREATE TABLE IF NOT EXISTS `{{project}}.{{dataset}}.heartbeats` (
  run_id        STRING    NOT NULL,
  worker        STRING    NOT NULL,
  partition_id  INT64,
  beat_at       TIMESTAMP NOT NULL,
  users_planned INT64,
  users_done    INT64     NOT NULL,
  users_saved   INT64     NOT NULL,
  friends       INT64     NOT NULL,
  pages         INT64     NOT NULL,
  requests      INT64     NOT NULL,
  retries       INT64     NOT NULL,
  rate_limited  INT64     NOT NULL,
  rss_mb        INT64     NOT NULL,
  -- Milliseconds requests waited for the rate-limit budget, summed over requests. A dataset made before
  -- it existed: ALTER TABLE heartbeats ADD COLUMN rate_limit_wait_ms INT64.
  rate_limit_wait_ms INT64
)
PARTITION BY DATE(beat_at)
OPTIONS (description = 'friendfleet: live counters of each worker')
