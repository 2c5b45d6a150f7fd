package api

import (
	"strconv"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction, as docs/api.md shows it, so
// that times sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// fmtTime renders Unix nanoseconds as an RFC 3339 UTC time.
func fmtTime(ns int64) string { return time.Unix(0, ns).UTC().Format(timeLayout) }

// fmtNano renders Unix nanoseconds as a decimal string: int64 does not fit a JS number.
func fmtNano(ns int64) string { return strconv.FormatInt(ns, 10) }

// durationMs converts nanoseconds to float milliseconds.
func durationMs(ns int64) float64 { return float64(ns) / 1e6 }

// orEmpty returns s, or an empty (non-nil) slice, so JSON shows [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// finite returns p, or nil when it points at NaN or ±Inf (which JSON cannot carry).
func finite(p *float64) *float64 {
	if p == nil || !isFinite(*p) {
		return nil
	}
	return p
}

// traceSummaryJSON is docs/api.md's TraceSummary.
type traceSummaryJSON struct {
	TraceID         string   `json:"traceId"`
	RootName        string   `json:"rootName"`
	RootService     string   `json:"rootService"`
	HasRoot         bool     `json:"hasRoot"`
	StartTime       string   `json:"startTime"`
	StartUnixNano   string   `json:"startUnixNano"`
	DurationMs      float64  `json:"durationMs"`
	SpanCount       int      `json:"spanCount"`
	ErrorCount      int      `json:"errorCount"`
	GenerationCount int      `json:"generationCount"`
	InputTokens     int64    `json:"inputTokens"`
	OutputTokens    int64    `json:"outputTokens"`
	CostUSD         *float64 `json:"costUsd"`
	SessionID       string   `json:"sessionId"`
	UserID          string   `json:"userId"`
	Models          []string `json:"models"`
}

func renderSummary(t *store.TraceSummary) traceSummaryJSON {
	return traceSummaryJSON{
		TraceID: t.TraceID.String(), RootName: t.RootName, RootService: t.RootService, HasRoot: t.HasRoot,
		StartTime: fmtTime(t.StartUnixNano), StartUnixNano: fmtNano(t.StartUnixNano),
		DurationMs: durationMs(max(0, t.EndUnixNano-t.StartUnixNano)),
		SpanCount:  t.SpanCount, ErrorCount: t.ErrorCount, GenerationCount: t.GenerationCount,
		InputTokens: t.InputTokens, OutputTokens: t.OutputTokens, CostUSD: finite(t.CostUSD),
		SessionID: t.SessionID, UserID: t.UserID, Models: orEmpty(t.Models),
	}
}

type tracePageJSON struct {
	Traces     []traceSummaryJSON `json:"traces"`
	NextCursor string             `json:"nextCursor,omitempty"`
}

func renderTracePage(p *store.TracePage) tracePageJSON {
	out := tracePageJSON{Traces: make([]traceSummaryJSON, len(p.Traces)), NextCursor: p.NextCursor}
	for i := range p.Traces {
		out.Traces[i] = renderSummary(&p.Traces[i])
	}
	return out
}

type operationJSON struct {
	Name     string `json:"name"`
	SpanKind string `json:"spanKind"`
}

func renderOperations(ops []store.Operation) []operationJSON {
	out := make([]operationJSON, len(ops))
	for i, o := range ops {
		out[i] = operationJSON{Name: o.Name, SpanKind: o.SpanKind.String()}
	}
	return out
}

// sessionJSON is docs/api.md's Session.
type sessionJSON struct {
	ID              string   `json:"id"`
	Service         string   `json:"service"`
	UserID          string   `json:"userId"`
	TraceCount      int      `json:"traceCount"`
	ErrorCount      int      `json:"errorCount"`
	GenerationCount int      `json:"generationCount"`
	FirstTime       string   `json:"firstTime"`
	FirstUnixNano   string   `json:"firstUnixNano"`
	LastTime        string   `json:"lastTime"`
	LastUnixNano    string   `json:"lastUnixNano"`
	DurationMs      float64  `json:"durationMs"`
	InputTokens     int64    `json:"inputTokens"`
	OutputTokens    int64    `json:"outputTokens"`
	CostUSD         *float64 `json:"costUsd"`
	Success         *bool    `json:"success"`
}

func renderSession(s *store.SessionSummary) sessionJSON {
	return sessionJSON{
		ID: s.ID, Service: s.Service, UserID: s.UserID,
		TraceCount: s.TraceCount, ErrorCount: s.ErrorCount, GenerationCount: s.GenerationCount,
		FirstTime: fmtTime(s.FirstUnixNano), FirstUnixNano: fmtNano(s.FirstUnixNano),
		LastTime: fmtTime(s.LastUnixNano), LastUnixNano: fmtNano(s.LastUnixNano),
		DurationMs:  durationMs(max(0, s.LastUnixNano-s.FirstUnixNano)),
		InputTokens: s.InputTokens, OutputTokens: s.OutputTokens, CostUSD: finite(s.CostUSD), Success: s.Success,
	}
}

type sessionPageJSON struct {
	Sessions   []sessionJSON `json:"sessions"`
	NextCursor string        `json:"nextCursor,omitempty"`
}

func renderSessionPage(p *store.SessionPage) sessionPageJSON {
	out := sessionPageJSON{Sessions: make([]sessionJSON, len(p.Sessions)), NextCursor: p.NextCursor}
	for i := range p.Sessions {
		out.Sessions[i] = renderSession(&p.Sessions[i])
	}
	return out
}

// sessionTraceJSON is a TraceSummary with the conversation turn the trace holds.
type sessionTraceJSON struct {
	traceSummaryJSON
	FirstUserMessage string `json:"firstUserMessage"`
	LastAnswer       string `json:"lastAnswer"`
}

type sessionDetailJSON struct {
	Session sessionJSON        `json:"session"`
	Traces  []sessionTraceJSON `json:"traces"`
}

func renderSessionDetail(d *store.SessionDetail) sessionDetailJSON {
	out := sessionDetailJSON{Session: renderSession(&d.Summary), Traces: make([]sessionTraceJSON, len(d.Traces))}
	for i := range d.Traces {
		t := &d.Traces[i]
		out.Traces[i] = sessionTraceJSON{renderSummary(&t.TraceSummary), t.FirstUserMessage, t.LastAnswer}
	}
	return out
}

type genAIPointJSON struct {
	Time         string    `json:"time"`
	TimeUnixNano string    `json:"timeUnixNano"`
	Calls        int64     `json:"calls"`
	Errors       int64     `json:"errors"`
	ErrorRate    float64   `json:"errorRate"`
	P50Ms        *float64  `json:"p50Ms"`
	P95Ms        *float64  `json:"p95Ms"`
	P99Ms        *float64  `json:"p99Ms"`
	InputTokens  int64     `json:"inputTokens"`
	OutputTokens int64     `json:"outputTokens"`
	CostUSD      jsonFloat `json:"costUsd"`
}

type genAIGroupJSON struct {
	Key    string           `json:"key"`
	Points []genAIPointJSON `json:"points"`
}

type genAISeriesJSON struct {
	StepSeconds int64            `json:"stepSeconds"`
	Groups      []genAIGroupJSON `json:"groups"`
}

func renderGenAISeries(s *store.GenAISeries, step time.Duration) genAISeriesJSON {
	if s.Step > 0 {
		step = s.Step
	}
	out := genAISeriesJSON{StepSeconds: int64(step / time.Second), Groups: make([]genAIGroupJSON, len(s.Groups))}
	for i, g := range s.Groups {
		pts := make([]genAIPointJSON, len(g.Points))
		for j, p := range g.Points {
			rate := 0.0
			if p.Calls > 0 {
				rate = float64(p.Errors) / float64(p.Calls)
			}
			pts[j] = genAIPointJSON{
				Time: fmtTime(p.TimeUnixNano), TimeUnixNano: fmtNano(p.TimeUnixNano),
				Calls: p.Calls, Errors: p.Errors, ErrorRate: rate,
				P50Ms: finite(p.P50Ms), P95Ms: finite(p.P95Ms), P99Ms: finite(p.P99Ms),
				InputTokens: p.InputTokens, OutputTokens: p.OutputTokens, CostUSD: jsonFloat(p.CostUSD),
			}
		}
		out.Groups[i] = genAIGroupJSON{Key: g.Key, Points: pts}
	}
	return out
}

type modelJSON struct {
	Model         string   `json:"model"`
	Provider      string   `json:"provider"`
	Calls         int64    `json:"calls"`
	Errors        int64    `json:"errors"`
	InputTokens   int64    `json:"inputTokens"`
	OutputTokens  int64    `json:"outputTokens"`
	CostUSD       *float64 `json:"costUsd"`
	FirstTime     string   `json:"firstTime"`
	FirstUnixNano string   `json:"firstUnixNano"`
	LastTime      string   `json:"lastTime"`
	LastUnixNano  string   `json:"lastUnixNano"`
}

func renderModels(ms []store.ModelStats) []modelJSON {
	out := make([]modelJSON, len(ms))
	for i, m := range ms {
		out[i] = modelJSON{
			Model: m.Model, Provider: m.Provider, Calls: m.Calls, Errors: m.Errors,
			InputTokens: m.InputTokens, OutputTokens: m.OutputTokens, CostUSD: finite(m.CostUSD),
			FirstTime: fmtTime(m.FirstUnixNano), FirstUnixNano: fmtNano(m.FirstUnixNano),
			LastTime: fmtTime(m.LastUnixNano), LastUnixNano: fmtNano(m.LastUnixNano),
		}
	}
	return out
}

type metricPointJSON struct {
	Time              string         `json:"time"`
	TimeUnixNano      string         `json:"timeUnixNano"`
	StartTime         string         `json:"startTime"`
	StartTimeUnixNano string         `json:"startTimeUnixNano"`
	Value             jsonFloat      `json:"value"`
	Count             uint64         `json:"count"`
	Sum               jsonFloat      `json:"sum"`
	Min               *float64       `json:"min"`
	Max               *float64       `json:"max"`
	BucketCounts      []string       `json:"bucketCounts"`
	ExplicitBounds    []jsonFloat    `json:"explicitBounds"`
	Quantiles         [][2]jsonFloat `json:"quantiles"`
}

type metricSeriesJSON struct {
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Unit       string            `json:"unit"`
	Service    string            `json:"service"`
	Attributes map[string]any    `json:"attributes"`
	Points     []metricPointJSON `json:"points"`
}

func renderMetricSeries(ss []store.MetricSeries) []metricSeriesJSON {
	out := make([]metricSeriesJSON, len(ss))
	for i, s := range ss {
		pts := make([]metricPointJSON, 0, len(s.Points))
		for _, p := range s.Points {
			if p != nil {
				pts = append(pts, renderMetricPoint(p))
			}
		}
		out[i] = metricSeriesJSON{
			Name: s.Name, Type: string(s.Type), Unit: s.Unit, Service: s.Service,
			Attributes: renderAttrs(s.Attributes), Points: pts,
		}
	}
	return out
}

func renderMetricPoint(p *telemetry.MetricPoint) metricPointJSON {
	counts := make([]string, len(p.BucketCounts))
	for i, c := range p.BucketCounts {
		counts[i] = strconv.FormatUint(c, 10)
	}
	bounds := make([]jsonFloat, len(p.ExplicitBounds))
	for i, b := range p.ExplicitBounds {
		bounds[i] = jsonFloat(b)
	}
	quantiles := make([][2]jsonFloat, len(p.Quantiles))
	for i, q := range p.Quantiles {
		quantiles[i] = [2]jsonFloat{jsonFloat(q[0]), jsonFloat(q[1])}
	}
	return metricPointJSON{
		Time: fmtTime(p.TimeUnixNano), TimeUnixNano: fmtNano(p.TimeUnixNano),
		StartTime: fmtTime(p.StartTimeUnixNano), StartTimeUnixNano: fmtNano(p.StartTimeUnixNano),
		Value: jsonFloat(p.Value), Count: p.Count, Sum: jsonFloat(p.Sum), Min: finite(p.Min), Max: finite(p.Max),
		BucketCounts: counts, ExplicitBounds: bounds, Quantiles: quantiles,
	}
}

// infoJSON is GET /api/v1/info.
type infoJSON struct {
	Version                string `json:"version"`
	OTLPGRPC               string `json:"otlpGrpc"`
	OTLPHTTP               string `json:"otlpHttp"`
	BreezeConnectionString string `json:"breezeConnectionString"`
	AuthRequired           bool   `json:"authRequired"`
}
