-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.
--
-- Completeness: lists shorter than the users table says. The BigQuery twins are
-- src/sinks/bigquery/views/64-short-lists.sql and 65-completeness.sql: same names, same columns, same
-- figures (test/sinks/bigquery/views.test.ts). The rule is src/collector/completeness.ts's, which the end
-- of a run reports with: an `ok` list that did not stop at MAX_FRIENDS (not truncated) is short when it
-- misses more than max(5 accounts, 10% of expected_count). The tolerance absorbs the counts being read at
-- different times and accounts the source counts but no longer lists (suspended, deleted, deactivated).

-- One row per user whose latest `ok` list is short.
CREATE OR REPLACE VIEW short_lists AS
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
FROM user_friends_latest
WHERE status = 'ok'
  AND expected_count IS NOT NULL
  AND NOT truncated
  AND expected_count - friend_count > greatest(5, 0.1 * expected_count);

-- Per source: users whose latest row is `ok`, those with an expected count, the short ones and their share.
CREATE OR REPLACE VIEW completeness AS
WITH ok AS (
  SELECT source, count(*) AS ok_users, count(expected_count) AS with_expected
  FROM user_friends_latest
  WHERE status = 'ok'
  GROUP BY source
),
short AS (
  SELECT source, count(*) AS short_lists, sum(missing) AS missing_accounts
  FROM short_lists
  GROUP BY source
)
SELECT ok.source,
       ok.ok_users,
       ok.with_expected,
       coalesce(short.short_lists, 0) AS short_lists,
       coalesce(short.missing_accounts, 0) AS missing_accounts,
       coalesce(short.short_lists, 0) / nullif(ok.with_expected, 0) AS short_share
FROM ok
LEFT JOIN short USING (source);
