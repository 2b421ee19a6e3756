-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/62-fleet-views.sql.
--
-- Per source and bucket of current_buckets: its users (by ID range, whichever run or plan wrote their
-- rows) processed of assigned, failed, remaining; the recent rate and the ETA at it; and its state:
-- done, running (a live run covers it), stalled (only stalled runs do), stopped, or waiting. The rate:
-- users finished in the 15 minutes before the bucket's last activity (its newest row or a live run's
-- newest heartbeat) over the time they took, once at least 10 users finished in that window.
-- user_friends_latest holds one row per user, so a row BigQuery stored twice counts once.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.partition_progress` AS
WITH latest AS (
  SELECT source, user_id, SAFE_CAST(user_id AS INT64) AS numeric_id, status, friend_count, start_at, end_at
  FROM `{{project}}.{{dataset}}.user_friends_latest`
),
bucket_rows AS (
  SELECT b.source, b.bucket, l.status, l.friend_count, l.start_at, l.end_at
  FROM `{{project}}.{{dataset}}.current_buckets` AS b
  JOIN latest AS l ON l.source = b.source AND (
    b.min_id IS NULL
    OR (b.id_kind = 'numeric' AND l.numeric_id BETWEEN SAFE_CAST(b.min_id AS INT64) AND SAFE_CAST(b.max_id AS INT64))
    OR (b.id_kind <> 'numeric' AND l.user_id BETWEEN b.min_id AND b.max_id)
  )
),
counted AS (
  SELECT source, bucket,
         COUNT(*) AS processed,
         COUNTIF(status = 'failed') AS failed,
         AVG(IF(status = 'ok', friend_count, NULL)) AS avg_friends,
         AVG(TIMESTAMP_DIFF(end_at, start_at, MILLISECOND)) / 1000.0 AS avg_run_seconds,
         MAX(end_at) AS last_end_at
  FROM bucket_rows
  GROUP BY source, bucket
),
-- The runs on each bucket: those whose range overlaps it, and those over the whole table (no range and
-- no bucket number; a numbered bucket without a range is an empty one and covers nothing).
covering AS (
  SELECT b.source, b.bucket,
         COUNTIF(w.state = 'running') AS running,
         COUNTIF(w.state = 'stalled') AS stalled,
         MAX(IF(w.state = 'running', w.last_beat_at, NULL)) AS last_beat_at
  FROM `{{project}}.{{dataset}}.current_buckets` AS b
  JOIN `{{project}}.{{dataset}}.worker_status` AS w ON w.source = b.source AND (
    b.min_id IS NULL OR (w.min_id IS NULL AND w.partition_id IS NULL)
    OR (b.id_kind = 'numeric' AND SAFE_CAST(w.min_id AS INT64) <= SAFE_CAST(b.max_id AS INT64) AND SAFE_CAST(w.max_id AS INT64) >= SAFE_CAST(b.min_id AS INT64))
    OR (b.id_kind <> 'numeric' AND w.min_id <= b.max_id AND w.max_id >= b.min_id)
  )
  GROUP BY b.source, b.bucket
),
anchored AS (
  SELECT c.source, c.bucket, CASE WHEN v.last_beat_at > c.last_end_at THEN v.last_beat_at ELSE c.last_end_at END AS active_until
  FROM counted AS c
  LEFT JOIN covering AS v ON v.source = c.source AND v.bucket = c.bucket
),
recent AS (
  SELECT r.source, r.bucket, a.active_until,
         COUNT(*) AS recent_users,
         TIMESTAMP_DIFF(a.active_until, GREATEST(MIN(r.start_at), TIMESTAMP_SUB(a.active_until, INTERVAL 15 MINUTE)), MILLISECOND) / 1000.0 AS active_seconds
  FROM bucket_rows AS r
  JOIN anchored AS a ON a.source = r.source AND a.bucket = r.bucket
  WHERE r.end_at > TIMESTAMP_SUB(a.active_until, INTERVAL 15 MINUTE)
  GROUP BY r.source, r.bucket, a.active_until
),
figures AS (
  SELECT b.source, b.bucket, b.partition_id, b.partitions, b.min_id, b.max_id, b.assigned,
         COALESCE(c.processed, 0) AS processed,
         COALESCE(c.failed, 0) AS failed,
         c.avg_friends,
         c.avg_run_seconds,
         COALESCE(r.recent_users, 0) AS recent_users,
         r.active_seconds,
         IF(r.recent_users >= 10 AND r.active_seconds > 0, r.recent_users * 3600.0 / r.active_seconds, NULL) AS users_per_hour,
         COALESCE(v.running, 0) AS running,
         COALESCE(v.stalled, 0) AS stalled,
         CASE WHEN c.last_end_at IS NULL OR v.last_beat_at > c.last_end_at THEN v.last_beat_at ELSE c.last_end_at END AS last_activity_at
  FROM `{{project}}.{{dataset}}.current_buckets` AS b
  LEFT JOIN counted AS c ON c.source = b.source AND c.bucket = b.bucket
  LEFT JOIN covering AS v ON v.source = b.source AND v.bucket = b.bucket
  LEFT JOIN recent AS r ON r.source = b.source AND r.bucket = b.bucket
),
stated AS (
  SELECT *,
         CASE WHEN assigned > processed THEN assigned - processed ELSE 0 END AS remaining,
         CASE
           WHEN processed >= assigned THEN 'done'
           WHEN running > 0 THEN 'running'
           WHEN stalled > 0 THEN 'stalled'
           WHEN processed > 0 THEN 'stopped'
           ELSE 'waiting'
         END AS state
  FROM figures
)
SELECT source, bucket, partition_id, partitions, min_id, max_id, assigned, processed, failed, remaining,
       SAFE_DIVIDE(100.0 * processed, assigned) AS percent,
       avg_friends, avg_run_seconds, recent_users, active_seconds, users_per_hour,
       IF(state = 'running', remaining / users_per_hour, NULL) AS eta_hours,
       state, running, stalled, last_activity_at
FROM stated
