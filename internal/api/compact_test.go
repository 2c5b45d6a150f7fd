package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// decodeNumbers decodes JSON with exact numbers (int64 attributes survive).
func decodeNumbers(t *testing.T, raw string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %.300s: %v", raw, err)
	}
	return v
}

// expandCompact rebuilds the full form from the compact one, by docs/api.md's rules (what the
// UI does for the span it shows).
func expandCompact(t *testing.T, c map[string]any) map[string]any {
	t.Helper()
	summary := obj(t, c["summary"], "summary")
	base, ok := new(big.Int).SetString(c["baseUnixNano"].(string), 10)
	if !ok {
		t.Fatalf("baseUnixNano %v", c["baseUnixNano"])
	}
	at := func(off any) (string, string) {
		n, err := off.(json.Number).Int64()
		if err != nil {
			t.Fatalf("offset %v: %v", off, err)
		}
		abs := new(big.Int).Add(base, big.NewInt(n)).Int64()
		return fmtTime(abs), fmtNano(abs)
	}
	or := func(v, def any) any {
		if v == nil {
			return def
		}
		return v
	}
	resources := list(t, c["resources"], "resources")
	resource := func(i any) map[string]any {
		n, _ := i.(json.Number).Int64()
		return obj(t, resources[n], "resource")
	}
	scopes := list(t, c["scopes"], "scopes")
	log := func(l map[string]any, traceID, spanID string) map[string]any {
		tm, tn := at(l["time"])
		return map[string]any{"time": tm, "timeUnixNano": tn, "traceId": or(l["traceId"], traceID), "spanId": or(l["spanId"], spanID),
			"severityNumber": or(l["severityNumber"], json.Number("0")), "severityText": or(l["severityText"], ""),
			"eventName": or(l["eventName"], ""), "body": l["body"], "attributes": or(l["attributes"], map[string]any{}),
			"resource": resource(l["resource"])["attributes"], "truncated": or(l["truncated"], map[string]any{})}
	}
	var spans []any
	for _, x := range list(t, c["spans"], "spans") {
		s := obj(t, x, "span")
		st, sn := at(s["start"])
		et, en := at(s["end"])
		start, _ := s["start"].(json.Number).Int64()
		end, _ := s["end"].(json.Number).Int64()
		events := []any{}
		for _, e := range list(t, or(s["events"], []any{}), "events") {
			e := obj(t, e, "event")
			tm, tn := at(e["time"])
			events = append(events, map[string]any{"name": e["name"], "time": tm, "timeUnixNano": tn, "attributes": or(e["attributes"], map[string]any{})})
		}
		logs := []any{}
		for _, l := range list(t, or(s["logs"], []any{}), "logs") {
			logs = append(logs, log(obj(t, l, "log"), summary["traceId"].(string), s["spanId"].(string)))
		}
		n, _ := s["scope"].(json.Number).Int64()
		spans = append(spans, map[string]any{
			"traceId":       summary["traceId"],
			"spanId":        s["spanId"],
			"parentSpanId":  or(s["parentSpanId"], ""),
			"name":          s["name"],
			"kind":          or(s["kind"], "unspecified"),
			"service":       resource(s["resource"])["service"],
			"startTime":     st,
			"startUnixNano": sn,
			"endTime":       et,
			"endUnixNano":   en,
			"durationMs":    json.Number(fmt.Sprint(float64(max(0, end-start)) / 1e6)),
			"status":        or(s["status"], map[string]any{"code": "unset", "message": ""}),
			"attributes":    or(s["attributes"], map[string]any{}),
			"resource":      resource(s["resource"])["attributes"],
			"scope":         scopes[n],
			"events":        events,
			"links":         or(s["links"], []any{}),
			"logs":          logs,
			"truncated":     or(s["truncated"], map[string]any{}),
			"sessionId":     or(s["sessionId"], ""),
			"userId":        or(s["userId"], ""),
			"generation":    s["generation"],
		})
	}
	orphans := []any{}
	for _, l := range list(t, c["orphanLogs"], "orphanLogs") {
		orphans = append(orphans, log(obj(t, l, "orphan"), "", ""))
	}
	return map[string]any{"summary": summary, "spans": or(spans, []any{}), "orphanLogs": orphans}
}

// normalise re-encodes generic JSON so that equal documents compare equal (json.Number
// spellings such as 50 and 50.0 included).
func normalise(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	b, _ = json.MarshalIndent(out, "", " ")
	return string(b)
}

// TestCompactTraceIsLossless: expanding the compact form by docs/api.md's rules gives back the
// full form exactly, for a trace with every kind of field, a trace of one span and the
// benchmark's large trace; and the compact form is much smaller.
func TestCompactTraceIsLossless(t *testing.T) {
	b := fixture()
	b.Spans = append(b.Spans, evalTrace(2000).Spans...)
	h := New(Config{}, openStore(t, b), nil)
	f := func(id telemetry.TraceID, maxRatio float64) {
		t.Helper()
		full := get(t, h, "/api/v1/traces/"+id.String())
		compact := get(t, h, "/api/v1/traces/"+id.String()+"?view=compact")
		if full.status != http.StatusOK || compact.status != http.StatusOK {
			t.Fatalf("%s: status %d and %d", id, full.status, compact.status)
		}
		want := normalise(t, decodeNumbers(t, full.raw))
		got := normalise(t, expandCompact(t, decodeNumbers(t, compact.raw)))
		if got != want {
			t.Errorf("%s: the compact form expanded differs from the full form:\n%s\nwant\n%s", id, got, want)
		}
		if ratio := float64(len(compact.raw)) / float64(len(full.raw)); ratio > maxRatio {
			t.Errorf("%s: compact %d bytes, full %d (%.2f); want at most %.2f", id, len(compact.raw), len(full.raw), ratio, maxRatio)
		}
		if ct := compact.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("compact Content-Type %q", ct)
		}
	}
	f(chatTrace, 0.9)
	f(errTrace, 0.9)
	f(tid(8000), 0.4)
}

// TestCompactTraceShape pins what the compact form leaves out and how it refers to its tables.
func TestCompactTraceShape(t *testing.T) {
	h := newTestAPI(t, Config{})
	c := okGet(t, h, "/api/v1/traces/"+chatTrace.String()+"?view=compact")
	if c["baseUnixNano"] != fmt.Sprint(ns(0)) {
		t.Errorf("baseUnixNano %v; want the root's start %d", c["baseUnixNano"], ns(0))
	}
	if got := fmt.Sprint(c["resources"]); got != "[map[attributes:map[host.cpus:8 service.name:trail-guide] service:trail-guide]]" {
		t.Errorf("resources %s; want the one shared resource", got)
	}
	root := obj(t, list(t, c["spans"], "spans")[0], "root")
	want := map[string]any{"spanId": rootSpan.String(), "name": "trail_guide_session", "kind": "server", "start": 0.0, "end": 1e8,
		"status": map[string]any{"code": "ok", "message": ""}, "attributes": map[string]any{"http.route": "/hike"},
		"resource": 0.0, "scope": 0.0, "sessionId": "session_1", "userId": "user_1"}
	if !reflect.DeepEqual(root, want) {
		t.Errorf("root span %v\nwant %v (no empty lists, maps or ids, no trace id, offsets in ns)", root, want)
	}
	chat := obj(t, list(t, c["spans"], "spans")[1], "chat")
	if l := obj(t, list(t, chat["logs"], "logs")[0], "log"); l["traceId"] != nil || l["spanId"] != nil || l["time"] != float64(11*time.Millisecond) {
		t.Errorf("a span's log %v: want no ids and the offset 11 ms", l)
	}
	if o := obj(t, list(t, c["orphanLogs"], "orphans")[0], "orphan"); o["spanId"] != sid(99).String() || o["traceId"] != chatTrace.String() {
		t.Errorf("orphan %v: want its ids", o)
	}
	// An empty trace: every list present.
	s := &server{}
	rec := httptest.NewRecorder()
	s.writeStream(rec, httptest.NewRequest(http.MethodGet, "/", nil), newCompactTrace(prepareTrace(&store.Trace{}, nil)))
	if got := rec.Body.String(); !strings.Contains(got, `"resources":[],"scopes":[],"spans":[],"orphanLogs":[]}`) {
		t.Errorf("empty compact trace %s", got)
	}
}

// TestFullTraceStreamMatchesRender: the streamed full form is the document renderTrace builds.
func TestFullTraceStreamMatchesRender(t *testing.T) {
	st := openStore(t, fixture())
	tr, err := st.GetTrace(t.Context(), chatTrace)
	if err != nil {
		t.Fatal(err)
	}
	want := encode(t, renderTrace(tr, nil))
	tr, _ = st.GetTrace(t.Context(), chatTrace)
	rec := httptest.NewRecorder()
	(&server{}).writeStream(rec, httptest.NewRequest(http.MethodGet, "/", nil), fullTrace{prepareTrace(tr, nil)})
	if got := strings.TrimSpace(rec.Body.String()); got != want {
		t.Errorf("streamed\n%s\nwant\n%s", got, want)
	}
	if rec.Header().Get("Content-Length") != "" || !bytes.HasSuffix(rec.Body.Bytes(), []byte("}\n")) {
		t.Errorf("streamed answer: Content-Length %q, ends %q", rec.Header().Get("Content-Length"), rec.Body.Bytes()[rec.Body.Len()-2:])
	}
}
