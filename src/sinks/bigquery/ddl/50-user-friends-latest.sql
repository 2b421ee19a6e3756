-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- One row per user and source: the newest terminal row, or the newest failed row when there is no
-- terminal one. A dataset may hold the same user ID collected from several sources (networks). (A user
-- retried after a lost insert response may have two identical rows of the same run; this picks one.)
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.user_friends_latest` AS
SELECT *
FROM `{{project}}.{{dataset}}.user_friends`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (
  PARTITION BY source, user_id
  ORDER BY status <> 'failed' DESC, end_at DESC, run_id DESC
) = 1
