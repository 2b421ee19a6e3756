-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.

-- Bucket plans: each `friendfleet partition` run stores one plan (a cut of the users table into
-- ID ranges); workers and monitoring read the newest one. Column names are the reference's.
CREATE TABLE IF NOT EXISTS partitions (
  plan_id        VARCHAR     NOT NULL,
  partition_id   INTEGER     NOT NULL,
  partitions     INTEGER     NOT NULL,
  user_count     BIGINT      NOT NULL,
  min_id         VARCHAR     NOT NULL,
  max_id         VARCHAR     NOT NULL,
  expected_pages DOUBLE,
  id_kind        VARCHAR     NOT NULL,
  balance        VARCHAR     NOT NULL,
  created_at     TIMESTAMPTZ NOT NULL
);

CREATE OR REPLACE VIEW partitions_latest AS
SELECT *
FROM partitions
WHERE plan_id = (SELECT plan_id FROM partitions ORDER BY created_at DESC, plan_id DESC LIMIT 1);
