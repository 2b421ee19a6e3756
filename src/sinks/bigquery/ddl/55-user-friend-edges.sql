-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- The edge list for graph tools: one row per account followed in each user's latest 'ok' row of each
-- source, with the same columns as `friendfleet export` writes from the embedded warehouse. friend_id is
-- NULL for sources that give no IDs; source tells the networks apart (the same ID may be in two).
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.user_friend_edges` AS
SELECT l.user_id,
       friend_screen_name,
       l.friend_ids[SAFE_OFFSET(pos)] AS friend_id,
       l.source
FROM `{{project}}.{{dataset}}.user_friends_latest` AS l
CROSS JOIN UNNEST(l.friend_names) AS friend_screen_name WITH OFFSET AS pos
WHERE l.status = 'ok'
