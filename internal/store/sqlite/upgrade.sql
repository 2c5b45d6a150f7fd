-- Upgrade of a schema version 2 or 3 file to version 4 (upgrade.go): statements run in order,
-- in one transaction. The new tables are as in schema.sql.

-- name: has fts_docs.src
SELECT EXISTS (SELECT 1 FROM pragma_table_info('fts_docs') WHERE name = 'src');

-- name: has version 4 tables
SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'genai_groups');

-- name: 1 keep old rollups
ALTER TABLE genai_rollups RENAME TO genai_minute_rollups;

-- name: 2 groups
CREATE TABLE genai_groups (
  id        INTEGER PRIMARY KEY,
  service   TEXT    NOT NULL,
  operation TEXT    NOT NULL,
  model     TEXT    NOT NULL,
  provider  TEXT    NOT NULL,
  source    INTEGER NOT NULL
);

-- name: 3 groups key
CREATE UNIQUE INDEX genai_groups_key ON genai_groups (service, operation, model, provider, source);

-- name: 4 rollups
CREATE TABLE genai_rollups (
  id      INTEGER PRIMARY KEY,
  mask    INTEGER NOT NULL,
  totals  BLOB    NOT NULL,
  minutes BLOB    NOT NULL
);

-- name: 5 text blocks
CREATE TABLE fts_blocks (
  block     INTEGER PRIMARY KEY,
  max_start INTEGER NOT NULL
);

-- name: 6 text blocks by start
CREATE INDEX fts_blocks_start ON fts_blocks (max_start);

-- name: 7 pending text
CREATE TABLE fts_pending (
  seq      INTEGER NOT NULL,
  doc      INTEGER NOT NULL,
  trace_id BLOB    NOT NULL,
  PRIMARY KEY (seq, doc)
) WITHOUT ROWID;

-- name: old rollups
-- In key order: the rows of one hour come together.
SELECT minute_ns, service, operation, model, provider, source, calls, errors, in_tok, out_tok, cost, cost_n, hist
FROM genai_minute_rollups ORDER BY minute_ns, service, operation, model, provider, source;

-- name: drop old rollups
DROP TABLE genai_minute_rollups;

-- name: unbound docs
SELECT d.id, d.seq, i.trace_id FROM fts_docs d JOIN trace_ids i ON i.seq = d.seq
WHERE NOT EXISTS (SELECT 1 FROM traces t WHERE t.seq = d.seq);
