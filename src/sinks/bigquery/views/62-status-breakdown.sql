-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/60-monitoring-views.sql.
--
-- Latest status of every user, per source, by status and error class (the error's stable code for failed
-- users); percent of the source's users.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.status_breakdown` AS
WITH classified AS (
  SELECT source,
         status,
         IF(status = 'failed', COALESCE(REGEXP_EXTRACT(error, r'^(FF_[A-Z_]+)'), 'other'), status) AS error_class
  FROM `{{project}}.{{dataset}}.user_friends_latest`
)
SELECT source,
       status,
       error_class,
       COUNT(*) AS users,
       100.0 * COUNT(*) / SUM(COUNT(*)) OVER (PARTITION BY source) AS percent
FROM classified
GROUP BY source, status, error_class
