-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql.

-- The newest state of each run.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.runs_latest` AS
SELECT *
FROM `{{project}}.{{dataset}}.runs`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY recorded_at DESC) = 1
