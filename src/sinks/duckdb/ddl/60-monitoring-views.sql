-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.
--
-- Monitoring views. Their BigQuery twins are src/sinks/bigquery/views/6*.sql: same names, same columns,
-- same figures (test/monitor/views.test.ts). Progress per bucket is in 62-fleet-views.sql.

-- Per run: the reference's trial columns (first start, last end, rows, distinct users, runtime in minutes,
-- average seconds per user, average friends) and its trial-table columns (tier, users limit, batch,
-- threads, outcome, users/hour), plus the source, throughput and status counts. Runtime runs from the
-- first start to the last end of the run's rows, as the reference measured it.
CREATE OR REPLACE VIEW trial_summary AS
WITH per_run AS (
  SELECT run_id,
         any_value(source) AS source,
         min(start_at) AS first_start,
         max(end_at) AS last_end,
         count(*) AS rows,
         count(DISTINCT user_id) AS distinct_users,
         avg(date_diff('millisecond', start_at, end_at)) / 1000.0 AS avg_seconds_per_user,
         avg(friend_count) FILTER (WHERE status = 'ok') AS avg_friends,
         count(*) FILTER (WHERE status = 'ok') AS ok,
         count(*) FILTER (WHERE status = 'protected') AS protected,
         count(*) FILTER (WHERE status = 'not_found') AS not_found,
         count(*) FILTER (WHERE status = 'suspended') AS suspended,
         count(*) FILTER (WHERE status = 'failed') AS failed
  FROM user_friends
  GROUP BY run_id
)
SELECT p.run_id,
       p.source,
       r.worker,
       r.partition_id,
       json_extract_string(r.settings, '$.tier') AS tier,
       TRY_CAST(json_extract_string(r.settings, '$.usersLimit') AS BIGINT) AS users_limit,
       TRY_CAST(json_extract_string(r.settings, '$.batchSize') AS BIGINT) AS batch_size,
       TRY_CAST(json_extract_string(r.settings, '$.maxThreads') AS BIGINT) AS threads,
       r.state AS outcome,
       p.first_start,
       p.last_end,
       p.rows,
       p.distinct_users,
       date_diff('millisecond', p.first_start, p.last_end) / 60000.0 AS runtime_minutes,
       p.avg_seconds_per_user,
       p.avg_friends,
       p.distinct_users / nullif(date_diff('millisecond', p.first_start, p.last_end) / 60000.0, 0) AS users_per_minute,
       p.distinct_users / nullif(date_diff('millisecond', p.first_start, p.last_end) / 3600000.0, 0) AS users_per_hour,
       p.distinct_users / nullif(date_diff('millisecond', p.first_start, p.last_end) / 86400000.0, 0) AS users_per_day,
       p.ok,
       p.protected,
       p.not_found,
       p.suspended,
       p.failed
FROM per_run AS p
LEFT JOIN runs_latest AS r USING (run_id);

-- Latest status of every user, per source, by status and error class (the error's stable code for failed
-- users); percent of the source's users.
CREATE OR REPLACE VIEW status_breakdown AS
SELECT source,
       status,
       CASE WHEN status = 'failed' THEN coalesce(nullif(regexp_extract(error, '^(FF_[A-Z_]+)', 1), ''), 'other') ELSE status END AS error_class,
       count(*) AS users,
       100.0 * count(*) / sum(count(*)) OVER (PARTITION BY source) AS percent
FROM user_friends_latest
GROUP BY source, status, error_class;

-- Users finished (from rows) and requests made (from heartbeats: the growth of each run's counter) per
-- 10-minute slot per worker. Requests between two heartbeats count in the slot of the later one.
CREATE OR REPLACE VIEW throughput_timeline AS
WITH users AS (
  SELECT worker, time_bucket(INTERVAL '10 minutes', end_at) AS slot_start, count(*) AS users, sum(coalesce(friend_count, 0)) AS friends
  FROM user_friends
  GROUP BY worker, slot_start
),
beats AS (
  SELECT run_id, worker, time_bucket(INTERVAL '10 minutes', beat_at) AS slot_start, max(requests) AS requests_total
  FROM heartbeats
  GROUP BY run_id, worker, slot_start
),
growth AS (
  SELECT worker, slot_start,
         requests_total - coalesce(lag(requests_total) OVER (PARTITION BY run_id ORDER BY slot_start), 0) AS requests
  FROM beats
),
requests AS (
  SELECT worker, slot_start, sum(requests) AS requests
  FROM growth
  GROUP BY worker, slot_start
)
SELECT worker,
       slot_start,
       coalesce(u.users, 0) AS users,
       coalesce(u.friends, 0) AS friends,
       coalesce(r.requests, 0) AS requests
FROM users AS u
FULL OUTER JOIN requests AS r USING (worker, slot_start);
