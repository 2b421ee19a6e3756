-- friendfleet production warehouse (BigQuery). `friendfleet setup --sink bigquery:PROJECT.DATASET` runs the
-- files of this folder in name order, then ../views/; each is idempotent. To paste one into the console,
-- replace {{project}} and {{dataset}}. The embedded twin is src/sinks/duckdb/ddl/00-user-friends.sql.

-- One row per attempt at one user, streamed in by the workers (tabledata.insertAll). Reference column
-- names: user_id, screen_name, friend_count, start_at, end_at. friend_count is NULL unless status = 'ok';
-- BigQuery has no NULL arrays (insertAll refuses NULL for an ARRAY column), so the workers send [] where the
-- embedded warehouse holds NULL: friend_names of a user that is not 'ok', friend_ids of a source without IDs.
-- Partitioned by day of start_at and clustered on user_id, so the resume query and one user's rows read
-- little.
CREATE TABLE IF NOT EXISTS `{{project}}.{{dataset}}.user_friends` (
  user_id      STRING        NOT NULL,
  screen_name  STRING,
  friend_count INT64,
  friend_names ARRAY<STRING>,
  friend_ids   ARRAY<STRING>,
  status       STRING        NOT NULL,
  error        STRING,
  truncated    BOOL          NOT NULL,
  pages        INT64         NOT NULL,
  partition_id INT64,
  run_id       STRING        NOT NULL,
  worker       STRING        NOT NULL,
  source       STRING        NOT NULL,
  start_at     TIMESTAMP     NOT NULL,
  end_at       TIMESTAMP     NOT NULL,
  -- The users table's friends_count, NULL when it has none; compared with friend_count by short_lists.
  -- A dataset made before it existed: ALTER TABLE user_friends ADD COLUMN expected_count INT64.
  expected_count INT64
)
PARTITION BY DATE(start_at)
CLUSTER BY user_id
OPTIONS (description = 'friendfleet: one row per attempt at one user (see user_friends_latest for one row per user)')
