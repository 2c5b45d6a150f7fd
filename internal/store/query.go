package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// ErrInvalidQuery is wrapped by every error a read returns because the query itself is wrong
// (a cursor this store did not issue, an unknown status or groupBy, a step that is not whole
// minutes, ...), as opposed to a failure of the store. The message starts with the name of the
// offending API parameter and a colon, e.g. `cursor: "abc" is not one this server returned: ...`,
// so the API can answer 400 with it as is.
var ErrInvalidQuery = errors.New("invalid query")

// InvalidQuery returns an error wrapping ErrInvalidQuery whose message is "param: " followed by
// the formatted text.
func InvalidQuery(param, format string, args ...any) error {
	return &invalidQueryError{msg: param + ": " + fmt.Sprintf(format, args...)}
}

type invalidQueryError struct{ msg string }

func (e *invalidQueryError) Error() string { return e.msg }
func (e *invalidQueryError) Unwrap() error { return ErrInvalidQuery }

// AttrFilter matches a span attribute whose value, rendered as a string (true/false, decimal
// numbers, strings as they are), equals Value.
type AttrFilter struct {
	Key   string
	Value string
}

// TraceQuery selects traces. Zero fields do not filter. A trace matches when one of its spans
// matches every span-level filter (Service, SpanName, Attributes), and the trace as a whole
// matches the rest.
type TraceQuery struct {
	Service     string
	SpanName    string
	Status      string // "", "ok" (no error span) or "error" (at least one error span)
	MinDuration time.Duration
	MaxDuration time.Duration
	Start, End  time.Time // trace start in [Start, End)
	Attributes  []AttrFilter
	Session     string
	User        string
	Model       string // request or response model of any generation in the trace
	Text        string // full-text search over message content and log bodies
	Limit       int    // 0 means the backend default (20); capped at 1000 by the API
	Cursor      string // opaque, from TracePage.NextCursor
}

// TraceSummary is what a trace list shows. It is kept up to date as spans arrive.
type TraceSummary struct {
	TraceID         telemetry.TraceID
	RootName        string // the root span's name; the earliest span's name until a root arrives
	RootService     string
	HasRoot         bool
	StartUnixNano   int64 // earliest span start
	EndUnixNano     int64 // latest span end
	SpanCount       int
	ErrorCount      int
	GenerationCount int
	InputTokens     int64
	OutputTokens    int64
	CostUSD         *float64 // nil when no generation of the trace has a known cost
	SessionID       string
	UserID          string
	Models          []string
}

// TracePage is one page of search results.
type TracePage struct {
	Traces     []TraceSummary
	NextCursor string // "" on the last page
}

// Trace is a whole trace.
type Trace struct {
	Summary TraceSummary
	Spans   []*telemetry.Span      // sorted by start time
	Logs    []*telemetry.LogRecord // sorted by time; linked to spans by SpanID
}

// Operation is a span name seen for a service.
type Operation struct {
	Name     string
	SpanKind telemetry.SpanKind
}

// MetricQuery selects metric points by name, attributes and time.
type MetricQuery struct {
	Name       string // required
	Service    string
	Attributes []AttrFilter
	Start, End time.Time
	Limit      int // maximum points per series; 0 means 1000
}

// MetricSeries is every point of one metric with one attribute set.
type MetricSeries struct {
	Name       string
	Type       telemetry.MetricType
	Unit       string
	Service    string
	Attributes telemetry.Attributes
	Points     []*telemetry.MetricPoint // sorted by time
}

// SessionQuery selects sessions. A session is every trace sharing one session id.
type SessionQuery struct {
	Start, End time.Time // last activity in [Start, End)
	Service    string
	User       string
	Limit      int
	Cursor     string
}

// SessionSummary is what a session list shows.
type SessionSummary struct {
	ID              string
	Service         string
	UserID          string
	TraceCount      int
	ErrorCount      int // traces with at least one error span
	GenerationCount int
	FirstUnixNano   int64
	LastUnixNano    int64
	InputTokens     int64
	OutputTokens    int64
	CostUSD         *float64
	Success         *bool // the app's session.success attribute, when set
}

// SessionPage is one page of sessions.
type SessionPage struct {
	Sessions   []SessionSummary
	NextCursor string
}

// SessionTrace is one trace of a session, with the conversation turn it holds.
type SessionTrace struct {
	TraceSummary
	FirstUserMessage string // the first user message of the trace's first generation
	LastAnswer       string // the last output message of the trace's last generation
}

// SessionDetail is a session with its traces in time order.
type SessionDetail struct {
	Summary SessionSummary
	Traces  []SessionTrace
}

// GenAIQuery selects dashboard series.
type GenAIQuery struct {
	Start, End time.Time
	Step       time.Duration // a whole number of minutes
	GroupBy    string        // "model", "service", "operation" or "" (one series)
	Service    string
	Model      string
}

// GenAIPoint is one step of one series.
type GenAIPoint struct {
	TimeUnixNano int64 // step start
	Calls        int64
	Errors       int64
	P50Ms        *float64
	P95Ms        *float64
	P99Ms        *float64
	InputTokens  int64
	OutputTokens int64
	CostUSD      float64
}

// GenAIGroup is one series: the points of one model, service or operation.
type GenAIGroup struct {
	Key    string
	Points []GenAIPoint // one per step from Start to End, empty steps included
}

// GenAISeries is the dashboard's data.
type GenAISeries struct {
	Step   time.Duration
	Groups []GenAIGroup
}

// ModelQuery selects the time range for model totals.
type ModelQuery struct {
	Start, End time.Time
}

// ModelStats is one model's totals.
type ModelStats struct {
	Model         string
	Provider      string
	Calls         int64
	Errors        int64
	InputTokens   int64
	OutputTokens  int64
	CostUSD       *float64
	FirstUnixNano int64
	LastUnixNano  int64
}

// Retention bounds what a store keeps. Zero fields mean unbounded.
type Retention struct {
	MaxAge   time.Duration
	MaxBytes int64
}

// RetentionResult says what one Retain call removed.
type RetentionResult struct {
	DeletedSpans   int64
	DeletedLogs    int64
	DeletedMetrics int64
}

// Stats describes a store's contents.
type Stats struct {
	Spans        int64
	Logs         int64
	MetricPoints int64
	Traces       int64
	DiskBytes    int64
}
