-- friendfleet production warehouse (BigQuery); see 00-user-friends.sql. The embedded twin is in
-- src/sinks/duckdb/ddl/62-fleet-views.sql.

-- The buckets progress is counted in, per source: the stored plan's (`friendfleet partition`, for each
-- source that ran, or without a source before any did), else those of the source's newest runs: the
-- buckets its workers cut themselves (PARTITION with PARTITIONS), its MIN_USER_ID/MAX_USER_ID ranges, or
-- the whole table. `bucket` names one: p3, 100..200, or all.
CREATE OR REPLACE VIEW `{{project}}.{{dataset}}.current_buckets` AS
WITH run_sources AS (
  SELECT DISTINCT source FROM `{{project}}.{{dataset}}.runs_latest`
),
stored AS (
  SELECT s.source, p.partition_id, p.partitions, p.min_id, p.max_id, p.id_kind, p.user_count AS assigned
  FROM `{{project}}.{{dataset}}.partitions_latest` AS p
  LEFT JOIN run_sources AS s ON TRUE
),
layouts AS (
  SELECT *, COALESCE(CAST(partitions AS STRING), IF(min_id IS NULL, 'all', 'ranges')) AS layout
  FROM `{{project}}.{{dataset}}.runs_latest`
),
newest AS (
  SELECT source, layout
  FROM layouts
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY source ORDER BY started_at DESC, run_id DESC) = 1
),
from_runs AS (
  SELECT l.source, l.partition_id, l.partitions, l.min_id, l.max_id,
         IF(REGEXP_CONTAINS(l.min_id, r'^[0-9]+$') AND REGEXP_CONTAINS(l.max_id, r'^[0-9]+$'), 'numeric', 'opaque') AS id_kind,
         l.bucket_users AS assigned
  FROM layouts AS l
  JOIN newest AS n ON n.source = l.source AND n.layout = l.layout
  WHERE TRUE
  QUALIFY ROW_NUMBER() OVER (PARTITION BY l.source, l.partition_id, l.min_id, l.max_id ORDER BY l.started_at DESC, l.run_id DESC) = 1
),
buckets AS (
  SELECT * FROM stored
  UNION ALL
  SELECT * FROM from_runs WHERE NOT EXISTS (SELECT 1 FROM `{{project}}.{{dataset}}.partitions_latest`)
)
SELECT source,
       CASE WHEN partition_id IS NOT NULL THEN CONCAT('p', CAST(partition_id AS STRING)) WHEN min_id IS NOT NULL THEN CONCAT(min_id, '..', max_id) ELSE 'all' END AS bucket,
       partition_id, partitions, min_id, max_id, id_kind, assigned
FROM buckets
