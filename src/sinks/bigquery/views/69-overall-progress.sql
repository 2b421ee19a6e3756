-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/62-fleet-views.sql.
--
-- Per source, all its buckets together: users, the rate (the sum of its running buckets' rates, once
-- each has one), the ETA (the latest of its buckets' ETAs, once every bucket not done is running and has
-- one) and its state; buckets by state.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.overall_progress` AS
SELECT source,
       COUNT(*) AS buckets,
       SUM(assigned) AS assigned,
       SUM(processed) AS processed,
       SUM(failed) AS failed,
       SUM(remaining) AS remaining,
       SAFE_DIVIDE(100.0 * SUM(processed), SUM(assigned)) AS percent,
       IF(COUNTIF(state = 'running' AND users_per_hour IS NULL) = 0, SUM(IF(state = 'running', users_per_hour, NULL)), NULL) AS users_per_hour,
       IF(COUNTIF(state <> 'done' AND eta_hours IS NULL) = 0, MAX(eta_hours), NULL) AS eta_hours,
       CASE
         WHEN COUNTIF(state <> 'done') = 0 THEN 'done'
         WHEN COUNTIF(state = 'running') > 0 THEN 'running'
         WHEN COUNTIF(state = 'stalled') > 0 THEN 'stalled'
         WHEN SUM(processed) > 0 THEN 'stopped'
         ELSE 'waiting'
       END AS state,
       COUNTIF(state = 'done') AS done_buckets,
       COUNTIF(state = 'running') AS running,
       COUNTIF(state = 'stalled') AS stalled,
       COUNTIF(state IN ('stopped', 'waiting')) AS idle,
       MAX(last_activity_at) AS last_activity_at
FROM `{{project}}.{{dataset}}.partition_progress`
GROUP BY source
