-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- The newest stored bucket plan, each bucket once (a plan write sent again may have left copies; see
-- 45-user-friends-distinct.sql).
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.partitions_latest` AS
SELECT *
FROM `{{project}}.{{dataset}}.partitions`
WHERE plan_id = (
  SELECT plan_id
  FROM `{{project}}.{{dataset}}.partitions`
  ORDER BY created_at DESC, plan_id DESC
  LIMIT 1
)
QUALIFY ROW_NUMBER() OVER (PARTITION BY partition_id) = 1
