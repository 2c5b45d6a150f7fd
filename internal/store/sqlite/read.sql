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
SELECT minute_ns, service, operation, model, provider, source, calls, errors, in_tok, out_tok, cost, cost_n, hist
FROM genai_rollups WHERE minute_ns >= ? AND minute_ns < ?;

-- name: counters
SELECT name, value FROM counters;
