-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/62-fleet-views.sql.
--
-- One row per run: its newest state, last heartbeat and counters (maxima of the cumulative counters, so
-- a heartbeat stored twice changes nothing). A run still `running` whose last sign of life is older than
-- three heartbeat intervals (at least 10 s) is `stalled`, or `lost` once a newer run took its bucket.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.worker_status` AS
WITH beats AS (
  SELECT run_id,
         MAX(beat_at) AS last_beat_at,
         MAX(users_done) AS users_done,
         MAX(requests) AS requests,
         MAX(rate_limited) AS rate_limited,
         MAX(rate_limit_wait_ms) AS rate_limit_wait_ms
  FROM `{{project}}.{{dataset}}.heartbeats`
  GROUP BY run_id
),
ranked_runs AS (
  SELECT *,
         COALESCE(SAFE_CAST(JSON_VALUE(settings, '$.heartbeatInterval') AS INT64), 30000) AS heartbeat_ms,
         ROW_NUMBER() OVER (PARTITION BY source, partition_id, min_id, max_id ORDER BY started_at DESC, run_id DESC) AS newest
  FROM `{{project}}.{{dataset}}.runs_latest`
)
SELECT r.worker,
       r.run_id,
       r.source,
       r.partition_id,
       r.partitions,
       r.min_id,
       r.max_id,
       CASE
         WHEN r.state <> 'running' THEN r.state
         WHEN TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), GREATEST(r.started_at, COALESCE(b.last_beat_at, r.started_at)), MILLISECOND) <= GREATEST(3 * r.heartbeat_ms, 10000) THEN 'running'
         WHEN r.newest > 1 THEN 'lost'
         ELSE 'stalled'
       END AS state,
       r.started_at,
       r.ended_at,
       b.last_beat_at,
       r.heartbeat_ms / 1000.0 AS heartbeat_seconds,
       r.users_planned,
       GREATEST(r.users_done, COALESCE(b.users_done, 0)) AS users_done,
       GREATEST(r.requests, COALESCE(b.requests, 0)) AS requests,
       GREATEST(r.rate_limited, COALESCE(b.rate_limited, 0)) AS rate_limited,
       b.rate_limit_wait_ms / 1000.0 AS rate_limit_wait_seconds,
       r.error
FROM ranked_runs AS r
LEFT JOIN beats AS b ON b.run_id = r.run_id
