-- Fixed statements of the write path, loaded by name (see queries.go).

-- name: select_seq
SELECT seq FROM trace_ids WHERE trace_id = ?;

-- name: insert_seq
INSERT INTO trace_ids (trace_id, seq) VALUES (?, ?);

-- name: max_seq
SELECT coalesce(max(seq), 0) FROM trace_ids;

-- name: max_doc
SELECT coalesce(max(id), 0) FROM fts_docs;

-- name: insert_span
INSERT OR IGNORE INTO spans (seq, span_id, parent_id, start_ns, end_ns, service, name, kind, status,
  model, in_tok, out_tok, session, res_id, attrs, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: insert_resource
INSERT OR IGNORE INTO resources (id, data) VALUES (?, ?);

-- name: insert_fts_doc
INSERT INTO fts_docs (id, seq) VALUES (?, ?);

-- name: insert_fts
INSERT INTO fts (rowid, body) VALUES (?, ?);

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

-- name: session_agg
SELECT count(*), total(error_count > 0), total(gen_count), min(start_ns), max(end_ns), total(in_tok),
  total(out_tok), sum(cost),
  (SELECT root_service FROM traces WHERE session = ?1 AND session <> '' ORDER BY start_ns LIMIT 1),
  (SELECT user_id FROM traces WHERE session = ?1 AND session <> '' AND user_id <> '' ORDER BY start_ns LIMIT 1),
  (SELECT success FROM traces WHERE session = ?1 AND session <> '' AND success IS NOT NULL ORDER BY success_ns DESC LIMIT 1)
FROM traces WHERE session = ?1 AND session <> '';

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

-- name: select_rollup
SELECT calls, errors, in_tok, out_tok, cost, cost_n, hist FROM genai_rollups
WHERE minute_ns = ? AND service = ? AND operation = ? AND model = ? AND provider = ? AND source = ?;

-- name: replace_rollup
INSERT OR REPLACE INTO genai_rollups (minute_ns, service, operation, model, provider, source, calls, errors,
  in_tok, out_tok, cost, cost_n, hist)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: add_counter
UPDATE counters SET value = value + ? WHERE name = ?;

-- name: oldest_traces
SELECT seq, trace_id, session FROM traces WHERE start_ns < ? ORDER BY start_ns LIMIT ?;

-- name: delete_trace_spans
DELETE FROM spans WHERE seq = ?;

-- name: delete_trace_logs
DELETE FROM logs WHERE trace_id = ?;

-- name: delete_trace_fts
DELETE FROM fts WHERE rowid IN (SELECT id FROM fts_docs WHERE seq = ?);

-- name: delete_trace_fts_docs
DELETE FROM fts_docs WHERE seq = ?;

-- name: delete_trace
DELETE FROM traces WHERE seq = ?;

-- name: delete_trace_id
DELETE FROM trace_ids WHERE trace_id = ?;

-- name: delete_old_logs
DELETE FROM logs WHERE time_ns < ?;

-- name: delete_old_metrics
DELETE FROM metric_points WHERE time_ns < ?;

-- name: delete_old_rollups
DELETE FROM genai_rollups WHERE minute_ns < ?;

-- name: trace_start_quantile
SELECT start_ns FROM traces ORDER BY start_ns LIMIT 1 OFFSET ?;

-- name: oldest_item
SELECT min(t) FROM (SELECT min(start_ns) AS t FROM traces UNION ALL SELECT min(time_ns) FROM logs
  UNION ALL SELECT min(time_ns) FROM metric_points UNION ALL SELECT min(minute_ns) FROM genai_rollups);
