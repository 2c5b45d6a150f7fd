package telemetry

// Attributes maps attribute keys to values. A value is one of: string, bool, int64, float64,
// []byte, []any (of these types) or map[string]any (of these types). This is the JSON-friendly
// form of OTLP's AnyValue; receivers must produce only these types.
type Attributes map[string]any

// String returns the attribute as a string when it is one, else "".
func (a Attributes) String(key string) string {
	s, _ := a[key].(string)
	return s
}

// Resource describes the entity that produced telemetry (service.name and friends).
// Spans of one request usually share one *Resource.
type Resource struct {
	Attributes Attributes `json:"attributes"`
}

// ServiceName returns resource attribute service.name, or "unknown_service" as OTel specifies.
func (r *Resource) ServiceName() string {
	if r != nil {
		if s := r.Attributes.String("service.name"); s != "" {
			return s
		}
	}
	return "unknown_service"
}

// Scope is the instrumentation scope (library) that produced the telemetry.
type Scope struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
}

// SpanKind follows OTLP's enum values.
type SpanKind int32

// Span kinds, numbered as in OTLP.
const (
	SpanKindUnspecified SpanKind = 0
	SpanKindInternal    SpanKind = 1
	SpanKindServer      SpanKind = 2
	SpanKindClient      SpanKind = 3
	SpanKindProducer    SpanKind = 4
	SpanKindConsumer    SpanKind = 5
)

// String returns the kind's lower-case name, as the API shows it.
func (k SpanKind) String() string {
	switch k {
	case SpanKindInternal:
		return "internal"
	case SpanKindServer:
		return "server"
	case SpanKindClient:
		return "client"
	case SpanKindProducer:
		return "producer"
	case SpanKindConsumer:
		return "consumer"
	default:
		return "unspecified"
	}
}

// StatusCode follows OTLP's enum values.
type StatusCode int32

// Status codes, numbered as in OTLP.
const (
	StatusUnset StatusCode = 0
	StatusOK    StatusCode = 1
	StatusError StatusCode = 2
)

// String returns the code's lower-case name, as the API shows it.
func (c StatusCode) String() string {
	switch c {
	case StatusOK:
		return "ok"
	case StatusError:
		return "error"
	default:
		return "unset"
	}
}

// Status is a span's final status.
type Status struct {
	Code    StatusCode `json:"code"`
	Message string     `json:"message,omitempty"`
}

// Event is a timestamped annotation on a span (for example "exception").
type Event struct {
	TimeUnixNano int64      `json:"timeUnixNano"`
	Name         string     `json:"name"`
	Attributes   Attributes `json:"attributes,omitempty"`
}

// Link points from a span to a span of another (or the same) trace.
type Link struct {
	TraceID    TraceID    `json:"traceId"`
	SpanID     SpanID     `json:"spanId"`
	TraceState string     `json:"traceState,omitempty"`
	Attributes Attributes `json:"attributes,omitempty"`
}

// Span is one unit of work. StartUnixNano and EndUnixNano are nanoseconds since the Unix epoch.
type Span struct {
	TraceID       TraceID
	SpanID        SpanID
	ParentSpanID  SpanID // zero for a root span
	TraceState    string
	Name          string
	Kind          SpanKind
	StartUnixNano int64
	EndUnixNano   int64
	Attributes    Attributes
	Events        []Event
	Links         []Link
	Status        Status
	Resource      *Resource
	Scope         Scope

	// ProjectKey is the ingestion key the data arrived with (the Application Insights
	// instrumentation key, or a future per-project OTLP key); "" when none.
	ProjectKey string

	// Truncated maps an attribute key (or "events[i].key") whose value was cut at the configured
	// limit to the value's original size in bytes. Nothing is cut silently.
	Truncated map[string]int

	// Generation is the normalised model call, set by GenAI normalisation when the span is one.
	Generation *Generation
	// SessionID and UserID are set by normalisation from session.id, gen_ai.conversation.id,
	// ai.session.id (sessions) and user.id, enduser.id (users); "" when the span has none.
	SessionID string
	UserID    string
}

// DurationNano returns EndUnixNano-StartUnixNano, never negative.
func (s *Span) DurationNano() int64 {
	if d := s.EndUnixNano - s.StartUnixNano; d > 0 {
		return d
	}
	return 0
}

// Service returns the span's service name from its resource.
func (s *Span) Service() string { return s.Resource.ServiceName() }

// LogRecord is one OTLP log record (or an Application Insights Message/Event/Exception).
// TraceID and SpanID link it to a span when the producer set them.
type LogRecord struct {
	TimeUnixNano         int64
	ObservedTimeUnixNano int64
	TraceID              TraceID // zero when unlinked
	SpanID               SpanID  // zero when unlinked
	SeverityNumber       int32
	SeverityText         string
	// EventName is LogRecord.event_name, or the attribute event.name for older SDKs.
	EventName  string
	Body       any // same value types as Attributes values; nil when absent
	Attributes Attributes
	Resource   *Resource
	Scope      Scope
	ProjectKey string
	Truncated  map[string]int
}

// MetricType says which fields of a MetricPoint are meaningful.
type MetricType string

// Metric types.
const (
	MetricGauge                MetricType = "gauge"
	MetricSum                  MetricType = "sum"
	MetricHistogram            MetricType = "histogram"
	MetricExponentialHistogram MetricType = "exponential_histogram"
	MetricSummary              MetricType = "summary"
)

// MetricPoint is one data point of one metric, flattened with its metric's metadata.
// Gauges and sums use Value; histograms use Count, Sum, Min, Max, BucketCounts and
// ExplicitBounds (len(BucketCounts) == len(ExplicitBounds)+1); exponential histograms are
// stored with their scale-derived bounds converted to explicit ones by the receiver.
type MetricPoint struct {
	Name              string
	Description       string
	Unit              string
	Type              MetricType
	Monotonic         bool
	Temporality       string // "delta", "cumulative" or "" for gauges
	StartTimeUnixNano int64
	TimeUnixNano      int64
	Attributes        Attributes
	Resource          *Resource
	Scope             Scope
	ProjectKey        string

	Value          float64
	Count          uint64
	Sum            float64
	Min, Max       *float64
	BucketCounts   []uint64
	ExplicitBounds []float64
	// Quantiles holds a summary's (quantile, value) pairs.
	Quantiles [][2]float64
}

// Batch is what one receiver request carries after decoding. It is the unit the write pipeline
// acknowledges: when the pipeline returns nil, every item in the batch is committed.
type Batch struct {
	Spans   []*Span
	Logs    []*LogRecord
	Metrics []*MetricPoint
}

// Len returns the number of items (spans + log records + metric points) in the batch.
func (b *Batch) Len() int { return len(b.Spans) + len(b.Logs) + len(b.Metrics) }
