-- Fixed statements of the read path, loaded by name (see queries.go).

-- name: trace_summary
SELECT trace_id, start_ns, end_ns, root_name, root_service, has_root, span_count, error_count, gen_count,
  in_tok, out_tok, cost, session, user_id, models
FROM traces WHERE seq = ?;

-- name: trace_seq
SELECT seq FROM trace_ids WHERE trace_id = ?;

-- name: trace_spans
SELECT span_id, parent_id, start_ns, end_ns, service, name, kind, status, session, res_id, data
FROM spans WHERE seq = ? ORDER BY start_ns, span_id;

-- name: trace_logs
SELECT time_ns, span_id, severity, res_id, data FROM logs WHERE trace_id = ? ORDER BY time_ns, id;

-- name: resource
SELECT data FROM resources WHERE id = ?;

-- name: services
SELECT DISTINCT service FROM operations ORDER BY service;

-- name: operations_all
SELECT DISTINCT name, kind FROM operations ORDER BY name, kind;

-- name: operations_of
SELECT name, kind FROM operations WHERE service = ? ORDER BY name, kind;

-- name: session
SELECT id, service, user_id, trace_count, error_count, gen_count, first_ns, last_ns, in_tok, out_tok, cost, success
FROM sessions WHERE id = ?;

-- name: session_traces
SELECT seq, trace_id, start_ns, end_ns, root_name, root_service, has_root, span_count, error_count, gen_count,
  in_tok, out_tok, cost, session, user_id, models
FROM traces WHERE session = ? AND session <> '' ORDER BY start_ns, trace_id;

-- name: generation_spans
SELECT start_ns, end_ns, data FROM spans WHERE seq = ? AND model IS NOT NULL ORDER BY start_ns, span_id;

-- name: rollups
-- The rollup hours overlapping [?1, ?2), as ids from ?3 to ?4 (rollup.go). An hour wholly inside
-- the range and inside one step of ?5 ns (steps counted from ?1) is read from its totals: its
-- minutes come back NULL, unread. Totals are used only when ?6 (tests turn it off).
SELECT id, mask, totals,
  CASE WHEN ?6 AND (id >> 32) * 3600000000000 >= ?1 AND (id >> 32) * 3600000000000 + 3600000000000 <= ?2
    AND ((id >> 32) * 3600000000000 - ?1) / ?5 = ((id >> 32) * 3600000000000 - ?1 + 3599999999999) / ?5
    THEN NULL ELSE minutes END
FROM genai_rollups WHERE id >= ?3 AND id < ?4;

-- name: rollup_groups
SELECT id, service, operation, model, provider, source FROM genai_groups;

-- name: counters
SELECT name, value FROM counters;

-- name: traces_from
SELECT count(*) FROM (SELECT 1 FROM traces WHERE start_ns >= ? LIMIT ?);

-- name: text_docs
-- Documents matching ?1 below id ?2, newest first, with their trace's seq.
SELECT fts.rowid, d.seq FROM fts CROSS JOIN fts_docs d ON d.id = fts.rowid
WHERE fts MATCH ?1 AND fts.rowid < ?2 ORDER BY fts.rowid DESC LIMIT ?3;

-- name: text_block_near
-- The highest block at or below ?2 that may hold a document of a trace starting at or after ?1,
-- among the 64 blocks down from ?2 (a walk down the table: cheap when most blocks qualify).
SELECT max(block) FROM fts_blocks WHERE block <= ?2 AND block > ?2 - 64 AND max_start >= ?1;

-- name: text_block
-- The same among every block, through the blocks that qualify (cheap when few do).
SELECT max(block) FROM fts_blocks INDEXED BY fts_blocks_start WHERE max_start >= ?1 AND block <= ?2;

-- name: text_block_bounds
-- The bound (fts_blocks) of each block in the JSON array ?1 that has one.
SELECT block, max_start FROM fts_blocks WHERE block IN (SELECT value FROM json_each(?1));

-- name: trace_id_of_seq
-- The trace id of a sequence number: from its summary, or, for a trace that has only log
-- records so far, from its pending text documents (the full-text catch-up, textcatchup.go).
SELECT trace_id FROM traces WHERE seq = ?1
UNION ALL SELECT trace_id FROM fts_pending WHERE seq = ?1 LIMIT 1;

-- name: doc_range
SELECT id, seq, coalesce(src, 0) FROM fts_docs WHERE id > ? AND id <= ? ORDER BY id LIMIT ?;

-- name: span_data
SELECT data FROM spans WHERE id = ?;

-- name: log_data
SELECT data FROM logs WHERE id = ?;
