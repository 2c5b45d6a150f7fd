-- Fixed statements of the write path, loaded by name (see queries.go). The writer also runs
-- "name*n" variants (write.go, repeatRows): an INSERT with n rows, or an IN list of n values.

-- name: select_seqs
SELECT trace_id, seq FROM trace_ids WHERE trace_id IN (?);

-- name: insert_seq
INSERT INTO trace_ids (trace_id, seq) VALUES (?, ?);

-- name: max_seq
SELECT coalesce(max(seq), 0) FROM trace_ids;

-- name: max_doc
SELECT coalesce(max(id), 0) FROM fts_docs;

-- name: ensure_text_owner
-- A random id of this cairn.db that its text.db records (textindex.go): a text.db left from
-- another cairn.db (a restored backup) is rebuilt, not trusted.
INSERT OR IGNORE INTO counters (name, value) VALUES ('text_owner', (random() & 9223372036854775807) | 1);

-- name: text_owner
SELECT value FROM counters WHERE name = 'text_owner';

-- name: max_span
SELECT coalesce(max(id), 0) FROM spans;

-- name: select_span_ids
SELECT span_id FROM spans WHERE seq = ? AND span_id IN (?);

-- name: insert_span
INSERT INTO spans (id, seq, span_id, parent_id, start_ns, end_ns, service, name, kind, status,
  model, in_tok, out_tok, session, res_id, attrs, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: insert_resource
INSERT OR IGNORE INTO resources (id, data) VALUES (?, ?);

-- name: insert_fts_doc
INSERT INTO fts_docs (id, seq, src) VALUES (?, ?, ?);

-- name: insert_operation
INSERT OR IGNORE INTO operations (service, name, kind) VALUES (?, ?, ?);

-- name: select_trace
SELECT start_ns, end_ns, root_name, root_service, has_root, span_count, error_count, gen_count,
  in_tok, out_tok, cost, session, user_id, models, services, success, success_ns
FROM traces WHERE seq = ?;

-- name: insert_trace
INSERT INTO traces (seq, trace_id, start_ns, end_ns, root_name, root_service, has_root, span_count,
  error_count, gen_count, in_tok, out_tok, cost, session, user_id, models, services, success, success_ns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: update_trace
UPDATE traces SET start_ns = ?2, end_ns = ?3, root_name = ?4, root_service = ?5, has_root = ?6,
  span_count = ?7, error_count = ?8, gen_count = ?9, in_tok = ?10, out_tok = ?11, cost = ?12,
  session = ?13, user_id = ?14, models = ?15, services = ?16, success = ?17, success_ns = ?18
WHERE seq = ?1;

-- name: session_aggs
SELECT t.session, count(*), total(t.error_count > 0), total(t.gen_count), min(t.start_ns), max(t.end_ns),
  total(t.in_tok), total(t.out_tok), sum(t.cost),
  (SELECT root_service FROM traces WHERE session = t.session AND session <> '' ORDER BY start_ns LIMIT 1),
  (SELECT user_id FROM traces WHERE session = t.session AND session <> '' AND user_id <> '' ORDER BY start_ns LIMIT 1),
  (SELECT success FROM traces WHERE session = t.session AND session <> '' AND success IS NOT NULL
   ORDER BY success_ns DESC LIMIT 1)
FROM traces t WHERE t.session <> '' AND t.session IN (?) GROUP BY t.session;

-- name: replace_session
INSERT OR REPLACE INTO sessions (id, service, user_id, trace_count, error_count, gen_count, first_ns, last_ns,
  in_tok, out_tok, cost, success)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: delete_session
DELETE FROM sessions WHERE id = ?;

-- name: insert_log
INSERT INTO logs (time_ns, trace_id, span_id, severity, service, res_id, data) VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: insert_metric
INSERT INTO metric_points (name, service, attr_hash, time_ns, res_id, data) VALUES (?, ?, ?, ?, ?, ?);

-- name: prev_metric
SELECT data FROM metric_points
WHERE name = ? AND service = ? AND attr_hash = ? AND time_ns < ?
ORDER BY time_ns DESC LIMIT 1;

-- name: select_rollup_group
SELECT id FROM genai_groups WHERE service = ? AND operation = ? AND model = ? AND provider = ? AND source = ?;

-- name: insert_rollup_group
INSERT INTO genai_groups (service, operation, model, provider, source) VALUES (?, ?, ?, ?, ?);

-- name: select_rollup
SELECT mask, totals, minutes FROM genai_rollups WHERE id = ?;

-- name: replace_rollup
INSERT OR REPLACE INTO genai_rollups (id, mask, totals, minutes) VALUES (?, ?, ?, ?);

-- name: delete_rollup
DELETE FROM genai_rollups WHERE id = ?;

-- name: rollups_between
SELECT id, minutes FROM genai_rollups WHERE id >= ? AND id < ?;

-- name: bound_docs
-- Text search bounds (text.go): the documents added after ?1 whose trace has a summary bound
-- their block by that trace's start.
INSERT INTO fts_blocks (block, max_start)
SELECT d.id >> 6, max(t.start_ns) FROM fts_docs d JOIN traces t ON t.seq = d.seq WHERE d.id > ?1 GROUP BY 1
ON CONFLICT (block) DO UPDATE SET max_start = max(max_start, excluded.max_start);

-- name: unbound_docs
SELECT d.id, d.seq FROM fts_docs d WHERE d.id > ? AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.seq = d.seq);

-- name: insert_pending
INSERT OR IGNORE INTO fts_pending (seq, doc, trace_id) VALUES (?, ?, ?);

-- name: any_pending
SELECT EXISTS (SELECT 1 FROM fts_pending);

-- name: bound_pending
-- ?1: a JSON array of the seqs a transaction touched.
INSERT INTO fts_blocks (block, max_start)
SELECT p.doc >> 6, max(t.start_ns) FROM json_each(?1) j CROSS JOIN fts_pending p ON p.seq = j.value
  JOIN traces t ON t.seq = p.seq GROUP BY 1
ON CONFLICT (block) DO UPDATE SET max_start = max(max_start, excluded.max_start);

-- name: delete_bound_pending
DELETE FROM fts_pending WHERE seq IN (SELECT value FROM json_each(?1))
  AND EXISTS (SELECT 1 FROM traces t WHERE t.seq = fts_pending.seq);

-- name: delete_orphan_fts_docs
-- Documents of traces without a summary whose log records are all gone (Retain); the indexer
-- deletes the returned ids from text.db.
DELETE FROM fts_docs WHERE id IN (SELECT p.doc FROM fts_pending p
  WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.trace_id = p.trace_id)
    AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.seq = p.seq))
RETURNING id;

-- name: delete_orphan_pending
DELETE FROM fts_pending
WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.trace_id = fts_pending.trace_id)
  AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.seq = fts_pending.seq);

-- name: delete_old_fts_blocks
DELETE FROM fts_blocks WHERE block < (SELECT min(id) FROM fts_docs) >> 6;

-- name: add_counter
UPDATE counters SET value = value + ? WHERE name = ?;

-- name: oldest_traces
SELECT seq, trace_id, session FROM traces WHERE start_ns < ? ORDER BY start_ns LIMIT ?;

-- name: delete_trace_spans
DELETE FROM spans WHERE seq = ?;

-- name: delete_trace_logs
DELETE FROM logs WHERE trace_id = ?;

-- name: delete_trace_fts_docs
DELETE FROM fts_docs WHERE seq = ? RETURNING id;

-- name: delete_trace
DELETE FROM traces WHERE seq = ?;

-- name: delete_trace_id
DELETE FROM trace_ids WHERE trace_id = ?;

-- name: old_log_only_traces
-- Trace ids whose log records retention is about to delete and that have no summary (no span
-- arrived): their trace_ids rows may be left with nothing (delete_orphan_trace_id).
SELECT DISTINCT l.trace_id FROM logs l WHERE l.time_ns < ?1 AND l.trace_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM trace_ids i JOIN traces t ON t.seq = i.seq WHERE i.trace_id = l.trace_id);

-- name: delete_old_logs
DELETE FROM logs WHERE time_ns < ?;

-- name: delete_orphan_trace_id
DELETE FROM trace_ids WHERE trace_id = ?1
  AND NOT EXISTS (SELECT 1 FROM traces t WHERE t.seq = trace_ids.seq)
  AND NOT EXISTS (SELECT 1 FROM logs l WHERE l.trace_id = ?1);

-- name: delete_old_metrics
DELETE FROM metric_points WHERE time_ns < ?;

-- name: delete_old_rollups
-- The hours wholly before a cutoff: ids below the cutoff's hour << 32 (rollup.go prunes that hour).
DELETE FROM genai_rollups WHERE id < ?;

-- name: trace_start_quantile
SELECT start_ns FROM traces ORDER BY start_ns LIMIT 1 OFFSET ?;

-- name: oldest_item
SELECT min(t) FROM (SELECT min(start_ns) AS t FROM traces UNION ALL SELECT min(time_ns) FROM logs
  UNION ALL SELECT min(time_ns) FROM metric_points UNION ALL
  SELECT min((id >> 32) * 3600000000000 + 60000000000 * CAST(log2(mask & -mask) AS INTEGER)) FROM genai_rollups
  WHERE id < ((SELECT min(id) FROM genai_rollups) >> 32) * 4294967296 + 4294967296);
