-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.
--
-- The fleet as it runs: each run's last heartbeat and state, and the failed users by error class. The
-- BigQuery twins are src/sinks/bigquery/views/66-worker-status.sql and 67-failure-examples.sql: same
-- names, same columns, same figures (test/sinks/bigquery/views.test.ts).

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
