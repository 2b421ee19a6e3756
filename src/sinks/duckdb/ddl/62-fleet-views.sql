-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.
--
-- The fleet as it runs: each run's last heartbeat and state, the failed users by error class, and
-- progress by the current buckets' ID ranges. The BigQuery twins are src/sinks/bigquery/views/66 to 69
-- and ../ddl/56-current-buckets.sql: same names, same columns, same figures
-- (test/sinks/bigquery/views.test.ts).

-- One row per run: its newest state, last heartbeat and counters. A run still `running` whose last
-- sign of life (its newest heartbeat, or its start before the first) is older than three heartbeat
-- intervals (its HEARTBEAT_INTERVAL setting; at least 10 s) is `stalled`: killed without a chance to
-- record its end (SIGKILL, a lost machine), or hung. Once a newer run took the same bucket, such a run
-- is `lost` instead: history, not a problem to act on.
CREATE OR REPLACE VIEW worker_status AS
WITH beats AS (
  SELECT run_id,
         max(beat_at) AS last_beat_at,
         max(users_done) AS users_done,
         max(requests) AS requests,
         max(rate_limited) AS rate_limited,
         max(rate_limit_wait_ms) AS rate_limit_wait_ms
  FROM heartbeats
  GROUP BY run_id
),
ranked_runs AS (
  SELECT *,
         coalesce(TRY_CAST(json_extract_string(settings, '$.heartbeatInterval') AS BIGINT), 30000) AS heartbeat_ms,
         row_number() OVER (PARTITION BY source, partition_id, min_id, max_id ORDER BY started_at DESC, run_id DESC) AS newest
  FROM runs_latest
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
         WHEN date_diff('millisecond', greatest(r.started_at, coalesce(b.last_beat_at, r.started_at)), now()) <= greatest(3 * r.heartbeat_ms, 10000) THEN 'running'
         WHEN r.newest > 1 THEN 'lost'
         ELSE 'stalled'
       END AS state,
       r.started_at,
       r.ended_at,
       b.last_beat_at,
       r.heartbeat_ms / 1000.0 AS heartbeat_seconds,
       r.users_planned,
       greatest(r.users_done, coalesce(b.users_done, 0)) AS users_done,
       greatest(r.requests, coalesce(b.requests, 0)) AS requests,
       greatest(r.rate_limited, coalesce(b.rate_limited, 0)) AS rate_limited,
       b.rate_limit_wait_ms / 1000.0 AS rate_limit_wait_seconds,
       r.error
FROM ranked_runs AS r
LEFT JOIN beats AS b USING (run_id);

-- Failed users (latest row `failed`) by error class, the error's stable code as in status_breakdown,
-- with up to three examples each (the newest): the class's count on every example row.
CREATE OR REPLACE VIEW failure_examples AS
WITH failed AS (
  SELECT source,
         coalesce(nullif(regexp_extract(error, '^(FF_[A-Z_]+)', 1), ''), 'other') AS error_class,
         user_id, screen_name, partition_id, run_id, error, end_at
  FROM user_friends_latest
  WHERE status = 'failed'
),
ranked AS (
  SELECT *,
         count(*) OVER (PARTITION BY source, error_class) AS users,
         row_number() OVER (PARTITION BY source, error_class ORDER BY end_at DESC, user_id) AS example
  FROM failed
)
SELECT source, error_class, users, example, user_id, screen_name, partition_id, run_id, error, end_at
FROM ranked
WHERE example <= 3;

-- The buckets progress is counted in, per source: the stored plan's (`friendfleet partition`, for each
-- source that ran, or without a source before any did), else those of the source's newest runs: the
-- buckets its workers cut themselves (PARTITION with PARTITIONS), its MIN_USER_ID/MAX_USER_ID ranges, or
-- the whole table. `bucket` names one: p3, 100..200, or all.
CREATE OR REPLACE VIEW current_buckets AS
WITH run_sources AS (
  SELECT DISTINCT source FROM runs_latest
),
stored AS (
  SELECT s.source, p.partition_id, p.partitions, p.min_id, p.max_id, p.id_kind, p.user_count AS assigned
  FROM partitions_latest AS p
  LEFT JOIN run_sources AS s ON TRUE
),
layouts AS (
  SELECT *, coalesce(CAST(partitions AS VARCHAR), CASE WHEN min_id IS NULL THEN 'all' ELSE 'ranges' END) AS layout
  FROM runs_latest
),
newest AS (
  SELECT source, layout
  FROM layouts
  QUALIFY row_number() OVER (PARTITION BY source ORDER BY started_at DESC, run_id DESC) = 1
),
from_runs AS (
  SELECT l.source, l.partition_id, l.partitions, l.min_id, l.max_id,
         CASE WHEN regexp_full_match(l.min_id, '[0-9]+') AND regexp_full_match(l.max_id, '[0-9]+') THEN 'numeric' ELSE 'opaque' END AS id_kind,
         l.bucket_users AS assigned
  FROM layouts AS l
  JOIN newest AS n ON n.source = l.source AND n.layout = l.layout
  QUALIFY row_number() OVER (PARTITION BY l.source, l.partition_id, l.min_id, l.max_id ORDER BY l.started_at DESC, l.run_id DESC) = 1
),
buckets AS (
  SELECT * FROM stored
  UNION ALL
  SELECT * FROM from_runs WHERE NOT EXISTS (SELECT 1 FROM partitions_latest)
)
SELECT source,
       CASE WHEN partition_id IS NOT NULL THEN 'p' || partition_id WHEN min_id IS NOT NULL THEN min_id || '..' || max_id ELSE 'all' END AS bucket,
       partition_id, partitions, min_id, max_id, id_kind, assigned
FROM buckets;

-- Per source and bucket of current_buckets: its users (by ID range, whichever run or plan wrote their
-- rows) processed of assigned, failed, remaining; the recent rate and the ETA at it; and its state:
-- done, running (a live run covers it), stalled (only stalled runs do), stopped, or waiting.
-- The rate: users finished in the 15 minutes before the bucket's last activity (its newest row or a live
-- run's newest heartbeat) over the time they took (from the earliest start among them, at most 15
-- minutes), once at least 10 users finished in that window. No rate, no ETA; no live run, no ETA.
CREATE OR REPLACE VIEW partition_progress AS
WITH latest AS (
  SELECT source, user_id, TRY_CAST(user_id AS HUGEINT) AS numeric_id, status, friend_count, start_at, end_at
  FROM user_friends_latest
),
bucket_rows AS (
  SELECT b.source, b.bucket, l.status, l.friend_count, l.start_at, l.end_at
  FROM current_buckets AS b
  JOIN latest AS l ON l.source = b.source AND (
    b.min_id IS NULL
    OR (b.id_kind = 'numeric' AND l.numeric_id BETWEEN TRY_CAST(b.min_id AS HUGEINT) AND TRY_CAST(b.max_id AS HUGEINT))
    OR (b.id_kind <> 'numeric' AND l.user_id BETWEEN b.min_id AND b.max_id)
  )
),
counted AS (
  SELECT source, bucket,
         count(*) AS processed,
         count(*) FILTER (WHERE status = 'failed') AS failed,
         avg(friend_count) FILTER (WHERE status = 'ok') AS avg_friends,
         avg(date_diff('millisecond', start_at, end_at)) / 1000.0 AS avg_run_seconds,
         max(end_at) AS last_end_at
  FROM bucket_rows
  GROUP BY source, bucket
),
-- The runs on each bucket: those whose range overlaps it, and those over the whole table (no range and
-- no bucket number; a numbered bucket without a range is an empty one and covers nothing).
covering AS (
  SELECT b.source, b.bucket,
         count(*) FILTER (WHERE w.state = 'running') AS running,
         count(*) FILTER (WHERE w.state = 'stalled') AS stalled,
         max(w.last_beat_at) FILTER (WHERE w.state = 'running') AS last_beat_at
  FROM current_buckets AS b
  JOIN worker_status AS w ON w.source = b.source AND (
    b.min_id IS NULL OR (w.min_id IS NULL AND w.partition_id IS NULL)
    OR (b.id_kind = 'numeric' AND TRY_CAST(w.min_id AS HUGEINT) <= TRY_CAST(b.max_id AS HUGEINT) AND TRY_CAST(w.max_id AS HUGEINT) >= TRY_CAST(b.min_id AS HUGEINT))
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
         count(*) AS recent_users,
         date_diff('millisecond', greatest(min(r.start_at), a.active_until - INTERVAL 15 MINUTE), a.active_until) / 1000.0 AS active_seconds
  FROM bucket_rows AS r
  JOIN anchored AS a ON a.source = r.source AND a.bucket = r.bucket
  WHERE r.end_at > a.active_until - INTERVAL 15 MINUTE
  GROUP BY r.source, r.bucket, a.active_until
),
figures AS (
  SELECT b.source, b.bucket, b.partition_id, b.partitions, b.min_id, b.max_id, b.assigned,
         coalesce(c.processed, 0) AS processed,
         coalesce(c.failed, 0) AS failed,
         c.avg_friends,
         c.avg_run_seconds,
         coalesce(r.recent_users, 0) AS recent_users,
         r.active_seconds,
         CASE WHEN r.recent_users >= 10 AND r.active_seconds > 0 THEN r.recent_users * 3600.0 / r.active_seconds END AS users_per_hour,
         coalesce(v.running, 0) AS running,
         coalesce(v.stalled, 0) AS stalled,
         CASE WHEN c.last_end_at IS NULL OR v.last_beat_at > c.last_end_at THEN v.last_beat_at ELSE c.last_end_at END AS last_activity_at
  FROM current_buckets AS b
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
       100.0 * processed / nullif(assigned, 0) AS percent,
       avg_friends, avg_run_seconds, recent_users, active_seconds, users_per_hour,
       CASE WHEN state = 'running' THEN remaining / users_per_hour END AS eta_hours,
       state, running, stalled, last_activity_at
FROM stated;

-- Per source, all its buckets together: users, the rate (the sum of its running buckets' rates, once
-- each has one), the ETA (the latest of its buckets' ETAs, once every bucket not done is running and has
-- one) and its state; buckets by state.
CREATE OR REPLACE VIEW overall_progress AS
SELECT source,
       count(*) AS buckets,
       sum(assigned) AS assigned,
       sum(processed) AS processed,
       sum(failed) AS failed,
       sum(remaining) AS remaining,
       100.0 * sum(processed) / nullif(sum(assigned), 0) AS percent,
       CASE WHEN count(*) FILTER (WHERE state = 'running' AND users_per_hour IS NULL) = 0 THEN sum(users_per_hour) FILTER (WHERE state = 'running') END AS users_per_hour,
       CASE WHEN count(*) FILTER (WHERE state <> 'done' AND eta_hours IS NULL) = 0 THEN max(eta_hours) END AS eta_hours,
       CASE
         WHEN count(*) FILTER (WHERE state <> 'done') = 0 THEN 'done'
         WHEN count(*) FILTER (WHERE state = 'running') > 0 THEN 'running'
         WHEN count(*) FILTER (WHERE state = 'stalled') > 0 THEN 'stalled'
         WHEN sum(processed) > 0 THEN 'stopped'
         ELSE 'waiting'
       END AS state,
       count(*) FILTER (WHERE state = 'done') AS done_buckets,
       count(*) FILTER (WHERE state = 'running') AS running,
       count(*) FILTER (WHERE state = 'stalled') AS stalled,
       count(*) FILTER (WHERE state IN ('stopped', 'waiting')) AS idle,
       max(last_activity_at) AS last_activity_at
FROM partition_progress
GROUP BY source;
