// Package genaihttp instruments OpenAI-compatible HTTP APIs (OpenAI, Azure
// OpenAI, local servers such as vLLM, Ollama or LM Studio) at the
// http.RoundTripper level, so any Go client that accepts an *http.Client
// (openai-go, go-openai, langchaingo, Azure's SDK) produces OpenTelemetry GenAI
// semantic-convention spans and metrics without hand-written attributes.
//
// Chat completions (streaming too), legacy completions and embeddings become a
// CLIENT span named "{gen_ai.operation.name} {gen_ai.request.model}" (for
// example "chat gpt-4o") with request parameters, response id/model/finish
// reasons, token usage, server address and, on failure, error.type, an Error
// status and an exception event. Two histograms are recorded:
// gen_ai.client.token.usage and gen_ai.client.operation.duration.
//
// Message content (prompts, completions, tool calls) is recorded only when
// enabled: by OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (true,
// SPAN_ONLY or SPAN_AND_EVENT), by AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true,
// or by WithCaptureContent. It is written in the newest convention's form:
// gen_ai.system_instructions, gen_ai.input.messages and gen_ai.output.messages
// as JSON strings.
//
// Requests that are not GenAI calls pass through untouched.
package genaihttp

import (
	"net/http"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the spans and metrics this
// package produces.
const ScopeName = "github.com/cairn-dev/cairn/sdk/genaihttp"

// Environment variables that turn message content capture on.
const (
	EnvCaptureContent      = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
	EnvAzureCaptureContent = "AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED"
)

// Option configures NewTransport.
type Option func(*config)

type config struct {
	tp             trace.TracerProvider
	mp             metric.MeterProvider
	captureContent bool
	provider       string
	maxErrorBody   int64
}

// WithTracerProvider sets the tracer provider; the default is the global one
// (otel.GetTracerProvider), resolved when NewTransport is called.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider sets the meter provider; the default is the global one.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// WithCaptureContent turns recording of prompts and completions on or off,
// overriding the environment variables read by NewTransport. Content is
// sensitive: enable it only where the trace store may hold it.
func WithCaptureContent(on bool) Option {
	return func(c *config) { c.captureContent = on }
}

// WithProviderName sets gen_ai.provider.name instead of deriving it from the
// host (openai, azure.ai.openai, azure.ai.inference, groq, ...). Use it for a
// local or proxy endpoint that serves another provider's models.
func WithProviderName(name string) Option {
	return func(c *config) { c.provider = name }
}

// CaptureContentFromEnv reports whether the environment asks for message
// content capture: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT set to
// true, SPAN_ONLY or SPAN_AND_EVENT, or
// AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED set to true (case-insensitive).
func CaptureContentFromEnv() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(EnvCaptureContent))) {
	case "true", "1", "span_only", "span_and_event":
		return true
	}
	return strings.EqualFold(strings.TrimSpace(os.Getenv(EnvAzureCaptureContent)), "true")
}

// NewTransport returns a RoundTripper that instruments OpenAI-compatible GenAI
// calls made through base (http.DefaultTransport when nil). The content capture
// setting is read from the environment now, not per request.
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	cfg := config{captureContent: CaptureContentFromEnv(), maxErrorBody: 1 << 20}
	for _, o := range opts {
		o(&cfg)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	return &transport{
		base:    base,
		cfg:     cfg,
		tracer:  cfg.tp.Tracer(ScopeName, trace.WithSchemaURL(semconv.SchemaURL)),
		metrics: newInstruments(cfg.mp.Meter(ScopeName, metric.WithSchemaURL(semconv.SchemaURL))),
	}
}

// WrapClient returns a shallow copy of c (a new client when c is nil) whose
// Transport is instrumented by NewTransport. c itself is not modified.
func WrapClient(c *http.Client, opts ...Option) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	out.Transport = NewTransport(out.Transport, opts...)
	return &out
}

// transport is the instrumented RoundTripper.
type transport struct {
	base    http.RoundTripper
	cfg     config
	tracer  trace.Tracer
	metrics instruments
}

// RoundTrip traces GenAI requests and forwards everything else unchanged.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	op := operationOf(req)
	if op == "" {
		return t.base.RoundTrip(req)
	}
	return t.roundTripGenAI(req, op)
}
