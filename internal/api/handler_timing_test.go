package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// bigTrace is a 100-span trace: a root, and 99 children of which every third is a model call
// with content and a linked log record, like an agent loop.
func bigTrace() *telemetry.Batch {
	id := tid(7000)
	r := res("agent")
	b := &telemetry.Batch{}
	for i := range 100 {
		s := &telemetry.Span{
			TraceID: id, SpanID: sid(7000 + i), Name: fmt.Sprintf("step %d", i), Kind: telemetry.SpanKindInternal,
			StartUnixNano: ns(time.Duration(i) * time.Millisecond), EndUnixNano: ns(time.Duration(i+5) * time.Millisecond),
			Resource: r, Scope: telemetry.Scope{Name: "agent", Version: "1"},
			Attributes: telemetry.Attributes{"step": int64(i), "tool": "search", "ok": true, "score": 0.5},
		}
		if i > 0 {
			s.ParentSpanID = sid(7000)
		}
		if i%3 == 1 {
			s.Name, s.Kind = "chat gpt-4o", telemetry.SpanKindClient
			s.Generation = &telemetry.Generation{Operation: "chat", Provider: "openai", RequestModel: "gpt-4o",
				Usage: telemetry.Usage{InputTokens: i64(300), OutputTokens: i64(120)}, CostUSD: f64(0.002), ContentRecorded: true,
				InputMessages: []telemetry.Message{{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: fmt.Sprintf("question %d about trails near Paris, with some context to make it longer", i)}}}},
				OutputMessages: []telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{
					{Type: "text", Content: "Skyline Trail: 5 km along the ridge, with views of the valley."},
					{Type: "tool_call", ID: "call_1", Name: "get_weather", Arguments: map[string]any{"city": "Paris"}}}}}}
			b.Logs = append(b.Logs, &telemetry.LogRecord{TimeUnixNano: s.StartUnixNano, TraceID: id, SpanID: s.SpanID,
				EventName: "gen_ai.user.message", Body: map[string]any{"content": "question"}, Resource: r})
		}
		b.Spans = append(b.Spans, s)
	}
	return b
}

// BenchmarkGetTrace measures GET /api/v1/traces/{id} for a 100-span trace from a real store:
// the store read, log linking, rendering and JSON encoding.
func BenchmarkGetTrace(b *testing.B) {
	h := New(Config{}, openStore(b, bigTrace()), nil)
	path := "/api/v1/traces/" + tid(7000).String()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	}
}

// BenchmarkRenderTrace measures the API's own share: linking, rendering and encoding a trace
// already read, without the store.
func BenchmarkRenderTrace(b *testing.B) {
	st := openStore(b, bigTrace())
	tr, err := st.GetTrace(b.Context(), tid(7000))
	if err != nil {
		b.Fatal(err)
	}
	s := &server{}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.writeJSON(rec, req, http.StatusOK, renderTrace(tr, nil))
	}
}

// evalTrace is shaped like ui/e2e/seed.mjs's benchmark trace: a root, then cases of 1 + 9 steps
// (one failing step per 100 cases), n spans in all, with one resource and scope.
func evalTrace(n int) *telemetry.Batch {
	id := tid(8000)
	r := &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": "eval-runner", "telemetry.sdk.language": "nodejs"}}
	scope := telemetry.Scope{Name: "cairn-e2e", Version: "1.0.0"}
	span := func(spanID, parent telemetry.SpanID, name string, start, end time.Duration, attrs telemetry.Attributes) *telemetry.Span {
		return &telemetry.Span{TraceID: id, SpanID: spanID, ParentSpanID: parent, Name: name, Kind: telemetry.SpanKindInternal,
			StartUnixNano: ns(start), EndUnixNano: ns(end), Resource: r, Scope: scope, Attributes: attrs}
	}
	b := &telemetry.Batch{}
	nextID := 0
	newID := func() telemetry.SpanID {
		nextID++
		return telemetry.SpanID{0x5c, 4: byte(nextID >> 16), 5: byte(nextID >> 8), 7: byte(nextID)}
	}
	root := newID()
	b.Spans = append(b.Spans, span(root, telemetry.SpanID{}, "batch_eval", 0, 20*time.Second, nil))
	for i := 0; len(b.Spans) < n; i++ {
		caseID, cs := newID(), time.Duration(i)*20*time.Millisecond
		b.Spans = append(b.Spans, span(caseID, root, "evaluate_case", cs, cs+18*time.Millisecond, telemetry.Attributes{"case.index": int64(i)}))
		for k := 0; k < 9 && len(b.Spans) < n; k++ {
			s := span(newID(), caseID, fmt.Sprintf("step %d", k), cs+time.Duration(k)*2*time.Millisecond,
				cs+time.Duration(k)*2*time.Millisecond+1500*time.Microsecond, telemetry.Attributes{"step.index": int64(k)})
			if k == 8 && i%100 == 0 {
				s.Status = telemetry.Status{Code: telemetry.StatusError, Message: "assertion failed"}
			}
			b.Spans = append(b.Spans, s)
		}
	}
	return b
}

// BenchmarkGetTrace10k measures GET /api/v1/traces/{id} for the UI benchmark's 10,000-span
// trace, full and compact, from a real store, the response written to nowhere (as to a
// connection: the benchmark of the API's work, not of a recorder's growing buffer).
func BenchmarkGetTrace10k(b *testing.B) {
	h := New(Config{}, openStore(b, evalTrace(10_000)), nil)
	path := "/api/v1/traces/" + tid(8000).String()
	for _, view := range []string{"full", "compact"} {
		b.Run("view="+view, func(b *testing.B) {
			url := path + "?view=" + view
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
			}
			b.SetBytes(int64(rec.Body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(discard{}, httptest.NewRequest(http.MethodGet, url, nil))
			}
		})
	}
}

// discard is a ResponseWriter that keeps nothing, as a network connection would not.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// BenchmarkStoreGetTrace10k is the store's share of BenchmarkGetTrace10k: GetTrace alone.
func BenchmarkStoreGetTrace10k(b *testing.B) {
	st := openStore(b, evalTrace(10_000))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.GetTrace(b.Context(), tid(8000)); err != nil {
			b.Fatal(err)
		}
	}
}
