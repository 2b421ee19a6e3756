-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/61-completeness-views.sql.
--
-- One row per user whose latest `ok` list is shorter than the users table says: not stopped at
-- MAX_FRIENDS (not truncated), and missing more than max(5 accounts, 10% of expected_count), the rule of
-- src/collector/completeness.ts (the counts are read at different times).
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.short_lists` AS
SELECT user_id,
       screen_name,
       source,
       partition_id,
       run_id,
       friend_count,
       expected_count,
       expected_count - friend_count AS missing,
       (expected_count - friend_count) / expected_count AS missing_share,
       end_at
FROM `{{project}}.{{dataset}}.user_friends_latest`
WHERE status = 'ok'
  AND expected_count IS NOT NULL
  AND NOT truncated
  AND expected_count - friend_count > GREATEST(5, 0.1 * expected_count)
