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
