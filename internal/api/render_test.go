package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

func encode(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return strings.TrimSpace(buf.String())
}

func TestFmtTime(t *testing.T) {
	f := func(ns int64, want string) {
		t.Helper()
		if got := fmtTime(ns); got != want {
			t.Errorf("fmtTime(%d) = %s; want %s", ns, got, want)
		}
	}
	f(0, "1970-01-01T00:00:00.000000000Z")
	f(1795362649713000000, "2026-11-22T15:50:49.713000000Z")
	f(1795362649713000001, "2026-11-22T15:50:49.713000001Z")
}

func TestRenderAttrsValues(t *testing.T) {
	f := func(a telemetry.Attributes, want string) {
		t.Helper()
		if got := encode(t, renderAttrs(a)); got != want {
			t.Errorf("renderAttrs(%v) = %s; want %s", a, got, want)
		}
	}
	f(nil, `{}`)
	f(telemetry.Attributes{"i": int64(math.MaxInt64)}, `{"i":9223372036854775807}`)
	f(telemetry.Attributes{"b": []byte("hi")}, `{"b":"aGk="}`)
	f(telemetry.Attributes{"f": 0.25, "t": true, "s": "x"}, `{"f":0.25,"s":"x","t":true}`)
	f(telemetry.Attributes{"nan": math.NaN(), "inf": math.Inf(1), "ninf": math.Inf(-1)},
		`{"inf":"Infinity","nan":"NaN","ninf":"-Infinity"}`)
	f(telemetry.Attributes{"l": []any{1.5, math.NaN()}, "m": map[string]any{"x": math.Inf(1), "y": int64(1)}},
		`{"l":[1.5,"NaN"],"m":{"x":"Infinity","y":1}}`)
	f(telemetry.Attributes{"ch": make(chan int), "ok": "v"}, `{"ch":null,"ok":"v"}`)
	f(telemetry.Attributes{"h": "<b>&"}, `{"h":"\u003cb\u003e\u0026"}`)

	// Rendering must not modify what the store returned.
	in := telemetry.Attributes{"nan": math.NaN()}
	_ = renderAttrs(in)
	if _, ok := in["nan"].(float64); !ok {
		t.Errorf("renderAttrs modified its input: %v", in)
	}
}

func TestRenderNonFiniteNumbers(t *testing.T) {
	nan := math.NaN()
	g := renderGeneration(&telemetry.Generation{CostUSD: &nan, TimeToFirstTokenMs: &nan,
		Params: map[string]any{"temperature": nan},
		OutputMessages: []telemetry.Message{{Role: "assistant", Parts: []telemetry.Part{
			{Type: "tool_call", Arguments: map[string]any{"x": math.Inf(1)}}}}}})
	got := encode(t, g)
	for _, want := range []string{`"costUsd":null`, `"timeToFirstTokenMs":null`, `"params":{"temperature":"NaN"}`,
		`"arguments":{"x":"Infinity"}`, `"inputMessages":[]`, `"systemInstructions":[]`, `"finishReasons":[]`} {
		if !strings.Contains(got, want) {
			t.Errorf("generation %s lacks %s", got, want)
		}
	}
	pts := renderMetricSeries([]store.MetricSeries{{Name: "m", Points: []*telemetry.MetricPoint{
		{Value: nan, Sum: math.Inf(1), ExplicitBounds: []float64{1, math.Inf(1)}, Quantiles: [][2]float64{{0.5, nan}}}}}})
	got = encode(t, pts)
	for _, want := range []string{`"value":null`, `"sum":null`, `"explicitBounds":[1,null]`, `"quantiles":[[0.5,null]]`,
		`"bucketCounts":[]`, `"min":null`, `"attributes":{}`} {
		if !strings.Contains(got, want) {
			t.Errorf("metric series %s lacks %s", got, want)
		}
	}
}

func TestRenderTraceLinksLogs(t *testing.T) {
	span := &telemetry.Span{TraceID: tid(1), SpanID: sid(1)}
	tr := &store.Trace{
		Spans: []*telemetry.Span{span, nil},
		Logs: []*telemetry.LogRecord{
			{TraceID: tid(1), SpanID: sid(1), Body: "mine"},
			{TraceID: tid(1), SpanID: sid(2), Body: "lost"},
			{TraceID: tid(1), Body: "trace"},
			nil,
		},
	}
	out := renderTrace(tr, nil)
	if len(out.Spans) != 1 || len(out.Spans[0].Logs) != 1 || out.Spans[0].Logs[0].Body != "mine" {
		t.Errorf("span logs = %+v", out.Spans)
	}
	if len(out.OrphanLogs) != 2 || out.OrphanLogs[0].Body != "lost" || out.OrphanLogs[1].Body != "trace" {
		t.Errorf("orphanLogs = %+v", out.OrphanLogs)
	}
	got := encode(t, renderTrace(&store.Trace{}, nil))
	if !strings.Contains(got, `"spans":[]`) || !strings.Contains(got, `"orphanLogs":[]`) || !strings.Contains(got, `"models":[]`) {
		t.Errorf("empty trace = %s; want [] for every list", got)
	}
}

func TestWriteJSONEncodeFailure(t *testing.T) {
	var logs bytes.Buffer
	s := &server{log: slog.New(slog.NewTextHandler(&logs, nil))}
	rec := httptest.NewRecorder()
	s.writeJSON(rec, httptest.NewRequest(http.MethodGet, "/api/v1/x", nil), http.StatusOK, map[string]any{"c": make(chan int)})
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), internalMessage) {
		t.Errorf("unencodable answer: %d %s; want a clean 500", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "api encode response") {
		t.Errorf("encode failure not logged: %q", logs.String())
	}
}

func TestPanicIsA500(t *testing.T) {
	s := &server{log: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	s.serve(func(*http.Request) (any, error) { panic("boom") }).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/x", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Errorf("panic: %d %s; want a JSON 500", rec.Code, rec.Body)
	}
}
