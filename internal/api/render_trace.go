package api

import (
	"slices"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// traceJSON is GET /api/v1/traces/{traceId}.
type traceJSON struct {
	Summary    traceSummaryJSON `json:"summary"`
	Spans      []spanJSON       `json:"spans"`
	OrphanLogs []logJSON        `json:"orphanLogs"`
}

type statusJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type scopeJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type eventJSON struct {
	Name         string         `json:"name"`
	Time         string         `json:"time"`
	TimeUnixNano string         `json:"timeUnixNano"`
	Attributes   map[string]any `json:"attributes"`
}

type linkJSON struct {
	TraceID    string         `json:"traceId"`
	SpanID     string         `json:"spanId"`
	Attributes map[string]any `json:"attributes"`
}

// spanJSON is docs/api.md's Span.
type spanJSON struct {
	TraceID       string          `json:"traceId"`
	SpanID        string          `json:"spanId"`
	ParentSpanID  string          `json:"parentSpanId"`
	Name          string          `json:"name"`
	Kind          string          `json:"kind"`
	Service       string          `json:"service"`
	StartTime     string          `json:"startTime"`
	StartUnixNano string          `json:"startUnixNano"`
	EndTime       string          `json:"endTime"`
	EndUnixNano   string          `json:"endUnixNano"`
	DurationMs    float64         `json:"durationMs"`
	Status        statusJSON      `json:"status"`
	Attributes    map[string]any  `json:"attributes"`
	Resource      map[string]any  `json:"resource"`
	Scope         scopeJSON       `json:"scope"`
	Events        []eventJSON     `json:"events"`
	Links         []linkJSON      `json:"links"`
	Logs          []logJSON       `json:"logs"`
	Truncated     map[string]int  `json:"truncated"`
	SessionID     string          `json:"sessionId"`
	UserID        string          `json:"userId"`
	Generation    *generationJSON `json:"generation"`
}

// logJSON is docs/api.md's Log.
type logJSON struct {
	Time           string         `json:"time"`
	TimeUnixNano   string         `json:"timeUnixNano"`
	TraceID        string         `json:"traceId"`
	SpanID         string         `json:"spanId"`
	SeverityNumber int32          `json:"severityNumber"`
	SeverityText   string         `json:"severityText"`
	EventName      string         `json:"eventName"`
	Body           any            `json:"body"`
	Attributes     map[string]any `json:"attributes"`
	Resource       map[string]any `json:"resource"`
	Truncated      map[string]int `json:"truncated"`
}

// renderTrace renders a whole trace: each span with the log records linked to it, and the
// records whose span id matches no span as orphanLogs. enrich, when non-nil, completes each
// span from its records first.
func renderTrace(t *store.Trace, enrich Enricher) traceJSON {
	bySpan := make(map[telemetry.SpanID][]*telemetry.LogRecord, len(t.Spans))
	for _, s := range t.Spans {
		if s != nil {
			bySpan[s.SpanID] = nil
		}
	}
	orphans := []logJSON{}
	for _, l := range t.Logs {
		if l == nil {
			continue
		}
		if logs, ok := bySpan[l.SpanID]; ok && !l.SpanID.IsZero() {
			bySpan[l.SpanID] = append(logs, l)
		} else {
			orphans = append(orphans, renderLog(l))
		}
	}
	sum := t.Summary
	sum.Models = slices.Clone(sum.Models)
	out := traceJSON{Spans: make([]spanJSON, 0, len(t.Spans)), OrphanLogs: orphans}
	for _, s := range t.Spans {
		if s == nil {
			continue
		}
		logs := bySpan[s.SpanID]
		if enrich != nil {
			before := genFactsOf(s.Generation)
			enrich(s, logs)
			adjustSummary(&sum, before, genFactsOf(s.Generation))
		}
		out.Spans = append(out.Spans, renderSpan(s, logs))
	}
	out.Summary = renderSummary(&sum)
	return out
}

// genFacts is what one generation contributes to its trace's summary, copied (the enricher
// changes the generation in place).
type genFacts struct {
	present        bool
	in, out        int64
	cost           float64
	costKnown      bool
	request, reply string
}

func genFactsOf(g *telemetry.Generation) genFacts {
	if g == nil {
		return genFacts{}
	}
	f := genFacts{present: true, request: g.RequestModel, reply: g.ResponseModel}
	if g.Usage.InputTokens != nil {
		f.in = *g.Usage.InputTokens
	}
	if g.Usage.OutputTokens != nil {
		f.out = *g.Usage.OutputTokens
	}
	if g.CostUSD != nil && isFinite(*g.CostUSD) {
		f.cost, f.costKnown = *g.CostUSD, true
	}
	return f
}

// adjustSummary applies to the stored summary what enriching one span changed. The store summed
// generations as they were written, while the enricher can create one (a model call whose span
// had no GenAI attributes and whose content came as log records) or complete one (usage, models
// and cost from a gen_ai.client.inference.operation.details record). Only a trace's detail is
// adjusted: trace lists, sessions and search filters see the summary as written (docs/api.md).
func adjustSummary(sum *store.TraceSummary, before, after genFacts) {
	switch {
	case after.present && !before.present:
		sum.GenerationCount++
	case before.present && !after.present:
		sum.GenerationCount--
	}
	sum.InputTokens += after.in - before.in
	sum.OutputTokens += after.out - before.out
	if after.costKnown || before.costKnown {
		c := 0.0
		if sum.CostUSD != nil {
			c = *sum.CostUSD
		}
		c += after.cost - before.cost
		sum.CostUSD = &c
	}
	for _, m := range []string{after.request, after.reply} {
		if m == "" {
			continue
		}
		if i, found := slices.BinarySearch(sum.Models, m); !found {
			sum.Models = slices.Insert(sum.Models, i, m)
		}
	}
}

func renderSpan(s *telemetry.Span, logs []*telemetry.LogRecord) spanJSON {
	out := spanJSON{
		TraceID: s.TraceID.String(), SpanID: s.SpanID.String(), ParentSpanID: s.ParentSpanID.String(),
		Name: s.Name, Kind: s.Kind.String(), Service: s.Service(),
		StartTime: fmtTime(s.StartUnixNano), StartUnixNano: fmtNano(s.StartUnixNano),
		EndTime: fmtTime(s.EndUnixNano), EndUnixNano: fmtNano(s.EndUnixNano),
		DurationMs: durationMs(s.DurationNano()),
		Status:     statusJSON{Code: s.Status.Code.String(), Message: s.Status.Message},
		Attributes: renderAttrs(s.Attributes), Resource: renderResource(s.Resource),
		Scope:  scopeJSON{Name: s.Scope.Name, Version: s.Scope.Version},
		Events: make([]eventJSON, len(s.Events)), Links: make([]linkJSON, len(s.Links)),
		Logs: make([]logJSON, len(logs)), Truncated: orEmptyMap(s.Truncated),
		SessionID: s.SessionID, UserID: s.UserID, Generation: renderGeneration(s.Generation),
	}
	for i, e := range s.Events {
		out.Events[i] = eventJSON{Name: e.Name, Time: fmtTime(e.TimeUnixNano), TimeUnixNano: fmtNano(e.TimeUnixNano), Attributes: renderAttrs(e.Attributes)}
	}
	for i, l := range s.Links {
		out.Links[i] = linkJSON{TraceID: idOrEmpty(l.TraceID), SpanID: l.SpanID.String(), Attributes: renderAttrs(l.Attributes)}
	}
	for i, l := range logs {
		out.Logs[i] = renderLog(l)
	}
	return out
}

func renderLog(l *telemetry.LogRecord) logJSON {
	return logJSON{
		Time: fmtTime(l.TimeUnixNano), TimeUnixNano: fmtNano(l.TimeUnixNano),
		TraceID: idOrEmpty(l.TraceID), SpanID: l.SpanID.String(),
		SeverityNumber: l.SeverityNumber, SeverityText: l.SeverityText, EventName: l.EventName,
		Body: safeValue(l.Body), Attributes: renderAttrs(l.Attributes), Resource: renderResource(l.Resource),
		Truncated: orEmptyMap(l.Truncated),
	}
}

// renderResource renders a resource as its attributes, {} when there is none.
func renderResource(r *telemetry.Resource) map[string]any {
	if r == nil {
		return map[string]any{}
	}
	return renderAttrs(r.Attributes)
}

// idOrEmpty renders a trace id, "" for the zero (absent) id, as span ids render.
func idOrEmpty(id telemetry.TraceID) string {
	if id.IsZero() {
		return ""
	}
	return id.String()
}

func orEmptyMap(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}
