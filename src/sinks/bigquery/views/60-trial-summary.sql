-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/60-monitoring-views.sql.
--
-- Per run: the reference's trial columns and trial-table columns, plus the source, throughput and status
-- counts, from
-- user_friends_distinct (a row BigQuery stored twice counts once).
-- ROWS is a reserved word in GoogleSQL: the `rows` column is named between backticks.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.trial_summary` AS
WITH per_run AS (
  SELECT run_id,
         ANY_VALUE(source) AS source,
         MIN(start_at) AS first_start,
         MAX(end_at) AS last_end,
         COUNT(*) AS `rows`,
         COUNT(DISTINCT user_id) AS distinct_users,
         AVG(TIMESTAMP_DIFF(end_at, start_at, MILLISECOND)) / 1000.0 AS avg_seconds_per_user,
         AVG(IF(status = 'ok', friend_count, NULL)) AS avg_friends,
         COUNTIF(status = 'ok') AS ok,
         COUNTIF(status = 'protected') AS protected,
         COUNTIF(status = 'not_found') AS not_found,
         COUNTIF(status = 'suspended') AS suspended,
         COUNTIF(status = 'failed') AS failed
  FROM `{{project}}.{{dataset}}.user_friends_distinct`
  GROUP BY run_id
)
SELECT p.run_id,
       p.source,
       r.worker,
       r.partition_id,
       JSON_VALUE(r.settings, '$.tier') AS tier,
       SAFE_CAST(JSON_VALUE(r.settings, '$.usersLimit') AS INT64) AS users_limit,
       SAFE_CAST(JSON_VALUE(r.settings, '$.batchSize') AS INT64) AS batch_size,
       SAFE_CAST(JSON_VALUE(r.settings, '$.maxThreads') AS INT64) AS threads,
       r.state AS outcome,
       p.first_start,
       p.last_end,
       p.`rows`,
       p.distinct_users,
       TIMESTAMP_DIFF(p.last_end, p.first_start, MILLISECOND) / 60000.0 AS runtime_minutes,
       p.avg_seconds_per_user,
       p.avg_friends,
       SAFE_DIVIDE(p.distinct_users, TIMESTAMP_DIFF(p.last_end, p.first_start, MILLISECOND) / 60000.0) AS users_per_minute,
       SAFE_DIVIDE(p.distinct_users, TIMESTAMP_DIFF(p.last_end, p.first_start, MILLISECOND) / 3600000.0) AS users_per_hour,
       SAFE_DIVIDE(p.distinct_users, TIMESTAMP_DIFF(p.last_end, p.first_start, MILLISECOND) / 86400000.0) AS users_per_day,
       p.ok,
       p.protected,
       p.not_found,
       p.suspended,
       p.failed
FROM per_run AS p
LEFT JOIN `{{project}}.{{dataset}}.runs_latest` AS r USING (run_id)
