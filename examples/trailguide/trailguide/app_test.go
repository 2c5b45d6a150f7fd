package trailguide_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/examples/modelclient"
	"github.com/cairn-dev/cairn/examples/trailguide/trailguide"
	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/cairn"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

// setup installs in-memory telemetry and a stand-in model, returning the app.
func setup(t *testing.T, opts standin.Options) (*trailguide.App, *tracetest.InMemoryExporter) {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	shutdown, err := cairn.Setup(context.Background(), cairn.WithSpanExporter(spans),
		cairn.WithMetricReader(sdkmetric.NewManualReader()), cairn.WithLogExporter(nopLogs{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	srv := httptest.NewServer(standin.New(opts))
	t.Cleanup(srv.Close)
	client := modelclient.New(modelclient.Config{BaseURL: srv.URL + "/v1", APIKey: "k",
		Transport: []genaihttp.Option{genaihttp.WithCaptureContent(true)}})
	return &trailguide.App{Client: client}, spans
}

// tree maps each span name to its parent's name ("" for the root).
func tree(t *testing.T, spans []tracetest.SpanStub) (map[string]string, map[string]tracetest.SpanStub) {
	t.Helper()
	byID := map[trace.SpanID]string{}
	named := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s.Name
		named[s.Name] = s
	}
	parents := map[string]string{}
	for _, s := range spans {
		parents[s.Name] = byID[s.Parent.SpanID()]
		if s.SpanContext.TraceID() != spans[0].SpanContext.TraceID() {
			t.Errorf("span %s in another trace", s.Name)
		}
	}
	return parents, named
}

func attr(s tracetest.SpanStub, key string) (string, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.String(), true
		}
	}
	return "", false
}

func TestSessionSpanHierarchy(t *testing.T) {
	app, spans := setup(t, standin.Options{})
	res, err := app.Session(context.Background(), "session_1", "easy, lakes, family friendly")
	if err != nil {
		t.Fatalf("session: %v", err)
	}
	if !strings.HasPrefix(res.Answer, "Emerald Lake Trail") {
		t.Errorf("answer %q", res.Answer)
	}
	got := spans.GetSpans()
	parents, named := tree(t, got)
	want := map[string]string{
		"trail_guide_session":  "",
		"recommend_hike":       "trail_guide_session",
		"recommend_model_call": "recommend_hike",
		"chat gpt-4o":          "recommend_model_call",
	}
	if len(got) != len(want) {
		t.Fatalf("spans %v, want %v", parents, want)
	}
	for name, parent := range want {
		if p, ok := parents[name]; !ok || p != parent {
			t.Errorf("%s: parent %q (present %v), want %q", name, p, ok, parent)
		}
		if sid, _ := attr(named[name], "session.id"); sid != "session_1" {
			t.Errorf("%s: session.id %q", name, sid)
		}
	}
	if res.TraceID != got[0].SpanContext.TraceID().String() {
		t.Errorf("result trace id %s", res.TraceID)
	}
	f := func(span, key, want string) {
		t.Helper()
		if v, ok := attr(named[span], key); !ok || (want != "" && v != want) {
			t.Errorf("%s.%s = %q (present %v), want %q", span, key, v, ok, want)
		}
	}
	f("trail_guide_session", "session.success", "true")
	f("recommend_hike", "hike_recommendation", res.Answer)
	f("recommend_model_call", "prompt.user", "")
	f("recommend_model_call", "response.time", "")
	f("recommend_model_call", "response.tokens", "")
	f("chat gpt-4o", "gen_ai.operation.name", "chat")
	f("chat gpt-4o", "gen_ai.response.model", "gpt-4o-2024-08-06")
	f("chat gpt-4o", "gen_ai.usage.output_tokens", "")
	f("chat gpt-4o", "gen_ai.output.messages", "")
	if named["chat gpt-4o"].SpanKind != trace.SpanKindClient {
		t.Errorf("chat span kind %v", named["chat gpt-4o"].SpanKind)
	}
}

func TestSessionFailureIsRecordedAtEveryLevel(t *testing.T) {
	app, spans := setup(t, standin.Options{ErrorRate: 1})
	_, err := app.Session(context.Background(), "session_2", "anything")
	if err == nil {
		t.Fatal("session succeeded against a failing model")
	}
	_, named := tree(t, spans.GetSpans())
	for _, name := range []string{"trail_guide_session", "recommend_hike", "recommend_model_call", "chat gpt-4o"} {
		s := named[name]
		if s.Status.Code != codes.Error || len(s.Events) == 0 || s.Events[0].Name != "exception" {
			t.Errorf("%s: status %v events %v, want Error with an exception", name, s.Status, s.Events)
		}
	}
	if v, _ := attr(named["trail_guide_session"], "session.success"); v != "false" {
		t.Errorf("session.success = %q", v)
	}
}

func TestWeatherTurnRunsTool(t *testing.T) {
	app, spans := setup(t, standin.Options{})
	res, err := app.Weather(context.Background(), "session_3", "Skyline Trail")
	if err != nil {
		t.Fatalf("weather: %v", err)
	}
	if !strings.Contains(res.Answer, "°F") {
		t.Errorf("answer %q", res.Answer)
	}
	var names []string
	for _, s := range spans.GetSpans() {
		names = append(names, s.Name)
	}
	want := "chat gpt-4o,execute_tool get_weather,chat gpt-4o,check_weather,trail_guide_session"
	if strings.Join(names, ",") != want {
		t.Errorf("spans in end order %v, want %s", names, want)
	}
}
