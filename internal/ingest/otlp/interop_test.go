package otlp

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	metricapi "go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// These tests send real OpenTelemetry Go SDK exports to the receivers on loopback listeners.

func interopResource() *resource.Resource {
	return resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("interop-app"))
}

// startHTTP serves the HTTP receiver and returns its base URL.
func startHTTP(t *testing.T, rec *recorder) string {
	t.Helper()
	mux := http.NewServeMux()
	NewHTTPHandler(rec, Options{}, nil).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// startGRPCAddr serves the gRPC receiver and returns its address.
func startGRPCAddr(t *testing.T, rec *recorder) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := NewGRPCServer(rec, Options{}, nil)
	s := grpcNewServer(g)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// emitGenAITrace records an agent span with a chat child span carrying GenAI attributes and an
// event, and returns the ids the SDK chose.
func emitGenAITrace(t *testing.T, exp sdktrace.SpanExporter) (parent, child trace.SpanContext) {
	t.Helper()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(interopResource()))
	tracer := tp.Tracer("interop-test", trace.WithInstrumentationVersion("0.1"))
	ctx, agent := tracer.Start(context.Background(), "invoke_agent planner", trace.WithSpanKind(trace.SpanKindInternal))
	_, chat := tracer.Start(ctx, "chat gpt-4o", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.Int64("gen_ai.usage.input_tokens", 12),
		attribute.Float64("gen_ai.request.temperature", 0.2),
		attribute.Bool("gen_ai.request.stream", false),
		attribute.StringSlice("gen_ai.response.finish_reasons", []string{"stop"}),
	))
	chat.AddEvent("gen_ai.content.prompt", trace.WithAttributes(attribute.String("gen_ai.prompt", "hello")))
	chat.End()
	agent.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("export: %v", err)
	}
	return agent.SpanContext(), chat.SpanContext()
}

func checkGenAITrace(t *testing.T, spans []*telemetry.Span, parent, child trace.SpanContext) {
	t.Helper()
	if len(spans) != 2 {
		t.Fatalf("stored %d spans; want 2", len(spans))
	}
	byName := map[string]*telemetry.Span{}
	for _, s := range spans {
		byName[s.Name] = s
	}
	agent, chat := byName["invoke_agent planner"], byName["chat gpt-4o"]
	if agent == nil || chat == nil {
		t.Fatalf("span names %v", byName)
	}
	if agent.TraceID != telemetry.TraceID(parent.TraceID()) || chat.TraceID != agent.TraceID ||
		agent.SpanID != telemetry.SpanID(parent.SpanID()) || chat.SpanID != telemetry.SpanID(child.SpanID()) {
		t.Errorf("ids: agent %s/%s chat %s/%s", agent.TraceID, agent.SpanID, chat.TraceID, chat.SpanID)
	}
	if !agent.ParentSpanID.IsZero() || chat.ParentSpanID != agent.SpanID {
		t.Errorf("hierarchy: agent parent %q, chat parent %q; want root and agent", agent.ParentSpanID, chat.ParentSpanID)
	}
	if chat.Kind != telemetry.SpanKindClient || chat.Service() != "interop-app" ||
		chat.Scope != (telemetry.Scope{Name: "interop-test", Version: "0.1"}) {
		t.Errorf("chat kind %s service %s scope %+v", chat.Kind, chat.Service(), chat.Scope)
	}
	a := chat.Attributes
	if a["gen_ai.operation.name"] != "chat" || a["gen_ai.usage.input_tokens"] != int64(12) ||
		a["gen_ai.request.temperature"] != 0.2 || a["gen_ai.request.stream"] != false {
		t.Errorf("attributes %#v", a)
	}
	if fr, ok := a["gen_ai.response.finish_reasons"].([]any); !ok || len(fr) != 1 || fr[0] != "stop" {
		t.Errorf("finish reasons %#v", a["gen_ai.response.finish_reasons"])
	}
	if len(chat.Events) != 1 || chat.Events[0].Name != "gen_ai.content.prompt" || chat.Events[0].Attributes.String("gen_ai.prompt") != "hello" {
		t.Errorf("events %+v", chat.Events)
	}
	if chat.StartUnixNano <= 0 || chat.EndUnixNano < chat.StartUnixNano {
		t.Errorf("times %d..%d", chat.StartUnixNano, chat.EndUnixNano)
	}
}

func TestInteropTracesHTTP(t *testing.T) {
	for _, opts := range [][]otlptracehttp.Option{
		{otlptracehttp.WithCompression(otlptracehttp.GzipCompression)},
		{otlptracehttp.WithCompression(otlptracehttp.NoCompression)},
	} {
		rec := &recorder{}
		url := startHTTP(t, rec)
		exp, err := otlptracehttp.New(context.Background(), append(opts, otlptracehttp.WithEndpointURL(url+"/v1/traces"))...)
		if err != nil {
			t.Fatal(err)
		}
		parent, child := emitGenAITrace(t, exp)
		checkGenAITrace(t, rec.spans(), parent, child)
	}
}

func TestInteropTracesGRPC(t *testing.T) {
	rec := &recorder{}
	addr := startGRPCAddr(t, rec)
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(addr), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithCompressor("gzip"))
	if err != nil {
		t.Fatal(err)
	}
	parent, child := emitGenAITrace(t, exp)
	checkGenAITrace(t, rec.spans(), parent, child)
}

// emitLinkedLog emits a GenAI event log record inside a span and returns the span's context.
func emitLinkedLog(t *testing.T, exp sdklog.Exporter) trace.SpanContext {
	t.Helper()
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)), sdklog.WithResource(interopResource()))
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "chat")
	var r otellog.Record
	r.SetEventName("gen_ai.user.message")
	r.SetTimestamp(time.Now())
	r.SetSeverity(otellog.SeverityInfo)
	r.SetBody(attribute.MapValue(attribute.String("content", "What is the capital of France?")))
	r.AddAttributes(attribute.String("gen_ai.system", "openai"))
	lp.Logger("interop-test").Emit(ctx, r)
	span.End()
	if err := lp.Shutdown(context.Background()); err != nil {
		t.Fatalf("export: %v", err)
	}
	return span.SpanContext()
}

func checkLinkedLog(t *testing.T, logs []*telemetry.LogRecord, sc trace.SpanContext) {
	t.Helper()
	if len(logs) != 1 {
		t.Fatalf("stored %d logs; want 1", len(logs))
	}
	l := logs[0]
	if l.TraceID != telemetry.TraceID(sc.TraceID()) || l.SpanID != telemetry.SpanID(sc.SpanID()) {
		t.Errorf("log linked to %s/%s; want %s/%s", l.TraceID, l.SpanID, sc.TraceID(), sc.SpanID())
	}
	body, _ := l.Body.(map[string]any)
	if l.EventName != "gen_ai.user.message" || body["content"] != "What is the capital of France?" ||
		l.Attributes.String("gen_ai.system") != "openai" || l.SeverityNumber != 9 || l.Resource.ServiceName() != "interop-app" {
		t.Errorf("log %+v", l)
	}
}

func TestInteropLogsHTTP(t *testing.T) {
	rec := &recorder{}
	url := startHTTP(t, rec)
	exp, err := otlploghttp.New(context.Background(), otlploghttp.WithEndpointURL(url+"/v1/logs"),
		otlploghttp.WithCompression(otlploghttp.GzipCompression))
	if err != nil {
		t.Fatal(err)
	}
	sc := emitLinkedLog(t, exp)
	checkLinkedLog(t, rec.logs(), sc)
}

func TestInteropLogsGRPC(t *testing.T) {
	rec := &recorder{}
	addr := startGRPCAddr(t, rec)
	exp, err := otlploggrpc.New(context.Background(), otlploggrpc.WithEndpoint(addr), otlploggrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	sc := emitLinkedLog(t, exp)
	checkLinkedLog(t, rec.logs(), sc)
}

func TestInteropMetricsHTTP(t *testing.T) {
	rec := &recorder{}
	url := startHTTP(t, rec)
	exp, err := otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL(url+"/v1/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(interopResource()))
	meter := mp.Meter("interop-test")
	tokens, _ := meter.Int64Histogram("gen_ai.client.token.usage", metricUnit("{token}"))
	calls, _ := meter.Int64Counter("gen_ai.calls")
	ctx := context.Background()
	tokens.Record(ctx, 12, metricAttrs(attribute.String("gen_ai.token.type", "input")))
	tokens.Record(ctx, 30, metricAttrs(attribute.String("gen_ai.token.type", "input")))
	calls.Add(ctx, 2)
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatalf("export: %v", err)
	}
	points := map[string]*telemetry.MetricPoint{}
	for _, p := range rec.metrics() {
		points[p.Name] = p
	}
	h, c := points["gen_ai.client.token.usage"], points["gen_ai.calls"]
	if h == nil || c == nil {
		t.Fatalf("points %v", points)
	}
	if h.Type != telemetry.MetricHistogram || h.Count != 2 || h.Sum != 42 || h.Unit != "{token}" ||
		h.Attributes.String("gen_ai.token.type") != "input" || len(h.BucketCounts) != len(h.ExplicitBounds)+1 ||
		h.Min == nil || *h.Min != 12 || h.Temporality != "cumulative" {
		t.Errorf("histogram %+v", h)
	}
	if c.Type != telemetry.MetricSum || !c.Monotonic || c.Value != 2 || c.Resource.ServiceName() != "interop-app" {
		t.Errorf("counter %+v", c)
	}
}

func metricUnit(u string) metricapi.Int64HistogramOption { return metricapi.WithUnit(u) }

func metricAttrs(kv ...attribute.KeyValue) metricapi.MeasurementOption {
	return metricapi.WithAttributes(kv...)
}
