-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/60-monitoring-views.sql.
--
-- Users finished (from rows, each attempt once) and requests made (from heartbeats) per 10-minute slot per
-- worker.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.throughput_timeline` AS
WITH users AS (
  SELECT worker,
         TIMESTAMP_SECONDS(DIV(UNIX_SECONDS(end_at), 600) * 600) AS slot_start,
         COUNT(*) AS users,
         SUM(COALESCE(friend_count, 0)) AS friends
  FROM `{{project}}.{{dataset}}.user_friends_distinct`
  GROUP BY worker, slot_start
),
beats AS (
  SELECT run_id, worker, TIMESTAMP_SECONDS(DIV(UNIX_SECONDS(beat_at), 600) * 600) AS slot_start, MAX(requests) AS requests_total
  FROM `{{project}}.{{dataset}}.heartbeats`
  GROUP BY run_id, worker, slot_start
),
growth AS (
  SELECT worker, slot_start,
         requests_total - COALESCE(LAG(requests_total) OVER (PARTITION BY run_id ORDER BY slot_start), 0) AS requests
  FROM beats
),
requests AS (
  SELECT worker, slot_start, SUM(requests) AS requests
  FROM growth
  GROUP BY worker, slot_start
)
SELECT COALESCE(u.worker, r.worker) AS worker,
       COALESCE(u.slot_start, r.slot_start) AS slot_start,
       COALESCE(u.users, 0) AS users,
       COALESCE(u.friends, 0) AS friends,
       COALESCE(r.requests, 0) AS requests
FROM users AS u
FULL OUTER JOIN requests AS r ON u.worker = r.worker AND u.slot_start = r.slot_start
