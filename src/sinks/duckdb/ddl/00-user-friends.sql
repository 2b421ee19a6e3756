-- friendfleet embedded warehouse (DuckDB). Files in this folder run in name order at every start;
-- each is idempotent.

-- One row per attempt at one user. Reference column names: user_id, screen_name, friend_count,
-- start_at, end_at. friend_count and friend_names are NULL unless status = 'ok'. expected_count is the
-- users table's friends_count (NULL when it has none), compared with friend_count by short_lists.
CREATE TABLE IF NOT EXISTS user_friends (
  user_id      VARCHAR     NOT NULL,
  screen_name  VARCHAR,
  friend_count INTEGER,
  friend_names VARCHAR[],
  friend_ids   VARCHAR[],
  status       VARCHAR     NOT NULL,
  error        VARCHAR,
  truncated    BOOLEAN     NOT NULL,
  pages        INTEGER     NOT NULL,
  partition_id INTEGER,
  run_id       VARCHAR     NOT NULL,
  worker       VARCHAR     NOT NULL,
  source       VARCHAR     NOT NULL,
  start_at     TIMESTAMPTZ NOT NULL,
  end_at       TIMESTAMPTZ NOT NULL,
  expected_count BIGINT
);

-- Files written before expected_count existed get it as their last column.
ALTER TABLE user_friends ADD COLUMN IF NOT EXISTS expected_count BIGINT;
