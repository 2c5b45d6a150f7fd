-- Cairn SQLite schema, version 5 (PRAGMA user_version; see schemaVersion in store.go).
-- Layout: compact promoted columns for search beside a zstd-compressed blob ("data") read only
-- to show an item. Secondary indexes are kept to the minimum the reads need: every index costs
-- ingest speed.

-- Before this script runs, Open sets PRAGMA auto_vacuum = INCREMENTAL (it must precede the
-- first table): Retain then gives freed pages back to the file system.

-- Resource dictionary: spans of one service share a handful of resources.
CREATE TABLE resources (
  id   INTEGER PRIMARY KEY, -- xxhash64 of data
  data BLOB NOT NULL        -- encoded attributes (uncompressed, small)
);

-- Every trace id seen (by a span or a linked log record) gets a sequence number in arrival order.
-- This narrow table is the only structure keyed by the random trace id; everything bulky is keyed
-- by seq, so inserts append near the end of their B-trees instead of dirtying a random page each
-- (at 1M spans, random keys made every insert rewrite a whole page into the WAL).
CREATE TABLE trace_ids (
  trace_id BLOB    PRIMARY KEY,
  seq      INTEGER NOT NULL
) WITHOUT ROWID;

-- Spans append in arrival order (rowid); spans_key finds a trace's spans and makes a retried
-- span a no-op. Both grow at their end, since seq grows with arrival.
CREATE TABLE spans (
  id        INTEGER PRIMARY KEY,
  seq       INTEGER NOT NULL, -- trace_ids.seq
  span_id   BLOB    NOT NULL,
  parent_id BLOB,             -- NULL for a root span
  start_ns  INTEGER NOT NULL,
  end_ns    INTEGER NOT NULL,
  service   TEXT    NOT NULL,
  name      TEXT    NOT NULL,
  kind      INTEGER NOT NULL,
  status    INTEGER NOT NULL,
  model     TEXT,             -- generation request (else response) model; NULL: no generation
  in_tok    INTEGER,
  out_tok   INTEGER,
  session   TEXT,
  res_id    INTEGER,          -- resources.id
  attrs     TEXT    NOT NULL, -- "\nkey=value\n..." for short attribute values: attribute search
  data      BLOB    NOT NULL  -- zstd(encoded rest of the span)
);
CREATE UNIQUE INDEX spans_key ON spans (seq, span_id);

-- Trace summaries, maintained at write time, keyed (rowid) by trace_ids.seq.
CREATE TABLE traces (
  seq          INTEGER PRIMARY KEY,
  trace_id     BLOB    NOT NULL,
  start_ns     INTEGER NOT NULL,
  end_ns       INTEGER NOT NULL,
  root_name    TEXT    NOT NULL,
  root_service TEXT    NOT NULL,
  has_root     INTEGER NOT NULL,
  span_count   INTEGER NOT NULL,
  error_count  INTEGER NOT NULL,
  gen_count    INTEGER NOT NULL,
  in_tok       INTEGER NOT NULL,
  out_tok      INTEGER NOT NULL,
  cost         REAL,             -- NULL when no generation has a known cost
  session      TEXT    NOT NULL,
  user_id      TEXT    NOT NULL,
  models       TEXT    NOT NULL, -- "\nm1\nm2\n"
  services     TEXT    NOT NULL, -- "\ns1\ns2\n": pre-filter before probing spans
  success      INTEGER,          -- session.success: NULL unset, 0, 1
  success_ns   INTEGER           -- start of the span that set success
);
CREATE INDEX traces_start ON traces (start_ns, trace_id);
CREATE INDEX traces_session ON traces (session, start_ns) WHERE session <> '';

-- Full text over generation content and log bodies: the index itself (fts) is in text.db
-- (text.sql, textindex.go). A document is the distinct words of one span's or log record's
-- content; its id is the fts rowid, in arrival order, and fts_docs maps it to its trace.
CREATE TABLE fts_docs (
  id  INTEGER PRIMARY KEY, -- fts rowid
  seq INTEGER NOT NULL,    -- trace_ids.seq
  src INTEGER              -- spans.id (> 0) or -logs.id (< 0) of its content; NULL before version 5
);
CREATE INDEX fts_docs_seq ON fts_docs (seq);
-- Text search walks matching documents newest first (search.go). Per block of 64 documents
-- (fts rowid >> 6), max_start bounds the start of every trace that has a document in the block
-- and a summary (a trace's start only moves earlier as spans arrive), so the walk stops, or
-- skips ahead, where no lower block can hold a trace newer than the page it has.
CREATE TABLE fts_blocks (
  block     INTEGER PRIMARY KEY,
  max_start INTEGER NOT NULL
);
CREATE INDEX fts_blocks_start ON fts_blocks (max_start);
-- Documents of traces without a summary yet (log records that arrived before any span of their
-- trace): they get their block's bound when the first spans arrive, or are deleted by Retain
-- once the trace has no log record left.
CREATE TABLE fts_pending (
  seq      INTEGER NOT NULL,
  doc      INTEGER NOT NULL,
  trace_id BLOB    NOT NULL,
  PRIMARY KEY (seq, doc)
) WITHOUT ROWID;

CREATE TABLE logs (
  id       INTEGER PRIMARY KEY,
  time_ns  INTEGER NOT NULL,
  trace_id BLOB,   -- NULL when unlinked
  span_id  BLOB,
  severity INTEGER NOT NULL,
  service  TEXT    NOT NULL,
  res_id   INTEGER,
  data     BLOB    NOT NULL
);
CREATE INDEX logs_time ON logs (time_ns);
CREATE INDEX logs_trace ON logs (trace_id) WHERE trace_id IS NOT NULL;

CREATE TABLE metric_points (
  id        INTEGER PRIMARY KEY,
  name      TEXT    NOT NULL,
  service   TEXT    NOT NULL,
  attr_hash INTEGER NOT NULL,
  time_ns   INTEGER NOT NULL,
  res_id    INTEGER,
  data      BLOB    NOT NULL
);
CREATE INDEX metric_points_series ON metric_points (name, service, attr_hash, time_ns);

-- Service and span names seen (Services, Operations).
CREATE TABLE operations (
  service TEXT    NOT NULL,
  name    TEXT    NOT NULL,
  kind    INTEGER NOT NULL,
  PRIMARY KEY (service, name, kind)
) WITHOUT ROWID;

CREATE TABLE sessions (
  id          TEXT PRIMARY KEY,
  service     TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  trace_count INTEGER NOT NULL,
  error_count INTEGER NOT NULL,
  gen_count   INTEGER NOT NULL,
  first_ns    INTEGER NOT NULL,
  last_ns     INTEGER NOT NULL,
  in_tok      INTEGER NOT NULL,
  out_tok     INTEGER NOT NULL,
  cost        REAL,
  success     INTEGER
) WITHOUT ROWID;
CREATE INDEX sessions_last ON sessions (last_ns);

-- GenAI rollups, one row per hour of one group (service, operation, model, provider, source)
-- with the hour's totals and, packed in "minutes", the same per minute (rollup.go). A dashboard
-- reads one row per hour and group: an hour inside one step from its totals, an hour cut by a
-- step or range edge from its minutes. The rowid is (hours since 1970) << 32 | group id, so a
-- time range is one rowid range, and rows stay on their page (no overflow pages, which SQLite
-- reads past its cache). source 0: spans with a generation; 1: gen_ai.client.* metrics.
CREATE TABLE genai_groups (
  id        INTEGER PRIMARY KEY,
  service   TEXT    NOT NULL,
  operation TEXT    NOT NULL,
  model     TEXT    NOT NULL,
  provider  TEXT    NOT NULL,
  source    INTEGER NOT NULL
);
CREATE UNIQUE INDEX genai_groups_key ON genai_groups (service, operation, model, provider, source);
CREATE TABLE genai_rollups (
  id      INTEGER PRIMARY KEY,
  mask    INTEGER NOT NULL, -- bit i: minute i of the hour has rollups
  totals  BLOB    NOT NULL, -- calls, errors, tokens, cost, latency histogram (rollup.go)
  minutes BLOB    NOT NULL  -- the same for each minute of mask
);

-- Row counts, kept in the write transaction so Stats does not scan.
CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('spans', 0), ('logs', 0), ('metrics', 0), ('traces', 0);
