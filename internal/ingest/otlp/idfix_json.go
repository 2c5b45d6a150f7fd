package otlp

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// jsonID is one id field in OTLP/JSON: both spellings pdata accepts, its name for messages and
// its size in bytes (hex-encoded in JSON).
type jsonID struct {
	camel, snake, name string
	size               int
}

var (
	spanJSONIDs = []jsonID{{"traceId", "trace_id", "trace id", 16}, {"spanId", "span_id", "span id", 8},
		{"parentSpanId", "parent_span_id", "parent span id", 8}}
	linkJSONIDs = spanJSONIDs[:2]
)

// decodeGenericJSON parses body into a generic object, keeping numbers as written (int64s as
// JSON numbers must survive re-encoding exactly).
func decodeGenericJSON(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil {
		return nil, err
	}
	return top, nil
}

// jsonList returns obj[camel] (or obj[snake]) as a list of objects, skipping non-objects.
func jsonList(obj map[string]any, camel, snake string) []map[string]any {
	v, ok := obj[camel]
	if !ok {
		v = obj[snake]
	}
	arr, _ := v.([]any)
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// checkJSONIDs lists the ids of obj that pdata would refuse: not a string, or a non-empty
// string that is not hex of the right length. With fix set it empties them ("" is no id).
func checkJSONIDs(obj map[string]any, ids []jsonID, fix bool) []string {
	var problems []string
	for _, id := range ids {
		for _, key := range []string{id.camel, id.snake} {
			v, ok := obj[key]
			if !ok {
				continue
			}
			if p := jsonIDProblem(v, id); p != "" {
				problems = append(problems, p)
				if fix {
					obj[key] = ""
				}
			}
		}
	}
	return problems
}

func jsonIDProblem(v any, id jsonID) string {
	s, ok := v.(string)
	switch {
	case !ok:
		return fmt.Sprintf("%s is not a string", id.name)
	case s == "":
		return ""
	case len(s) != 2*id.size:
		return fmt.Sprintf("%s has %d hex characters; want %d", id.name, len(s), 2*id.size)
	}
	if _, err := hex.DecodeString(s); err != nil {
		return fmt.Sprintf("%s is not hex", id.name)
	}
	return ""
}

// walkJSONItems calls visit for every item (span, log record, metric) in document order.
func walkJSONItems(top map[string]any, keys [3][2]string, visit func(item map[string]any)) {
	for _, rs := range jsonList(top, keys[0][0], keys[0][1]) {
		for _, ss := range jsonList(rs, keys[1][0], keys[1][1]) {
			for _, item := range jsonList(ss, keys[2][0], keys[2][1]) {
				visit(item)
			}
		}
	}
}

// fixTracesJSON is fixTracesProto for OTLP/JSON.
func fixTracesJSON(body []byte) ([]byte, *idFixes, error) {
	top, err := decodeGenericJSON(body)
	if err != nil {
		return nil, nil, err
	}
	fixes := &idFixes{}
	ord := 0
	keys := [3][2]string{{"resourceSpans", "resource_spans"}, {"scopeSpans", "scope_spans"}, {"spans", "spans"}}
	walkJSONItems(top, keys, func(span map[string]any) {
		if p := checkJSONIDs(span, spanJSONIDs, true); len(p) > 0 {
			fixes.mark(ord, joinProblems(p))
		}
		ord++
		links, ok := span["links"].([]any)
		if !ok {
			return
		}
		kept := links[:0]
		for _, l := range links {
			if m, ok := l.(map[string]any); ok && len(checkJSONIDs(m, linkJSONIDs, false)) > 0 {
				fixes.linksDropped++
				fixes.changed = true
				continue
			}
			kept = append(kept, l)
		}
		span["links"] = kept
	})
	return reencode(top, fixes)
}

// fixLogsJSON is fixLogsProto for OTLP/JSON.
func fixLogsJSON(body []byte) ([]byte, *idFixes, error) {
	top, err := decodeGenericJSON(body)
	if err != nil {
		return nil, nil, err
	}
	fixes := &idFixes{}
	ord := 0
	keys := [3][2]string{{"resourceLogs", "resource_logs"}, {"scopeLogs", "scope_logs"}, {"logRecords", "log_records"}}
	walkJSONItems(top, keys, func(rec map[string]any) {
		if p := checkJSONIDs(rec, linkJSONIDs, true); len(p) > 0 {
			fixes.mark(ord, joinProblems(p))
			for _, id := range linkJSONIDs { // unlink entirely: a span id alone means nothing
				rec[id.camel], rec[id.snake] = "", ""
			}
		}
		ord++
	})
	return reencode(top, fixes)
}

// fixMetricsJSON is fixMetricsProto for OTLP/JSON.
func fixMetricsJSON(body []byte) ([]byte, *idFixes, error) {
	top, err := decodeGenericJSON(body)
	if err != nil {
		return nil, nil, err
	}
	fixes := &idFixes{}
	keys := [3][2]string{{"resourceMetrics", "resource_metrics"}, {"scopeMetrics", "scope_metrics"}, {"metrics", "metrics"}}
	walkJSONItems(top, keys, func(metric map[string]any) {
		for _, kind := range [][2]string{{"gauge", "gauge"}, {"sum", "sum"}, {"histogram", "histogram"},
			{"exponentialHistogram", "exponential_histogram"}} {
			data, ok := metric[kind[0]].(map[string]any)
			if !ok {
				data, _ = metric[kind[1]].(map[string]any)
			}
			for _, dp := range jsonList(data, "dataPoints", "data_points") {
				for _, ex := range jsonList(dp, "exemplars", "exemplars") {
					if len(checkJSONIDs(ex, linkJSONIDs, true)) > 0 {
						fixes.exemplarsFixed++
						fixes.changed = true
					}
				}
			}
		}
	})
	return reencode(top, fixes)
}

func reencode(top map[string]any, fixes *idFixes) ([]byte, *idFixes, error) {
	if !fixes.changed {
		return nil, fixes, nil
	}
	out, err := json.Marshal(top)
	return out, fixes, err
}
