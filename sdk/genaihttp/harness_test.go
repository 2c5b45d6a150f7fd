package genaihttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

// harness is a stand-in model behind an instrumented client, with in-memory
// span and metric readers.
type harness struct {
	spans   *tracetest.InMemoryExporter
	reader  *sdkmetric.ManualReader
	client  *http.Client
	server  *httptest.Server
	baseURL string // OpenAI base URL, ending in /v1/
}

func newHarness(t *testing.T, sopts standin.Options, opts ...genaihttp.Option) *harness {
	t.Helper()
	srv := httptest.NewServer(standin.New(sopts))
	t.Cleanup(srv.Close)
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	opts = append([]genaihttp.Option{genaihttp.WithTracerProvider(tp), genaihttp.WithMeterProvider(mp)}, opts...)
	return &harness{spans: exp, reader: reader, server: srv, baseURL: srv.URL + "/v1/",
		client: genaihttp.WrapClient(srv.Client(), opts...)}
}

// openai returns an openai-go client without retries, so one call is one span.
func (h *harness) openai(opts ...option.RequestOption) *openai.Client {
	base := []option.RequestOption{option.WithBaseURL(h.baseURL), option.WithAPIKey("sk-test"),
		option.WithHTTPClient(h.client), option.WithMaxRetries(0)}
	c := openai.NewClient(append(base, opts...)...)
	return &c
}

// goopenai returns a go-openai client.
func (h *harness) goopenai() *goopenai.Client {
	cfg := goopenai.DefaultConfig("sk-test")
	cfg.BaseURL = h.baseURL
	cfg.HTTPClient = h.client
	return goopenai.NewClientWithConfig(cfg)
}

// onlySpan returns the single exported span, failing otherwise.
func (h *harness) onlySpan(t *testing.T) tracetest.SpanStub {
	t.Helper()
	got := h.spans.GetSpans()
	if len(got) != 1 {
		names := make([]string, len(got))
		for i, s := range got {
			names[i] = s.Name
		}
		t.Fatalf("want exactly 1 span, got %d: %v", len(got), names)
	}
	return got[0]
}

// metrics collects the current metric data, keyed by instrument name.
func (h *harness) metrics(t *testing.T) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// attrs indexes a span's attributes by key.
func attrs(s tracetest.SpanStub) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range s.Attributes {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

// jsonAttr decodes a JSON-string attribute into a generic value for comparison.
func jsonAttr(t *testing.T, s tracetest.SpanStub, key string) any {
	t.Helper()
	v, ok := attrs(s)[key]
	if !ok {
		t.Fatalf("span %q has no %s; attributes: %v", s.Name, key, s.Attributes)
	}
	var out any
	if err := json.Unmarshal([]byte(v.AsString()), &out); err != nil {
		t.Fatalf("%s is not JSON: %v: %s", key, err, v.AsString())
	}
	return out
}

// mustJSON decodes a JSON literal used as an expected value.
func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("bad expected JSON %s: %v", s, err)
	}
	return out
}
