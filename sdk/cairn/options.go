package cairn

import (
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Option configures Setup. Options win over the OTEL_* environment variables.
type Option func(*config)

type config struct {
	serviceName  string
	endpoint     string
	protocol     string
	insecure     bool
	resAttrs     []attribute.KeyValue
	spanExporter sdktrace.SpanExporter
	metricReader sdkmetric.Reader
	logExporter  sdklog.Exporter
}

// Protocols accepted by WithProtocol and OTEL_EXPORTER_OTLP_PROTOCOL.
const (
	ProtocolHTTP = "http/protobuf"
	ProtocolGRPC = "grpc"
)

// WithServiceName sets service.name; without it OTEL_SERVICE_NAME (or
// OTEL_RESOURCE_ATTRIBUTES) decides, and failing that
// "unknown_service:{executable}".
func WithServiceName(name string) Option {
	return func(c *config) { c.serviceName = name }
}

// WithEndpoint sets the OTLP base URL for all three signals, as
// OTEL_EXPORTER_OTLP_ENDPOINT would: "http://127.0.0.1:4318" for HTTP (the
// /v1/traces, /v1/metrics and /v1/logs paths are appended) or
// "http://127.0.0.1:4317" for gRPC. A bare host:port means http:// for
// loopback hosts or with WithInsecure, https:// otherwise. Without this
// option and without the environment variables, Cairn's default local
// address is used.
func WithEndpoint(endpoint string) Option {
	return func(c *config) { c.endpoint = endpoint }
}

// WithProtocol chooses the OTLP transport: ProtocolHTTP (the default) or
// ProtocolGRPC. OTEL_EXPORTER_OTLP_PROTOCOL (and its per-signal variants)
// apply when this option is absent.
func WithProtocol(protocol string) Option {
	return func(c *config) { c.protocol = protocol }
}

// WithInsecure sends OTLP without TLS even to an https-less host:port or an
// environment-configured endpoint.
func WithInsecure() Option {
	return func(c *config) { c.insecure = true }
}

// WithResourceAttributes adds resource attributes (deployment.environment,
// service.version, ...). They win over OTEL_RESOURCE_ATTRIBUTES; the service
// name from WithServiceName wins over them.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return func(c *config) { c.resAttrs = append(c.resAttrs, attrs...) }
}

// WithSpanExporter replaces the OTLP trace exporter. Spans are handed to it
// synchronously as they end, which is what tests and debugging want (an
// in-memory exporter sees a span as soon as it ends).
func WithSpanExporter(e sdktrace.SpanExporter) Option {
	return func(c *config) { c.spanExporter = e }
}

// WithMetricReader replaces the periodic OTLP metric reader, for example
// with an sdkmetric.ManualReader in tests.
func WithMetricReader(r sdkmetric.Reader) Option {
	return func(c *config) { c.metricReader = r }
}

// WithLogExporter replaces the OTLP log exporter; records are exported
// synchronously.
func WithLogExporter(e sdklog.Exporter) Option {
	return func(c *config) { c.logExporter = e }
}
