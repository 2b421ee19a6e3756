-- friendfleet monitoring view (BigQuery). Replace {{project}} and {{dataset}} to paste it into the console;
-- `friendfleet setup` does it for you. The DuckDB twin is src/sinks/duckdb/ddl/61-completeness-views.sql.
--
-- Per source: users whose latest row is `ok`, those with an expected count, the short ones (short_lists)
-- and their share.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.completeness` AS
WITH ok AS (
  SELECT source, COUNT(*) AS ok_users, COUNT(expected_count) AS with_expected
  FROM `{{project}}.{{dataset}}.user_friends_latest`
  WHERE status = 'ok'
  GROUP BY source
),
short AS (
  SELECT source, COUNT(*) AS short_lists, SUM(missing) AS missing_accounts
  FROM `{{project}}.{{dataset}}.short_lists`
  GROUP BY source
)
SELECT ok.source,
       ok.ok_users,
       ok.with_expected,
       COALESCE(short.short_lists, 0) AS short_lists,
       COALESCE(short.missing_accounts, 0) AS missing_accounts,
       COALESCE(short.short_lists, 0) / NULLIF(ok.with_expected, 0) AS short_share
FROM ok
LEFT JOIN short USING (source)
