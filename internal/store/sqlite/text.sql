-- The full-text index file, dir/text.db (textindex.go), written only by the indexer goroutine.
-- Readers attach it as "text": the unqualified name fts in read.sql resolves to text.fts.

-- name: text_schema
-- Contentless, positions and counts not kept (detail=none): a document is the distinct words of
-- one span's or log record's content, and search only needs which documents hold a word. The
-- rowid is fts_docs.id in cairn.db, which maps it to its trace.
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (body, content = '', contentless_delete = 1, detail = none);
-- One row: every document with an id up to indexed is in fts (or was deleted since); owner is
-- the text_owner of the cairn.db the documents belong to (0 until the first Open sets it).
CREATE TABLE IF NOT EXISTS text_progress (
  one     INTEGER PRIMARY KEY CHECK (one = 1),
  indexed INTEGER NOT NULL,
  owner   INTEGER NOT NULL
);
INSERT OR IGNORE INTO text_progress (one, indexed, owner) VALUES (1, 0, 0);
-- Merge 8 segments of a level at a time instead of 4: each document is rewritten at fewer
-- levels as the index grows (measured: less indexer CPU), for a few more segments per search.
INSERT INTO fts (fts, rank) VALUES ('automerge', 8);

-- name: text_indexed
SELECT indexed, owner FROM text_progress;

-- name: text_set_owner
UPDATE text_progress SET owner = ?;

-- name: text_set_indexed
UPDATE text_progress SET indexed = max(indexed, ?);

-- name: text_insert
-- OR REPLACE: after a crash, documents indexed since the last recorded progress are indexed
-- again by the catch-up.
INSERT OR REPLACE INTO fts (rowid, body) VALUES (?, ?);

-- name: text_delete
DELETE FROM fts WHERE rowid = ?;
