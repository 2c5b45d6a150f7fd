package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/store/sqlite"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// base is the fixtures' reference time: recent, so the dashboard's default last hour holds it.
var base = time.Now().Add(-10 * time.Minute).Truncate(time.Minute)

func ns(d time.Duration) int64 { return base.Add(d).UnixNano() }

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

func tid(n int) telemetry.TraceID {
	return telemetry.TraceID{0xca, 0xfe, 14: byte(n >> 8), 15: byte(n)}
}

func sid(n int) telemetry.SpanID {
	return telemetry.SpanID{0x5b, 6: byte(n >> 8), 7: byte(n)}
}

func res(service string) *telemetry.Resource {
	return &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": service, "host.cpus": int64(8)}}
}

// The fixture's ids and content, for assertions.
var (
	chatTrace  = tid(1)
	errTrace   = tid(2)
	rootSpan   = sid(10)
	chatSpan   = sid(11)
	xssPrompt  = "Recommend a hike <script>alert(1)</script>"
	pagedCount = 25
)

// fixture returns the test data: a GenAI trace (root + chat span with a generation, content and
// linked and orphan log records), an error trace in the same session, pagedCount one-span traces
// of service "pager", and metric points.
func fixture() *telemetry.Batch {
	tg := res("trail-guide")
	root := &telemetry.Span{
		TraceID: chatTrace, SpanID: rootSpan, Name: "trail_guide_session", Kind: telemetry.SpanKindServer,
		StartUnixNano: ns(0), EndUnixNano: ns(100 * time.Millisecond), Resource: tg,
		Attributes: telemetry.Attributes{"http.route": "/hike"}, Status: telemetry.Status{Code: telemetry.StatusOK},
		SessionID: "session_1", UserID: "user_1",
	}
	chat := &telemetry.Span{
		TraceID: chatTrace, SpanID: chatSpan, ParentSpanID: rootSpan, Name: "chat gpt-4o", Kind: telemetry.SpanKindClient,
		StartUnixNano: ns(10 * time.Millisecond), EndUnixNano: ns(60 * time.Millisecond), Resource: tg,
		Scope: telemetry.Scope{Name: "openai", Version: "1.2.3"},
		Attributes: telemetry.Attributes{
			"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": int64(30), "big": int64(1) << 60,
			"ratio": 0.5, "stream": true, "raw": []byte{1, 2, 255}, "list": []any{"a", int64(2)},
			"map": map[string]any{"k": "v"},
		},
		Events: []telemetry.Event{{TimeUnixNano: ns(20 * time.Millisecond), Name: "exception",
			Attributes: telemetry.Attributes{"exception.type": "ValueError"}}},
		Links:     []telemetry.Link{{TraceID: errTrace, SpanID: sid(20), Attributes: telemetry.Attributes{"link.kind": "follows"}}},
		Truncated: map[string]int{"prompt.user": 2097152},
		SessionID: "session_1", UserID: "user_1",
		Generation: &telemetry.Generation{
			Operation: "chat", Provider: "openai", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
			ResponseID: "chatcmpl-1", Convention: "otel_genai",
			Usage:   telemetry.Usage{InputTokens: i64(30), OutputTokens: i64(16), TotalTokens: i64(46)},
			CostUSD: f64(0.000235), FinishReasons: []string{"stop"}, Params: map[string]any{"temperature": 0.7},
			ContentRecorded: true,
			InputMessages:   []telemetry.Message{{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: xssPrompt}}}},
			OutputMessages: []telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{
				{Type: "text", Content: "Skyline Trail"},
				{Type: "tool_call", ID: "call_1", Name: "get_weather", Arguments: map[string]any{"city": "Paris"}}}}},
		},
	}
	errSpan := &telemetry.Span{
		TraceID: errTrace, SpanID: sid(20), Name: "chat claude", Kind: telemetry.SpanKindClient,
		StartUnixNano: ns(time.Minute), EndUnixNano: ns(time.Minute + 2*time.Second), Resource: res("weather"),
		Status:    telemetry.Status{Code: telemetry.StatusError, Message: "rate limited"},
		SessionID: "session_1", UserID: "user_1",
		Generation: &telemetry.Generation{Operation: "chat", Provider: "anthropic", RequestModel: "claude-x",
			Usage: telemetry.Usage{InputTokens: i64(5)}, ErrorType: "429"},
	}
	b := &telemetry.Batch{Spans: []*telemetry.Span{chat, root, errSpan}}
	for i := range pagedCount {
		b.Spans = append(b.Spans, &telemetry.Span{
			TraceID: tid(100 + i), SpanID: sid(1000 + i), Name: "tick", Kind: telemetry.SpanKindInternal,
			StartUnixNano: ns(2*time.Minute + time.Duration(i)*time.Second), EndUnixNano: ns(2*time.Minute + time.Duration(i)*time.Second + time.Millisecond),
			Resource: res("pager"),
		})
	}
	b.Logs = []*telemetry.LogRecord{
		{TimeUnixNano: ns(11 * time.Millisecond), TraceID: chatTrace, SpanID: chatSpan, SeverityNumber: 9,
			SeverityText: "INFO", EventName: "gen_ai.user.message", Body: map[string]any{"content": xssPrompt},
			Attributes: telemetry.Attributes{"gen_ai.system": "openai"}, Resource: tg, Truncated: map[string]int{"body": 99}},
		{TimeUnixNano: ns(12 * time.Millisecond), TraceID: chatTrace, SpanID: sid(99), Body: "span never arrived", Resource: tg},
		{TimeUnixNano: ns(13 * time.Millisecond), TraceID: chatTrace, Body: "trace-level log", Resource: tg},
	}
	b.Metrics = []*telemetry.MetricPoint{
		{Name: "app.token.usage", Unit: "{token}", Type: telemetry.MetricHistogram, Temporality: "delta",
			StartTimeUnixNano: ns(-time.Minute), TimeUnixNano: ns(0), Count: 3, Sum: 90, Min: f64(10), Max: f64(50),
			BucketCounts: []uint64{0, 1, 2}, ExplicitBounds: []float64{1, 4},
			Attributes: telemetry.Attributes{"gen_ai.token.type": "input"}, Resource: tg},
		{Name: "app.token.usage", Unit: "{token}", Type: telemetry.MetricHistogram, Temporality: "delta",
			TimeUnixNano: ns(0), Count: 1, Sum: 16, BucketCounts: []uint64{0, 1}, ExplicitBounds: []float64{20},
			Attributes: telemetry.Attributes{"gen_ai.token.type": "output"}, Resource: tg},
	}
	return b
}

// openStore opens a real SQLite store holding the fixture.
func openStore(t testing.TB, b *telemetry.Batch) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	if b != nil {
		if err := s.Write(context.Background(), b); err != nil {
			t.Fatalf("write fixture: %v", err)
		}
	}
	return s
}

// newTestAPI serves the fixture from a real store.
func newTestAPI(t testing.TB, cfg Config) http.Handler {
	t.Helper()
	return New(cfg, openStore(t, fixture()), slog.New(slog.DiscardHandler))
}

// response is one answer: status, headers, raw body and the body decoded as generic JSON.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func get(t testing.TB, h http.Handler, path string, header ...string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Result().Body)
	r := response{status: rec.Code, header: rec.Header(), raw: string(raw)}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("GET %s: status %d, body is not a JSON object (%v): %.300s", path, rec.Code, err, raw)
	}
	return r
}

// okGet is get asserting a 200.
func okGet(t testing.TB, h http.Handler, path string) map[string]any {
	t.Helper()
	r := get(t, h, path)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, r.status, r.raw)
	}
	return r.body
}

// list and obj walk generic JSON, failing the test on a shape mismatch.
func list(t testing.TB, v any, what string) []any {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%s is %T (%v); want a JSON array", what, v, v)
	}
	return l
}

func obj(t testing.TB, v any, what string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T (%v); want a JSON object", what, v, v)
	}
	return m
}
