-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- The newest stored bucket plan.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.partitions_latest` AS
SELECT *
FROM `{{project}}.{{dataset}}.partitions`
WHERE plan_id = (
  SELECT plan_id
  FROM `{{project}}.{{dataset}}.partitions`
  ORDER BY created_at DESC, plan_id DESC
  LIMIT 1
)
