-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/60-monitoring-views.sql.
--
-- Per source and bucket: users processed of assigned, percent, average friends, average run seconds per
-- user, users per hour over the last hour, and the ETA at that pace. The plan's buckets are listed for each
-- source that ran buckets (without a source before any did).
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.partition_progress` AS
WITH done AS (
  SELECT source,
         partition_id,
         COUNT(*) AS processed,
         AVG(IF(status = 'ok', friend_count, NULL)) AS avg_friends,
         AVG(TIMESTAMP_DIFF(end_at, start_at, MILLISECOND)) / 1000.0 AS avg_run_seconds,
         COUNTIF(end_at >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR)) AS users_last_hour
  FROM `{{project}}.{{dataset}}.user_friends_latest`
  WHERE partition_id IS NOT NULL
  GROUP BY source, partition_id
),
run_buckets AS (
  SELECT source, partition_id, bucket_users
  FROM `{{project}}.{{dataset}}.runs_latest`
  WHERE partition_id IS NOT NULL
  QUALIFY ROW_NUMBER() OVER (PARTITION BY source, partition_id ORDER BY started_at DESC) = 1
),
plan_buckets AS (
  SELECT s.source, p.partition_id, p.user_count
  FROM `{{project}}.{{dataset}}.partitions_latest` AS p
  LEFT JOIN (SELECT DISTINCT source FROM run_buckets) AS s ON TRUE
),
buckets AS (
  SELECT COALESCE(p.source, b.source) AS source,
         COALESCE(p.partition_id, b.partition_id) AS partition_id,
         COALESCE(p.user_count, b.bucket_users) AS assigned
  FROM plan_buckets AS p
  FULL OUTER JOIN run_buckets AS b ON p.source = b.source AND p.partition_id = b.partition_id
)
SELECT b.source,
       b.partition_id,
       b.assigned,
       COALESCE(d.processed, 0) AS processed,
       GREATEST(b.assigned - COALESCE(d.processed, 0), 0) AS remaining,
       SAFE_DIVIDE(100.0 * COALESCE(d.processed, 0), b.assigned) AS percent,
       d.avg_friends,
       d.avg_run_seconds,
       COALESCE(d.users_last_hour, 0) AS users_per_hour_last_hour,
       SAFE_DIVIDE(GREATEST(b.assigned - COALESCE(d.processed, 0), 0), d.users_last_hour) AS eta_hours
FROM buckets AS b
LEFT JOIN done AS d ON d.source = b.source AND d.partition_id = b.partition_id
