-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.

-- One row per user and source: the newest terminal row, or the newest failed row when there is no
-- terminal one. A warehouse may hold the same user ID collected from several sources (networks).
CREATE OR REPLACE VIEW user_friends_latest AS
SELECT *
FROM user_friends
QUALIFY row_number() OVER (
  PARTITION BY source, user_id
  ORDER BY (status <> 'failed') DESC, end_at DESC, run_id DESC
) = 1;

-- The newest state of each run.
CREATE OR REPLACE VIEW runs_latest AS
SELECT *
FROM runs
QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY recorded_at DESC) = 1;
