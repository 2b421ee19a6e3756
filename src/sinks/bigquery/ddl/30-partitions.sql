-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- Bucket plans: each `friendfleet partition` run stores one plan (a cut of the users table into ID
-- ranges); workers and monitoring read the newest one (partitions_latest). Reference column names.
CREATE TABLE IF NOT EXISTS `{{project}}.{{dataset}}.partitions` (
  plan_id        STRING    NOT NULL,
  partition_id   INT64     NOT NULL,
  partitions     INT64     NOT NULL,
  user_count     INT64     NOT NULL,
  min_id         STRING    NOT NULL,
  max_id         STRING    NOT NULL,
  expected_pages FLOAT64,
  id_kind        STRING    NOT NULL,
  balance        STRING    NOT NULL,
  created_at     TIMESTAMP NOT NULL
)
OPTIONS (description = 'friendfleet: bucket plans (see partitions_latest)')
