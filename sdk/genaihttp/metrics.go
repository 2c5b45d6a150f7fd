package genaihttp

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Bucket boundaries the GenAI semantic conventions recommend for the client
// histograms (PROTOCOLS.md B3). They are given to the instruments as advice;
// a view configured on the meter provider still wins.
var (
	TokenUsageBuckets = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144,
		1048576, 4194304, 16777216, 67108864}
	OperationDurationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28,
		2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
)

// Metric names.
const (
	MetricTokenUsage        = "gen_ai.client.token.usage"
	MetricOperationDuration = "gen_ai.client.operation.duration"
)

type instruments struct {
	tokens   metric.Int64Histogram
	duration metric.Float64Histogram
}

// newInstruments creates the two client histograms. An instrument that cannot
// be created is reported to the OTel error handler and replaced by a no-op,
// so instrumentation never breaks the application's HTTP calls.
func newInstruments(m metric.Meter) instruments {
	tokens, err := m.Int64Histogram(MetricTokenUsage,
		metric.WithDescription("Number of input and output tokens used."),
		metric.WithUnit("{token}"),
		metric.WithExplicitBucketBoundaries(TokenUsageBuckets...))
	if err != nil {
		otel.Handle(err)
		tokens = noop.Int64Histogram{}
	}
	duration, err := m.Float64Histogram(MetricOperationDuration,
		metric.WithDescription("GenAI operation duration."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(OperationDurationBuckets...))
	if err != nil {
		otel.Handle(err)
		duration = noop.Float64Histogram{}
	}
	return instruments{tokens: tokens, duration: duration}
}

// metricOpt builds the record option for a set of attributes.
func metricOpt(attrs []attribute.KeyValue) metric.RecordOption {
	return metric.WithAttributeSet(attribute.NewSet(attrs...))
}
