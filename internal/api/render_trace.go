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

// preparedTrace is a trace read from the store with each span's log records linked to it and
// the enricher applied: what both forms of GET /api/v1/traces/{traceId} render.
type preparedTrace struct {
	summary store.TraceSummary
	spans   []*telemetry.Span
	logs    [][]*telemetry.LogRecord // logs[i] are spans[i]'s records
	orphans []*telemetry.LogRecord   // records whose span id matches no span
}

// prepareTrace links each span to its log records, the records whose span id matches no span
// becoming orphans, and lets enrich, when non-nil, complete each span from its records, keeping
// the summary in step. It modifies the spans of t.
func prepareTrace(t *store.Trace, enrich Enricher) *preparedTrace {
	p := &preparedTrace{summary: t.Summary, spans: make([]*telemetry.Span, 0, len(t.Spans))}
	p.summary.Models = slices.Clone(p.summary.Models)
	index := make(map[telemetry.SpanID]int, len(t.Spans))
	for _, s := range t.Spans {
		if s != nil {
			if _, dup := index[s.SpanID]; !dup {
				index[s.SpanID] = len(p.spans)
			}
			p.spans = append(p.spans, s)
		}
	}
	p.logs = make([][]*telemetry.LogRecord, len(p.spans))
	for _, l := range t.Logs {
		if l == nil {
			continue
		}
		if i, ok := index[l.SpanID]; ok && !l.SpanID.IsZero() {
			p.logs[i] = append(p.logs[i], l)
		} else {
			p.orphans = append(p.orphans, l)
		}
	}
	if enrich != nil {
		for i, s := range p.spans {
			before := genFactsOf(s.Generation)
			enrich(s, p.logs[i])
			adjustSummary(&p.summary, before, genFactsOf(s.Generation))
		}
	}
	return p
}

// renderTrace renders a whole trace in the full form: each span with the log records linked to
// it, and the records whose span id matches no span as orphanLogs. enrich, when non-nil,
// completes each span from its records first. GET /api/v1/traces/{traceId} streams the same
// document (fullTrace) instead of building it.
func renderTrace(t *store.Trace, enrich Enricher) traceJSON {
	p := prepareTrace(t, enrich)
	out := traceJSON{Summary: renderSummary(&p.summary), Spans: make([]spanJSON, len(p.spans)), OrphanLogs: make([]logJSON, len(p.orphans))}
	for i, s := range p.spans {
		out.Spans[i] = renderSpan(s, p.logs[i])
	}
	for i, l := range p.orphans {
		out.OrphanLogs[i] = renderLog(l)
	}
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

// fullTrace streams GET /api/v1/traces/{traceId}: the document renderTrace builds, rendered and
// encoded one span at a time.
type fullTrace struct{ p *preparedTrace }

func (t fullTrace) stream(j *jsonStream) error {
	p := t.p
	j.raw(`{"summary":`)
	j.value(renderSummary(&p.summary))
	j.raw(`,"spans":`)
	j.list(len(p.spans), func(i int) any { return renderSpan(p.spans[i], p.logs[i]) })
	j.raw(`,"orphanLogs":`)
	j.list(len(p.orphans), func(i int) any { return renderLog(p.orphans[i]) })
	j.raw("}\n")
	return j.err
}
