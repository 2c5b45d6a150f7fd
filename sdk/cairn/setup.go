// Package cairn configures OpenTelemetry for an application traced by Cairn
// (or by any OTLP backend) in one call, and offers a helper for the business
// spans around model calls.
//
//	shutdown, err := cairn.Setup(ctx, cairn.WithServiceName("trail-guide"))
//	if err != nil { ... }
//	defer shutdown(context.Background())
//
// Setup installs global tracer, meter and logger providers exporting over
// OTLP (HTTP/protobuf by default, gRPC by option or
// OTEL_EXPORTER_OTLP_PROTOCOL=grpc), the W3C trace-context and baggage
// propagators, and the session processors that stamp session.id and user.id
// (see package session). The standard OTEL_* variables are honoured:
// endpoints, headers, timeouts, compression, certificates, protocol,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, and OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none.
package cairn

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/cairn-dev/cairn/sdk/genaihttp"
	"github.com/cairn-dev/cairn/sdk/session"
)

// Setup configures the global OpenTelemetry providers and propagators. The
// returned shutdown flushes and stops every provider, joining their errors;
// call it before the program exits or the last spans are lost. On error,
// whatever was created is shut down and the globals are left untouched.
func Setup(ctx context.Context, opts ...Option) (shutdown func(context.Context) error, err error) {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	res, err := newResource(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	var shutdowns []func(context.Context) error
	shutdownAll := func(ctx context.Context) error {
		var errs []error
		for i := len(shutdowns) - 1; i >= 0; i-- {
			errs = append(errs, shutdowns[i](ctx))
		}
		return errors.Join(errs...)
	}
	fail := func(err error) (func(context.Context) error, error) {
		return nil, errors.Join(err, shutdownAll(ctx))
	}

	tp, err := newTracerProvider(ctx, &cfg, res)
	if err != nil {
		return fail(err)
	}
	shutdowns = append(shutdowns, tp.Shutdown)
	mp, err := newMeterProvider(ctx, &cfg, res)
	if err != nil {
		return fail(err)
	}
	shutdowns = append(shutdowns, mp.Shutdown)
	lp, err := newLoggerProvider(ctx, &cfg, res)
	if err != nil {
		return fail(err)
	}
	shutdowns = append(shutdowns, lp.Shutdown)

	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	otel.SetLoggerProvider(lp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{}))
	return shutdownAll, nil
}

// newResource describes the service: SDK and host facts, then the
// environment, then options, each overriding the one before.
func newResource(ctx context.Context, cfg *config) (*resource.Resource, error) {
	attrs := cfg.resAttrs
	if cfg.serviceName != "" {
		attrs = append(attrs[:len(attrs):len(attrs)], semconv.ServiceName(cfg.serviceName))
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(), resource.WithHost(), resource.WithFromEnv(),
		resource.WithAttributes(attrs...), resource.WithSchemaURL(semconv.SchemaURL))
	if err != nil && res == nil {
		return nil, fmt.Errorf("cairn: build resource: %w", err)
	}
	// A partial resource (a detector failed) is still worth exporting with.
	if _, ok := res.Set().Value(semconv.ServiceNameKey); !ok {
		res, err = resource.Merge(res, resource.NewSchemaless(
			semconv.ServiceName("unknown_service:"+filepath.Base(os.Args[0]))))
		if err != nil {
			return nil, fmt.Errorf("cairn: add default service.name: %w", err)
		}
	}
	return res, nil
}

func newTracerProvider(ctx context.Context, cfg *config, res *resource.Resource) (*sdktrace.TracerProvider, error) {
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(session.SpanProcessor()),
	}
	switch {
	case cfg.spanExporter != nil:
		opts = append(opts, sdktrace.WithSyncer(cfg.spanExporter))
	case !disabled("OTEL_TRACES_EXPORTER"):
		exp, err := newSpanExporter(ctx, cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

func newMeterProvider(ctx context.Context, cfg *config, res *resource.Resource) (*sdkmetric.MeterProvider, error) {
	opts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithView(genAIViews()...)}
	switch {
	case cfg.metricReader != nil:
		opts = append(opts, sdkmetric.WithReader(cfg.metricReader))
	case !disabled("OTEL_METRICS_EXPORTER"):
		exp, err := newMetricExporter(ctx, cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)))
	}
	return sdkmetric.NewMeterProvider(opts...), nil
}

// genAIViews pins the GenAI client histograms to the semantic conventions'
// bucket boundaries, whichever instrumentation records them.
func genAIViews() []sdkmetric.View {
	view := func(name string, bounds []float64) sdkmetric.View {
		return sdkmetric.NewView(sdkmetric.Instrument{Name: name},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: bounds}})
	}
	return []sdkmetric.View{
		view(genaihttp.MetricTokenUsage, genaihttp.TokenUsageBuckets),
		view(genaihttp.MetricOperationDuration, genaihttp.OperationDurationBuckets),
	}
}

func newLoggerProvider(ctx context.Context, cfg *config, res *resource.Resource) (*sdklog.LoggerProvider, error) {
	opts := []sdklog.LoggerProviderOption{
		sdklog.WithResource(res),
		sdklog.WithProcessor(session.LogProcessor()), // before the exporter so it sees the ids
	}
	switch {
	case cfg.logExporter != nil:
		opts = append(opts, sdklog.WithProcessor(sdklog.NewSimpleProcessor(cfg.logExporter)))
	case !disabled("OTEL_LOGS_EXPORTER"):
		exp, err := newLogExporter(ctx, cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdklog.WithProcessor(sdklog.NewBatchProcessor(exp)))
	}
	return sdklog.NewLoggerProvider(opts...), nil
}

// disabled reports OTEL_{SIGNAL}_EXPORTER=none.
func disabled(env string) bool { return os.Getenv(env) == "none" }
