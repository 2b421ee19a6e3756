-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- user_friends without copies: one row per attempt at one user. BigQuery drops a re-sent row by its
-- insertId only best effort (cloud.google.com/bigquery/docs/streaming-data-into-bigquery#dataconsistency),
-- so an insert sent again after a lost answer may leave two identical rows; they share the insertId's
-- parts (run, user, start time). Views and queries that count rows read this.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.user_friends_distinct` AS
SELECT *
FROM `{{project}}.{{dataset}}.user_friends`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY run_id, user_id, start_at) = 1
