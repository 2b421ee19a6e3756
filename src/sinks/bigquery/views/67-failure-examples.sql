-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/62-fleet-views.sql.
--
-- Failed users (latest row `failed`, one per user) by error class, as in status_breakdown, with up to
-- three examples each (the newest): the class's count on every example row.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.failure_examples` AS
WITH failed AS (
  SELECT source,
         COALESCE(REGEXP_EXTRACT(error, r'^(FF_[A-Z_]+)'), 'other') AS error_class,
         user_id, screen_name, partition_id, run_id, error, end_at
  FROM `{{project}}.{{dataset}}.user_friends_latest`
  WHERE status = 'failed'
),
ranked AS (
  SELECT *,
         COUNT(*) OVER (PARTITION BY source, error_class) AS users,
         ROW_NUMBER() OVER (PARTITION BY source, error_class ORDER BY end_at DESC, user_id) AS example
  FROM failed
)
SELECT source, error_class, users, example, user_id, screen_name, partition_id, run_id, error, end_at
FROM ranked
WHERE example <= 3
