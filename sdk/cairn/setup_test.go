package cairn_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/sdk/cairn"
	"github.com/cairn-dev/cairn/sdk/session"
)

// logSink keeps exported log records.
type logSink struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *logSink) Export(_ context.Context, rs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		e.records = append(e.records, r.Clone())
	}
	return nil
}
func (e *logSink) Shutdown(context.Context) error   { return nil }
func (e *logSink) ForceFlush(context.Context) error { return nil }

func TestSetupInstallsGlobals(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test,service.version=env")
	spans := tracetest.NewInMemoryExporter()
	logs := &logSink{}
	shutdown, err := cairn.Setup(context.Background(),
		cairn.WithServiceName("trail-guide"),
		cairn.WithResourceAttributes(attribute.String("service.version", "1.2.3")),
		cairn.WithSpanExporter(spans), cairn.WithMetricReader(sdkmetric.NewManualReader()), cairn.WithLogExporter(logs))
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	ctx := session.WithID(context.Background(), "s-setup")
	ctx, span := otel.Tracer("t").Start(ctx, "trail_guide_session")
	var rec otellog.Record
	rec.SetBody(attribute.StringValue("turn started"))
	otel.GetLoggerProvider().Logger("t").Emit(ctx, rec)
	carrier := propagation.MapCarrier{}
	otel.GetTextMapPropagator().Inject(ctx, carrier)
	span.End()
	got := spans.GetSpans() // before shutdown, which empties the in-memory exporter
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	if len(got) != 1 {
		t.Fatalf("%d spans", len(got))
	}
	res := map[string]string{}
	for _, kv := range got[0].Resource.Attributes() {
		res[string(kv.Key)] = kv.Value.String()
	}
	f := func(key, want string) {
		t.Helper()
		if res[key] != want {
			t.Errorf("resource %s = %q, want %q", key, res[key], want)
		}
	}
	f("service.name", "trail-guide")
	f("service.version", "1.2.3") // option beats OTEL_RESOURCE_ATTRIBUTES
	f("deployment.environment", "test")
	f("telemetry.sdk.language", "go")
	if v, _ := attributeOf(got[0].Attributes, session.IDKey); v != "s-setup" {
		t.Errorf("session.id on span = %q", v)
	}
	if !strings.HasPrefix(carrier["traceparent"], "00-"+got[0].SpanContext.TraceID().String()) {
		t.Errorf("W3C propagator not installed: %v", carrier)
	}
	if len(logs.records) != 1 {
		t.Fatalf("%d log records", len(logs.records))
	}
	var sid string
	logs.records[0].WalkAttributes(func(kv attribute.KeyValue) bool {
		if kv.Key == session.IDKey {
			sid = kv.Value.AsString()
		}
		return true
	})
	if sid != "s-setup" || logs.records[0].TraceID() != got[0].SpanContext.TraceID() {
		t.Errorf("log record session %q trace %v", sid, logs.records[0].TraceID())
	}
}

func attributeOf(kvs []attribute.KeyValue, key string) (string, bool) {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value.AsString(), true
		}
	}
	return "", false
}

// TestSetupExportsOTLPHTTP checks the default transport end to end: shutdown
// flushes spans as OTLP/protobuf to {endpoint}/v1/traces.
func TestSetupExportsOTLPHTTP(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[r.URL.Path] = r.Header.Get("Content-Type")
		mu.Unlock()
		if len(body) == 0 {
			t.Errorf("empty OTLP body on %s", r.URL.Path)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	for _, k := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"} {
		t.Setenv(k, "")
	}
	shutdown, err := cairn.Setup(context.Background(), cairn.WithEndpoint(srv.URL), cairn.WithServiceName("svc"))
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	_, span := otel.Tracer("t").Start(context.Background(), "op")
	span.End()
	hist, _ := otel.Meter("t").Int64Counter("c")
	hist.Add(context.Background(), 1)
	if err := shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{"/v1/traces", "/v1/metrics"} {
		if got[p] != "application/x-protobuf" {
			t.Errorf("%s: content type %q (received %v)", p, got[p], got)
		}
	}
}

func TestSetupRejectsUnknownProtocol(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon")
	_, err := cairn.Setup(context.Background())
	if err == nil || !strings.Contains(err.Error(), "carrier-pigeon") {
		t.Errorf("err = %v, want it to name the bad protocol", err)
	}
}

func TestSpan(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	shutdown, err := cairn.Setup(context.Background(), cairn.WithSpanExporter(spans),
		cairn.WithMetricReader(sdkmetric.NewManualReader()), cairn.WithLogExporter(&logSink{}))
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())

	errBoom := errors.New("model unavailable")
	f := func(name string, fn func(context.Context, trace.Span) error, wantErr error, wantCode codes.Code, wantEvents int) {
		t.Helper()
		spans.Reset()
		if err := cairn.Span(context.Background(), name, fn); !errors.Is(err, wantErr) {
			t.Errorf("%s: err = %v, want %v", name, err, wantErr)
		}
		got := spans.GetSpans()
		if len(got) != 1 || got[0].Status.Code != wantCode || len(got[0].Events) != wantEvents {
			t.Errorf("%s: spans %+v", name, got)
		}
	}
	f("ok", func(context.Context, trace.Span) error { return nil }, nil, codes.Unset, 0)
	f("fails", func(context.Context, trace.Span) error { return errBoom }, errBoom, codes.Error, 1)

	spans.Reset()
	func() {
		defer func() {
			if r := recover(); r != "bad trail" {
				t.Errorf("recovered %v, want the original panic value", r)
			}
		}()
		_ = cairn.Span(context.Background(), "panics", func(context.Context, trace.Span) error { panic("bad trail") })
	}()
	got := spans.GetSpans()
	if len(got) != 1 || got[0].Status.Code != codes.Error || got[0].Status.Description != "panic: bad trail" {
		t.Fatalf("panic span %+v", got)
	}
	if _, ok := attributeOf(got[0].Events[0].Attributes, "exception.stacktrace"); !ok {
		t.Error("panic recorded without a stack trace")
	}
}
