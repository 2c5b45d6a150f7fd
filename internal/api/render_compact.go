package api

import (
	"math"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// The compact form of a trace (GET /api/v1/traces/{traceId}?view=compact, docs/api.md) holds
// everything the full form does in about a third of the bytes, for the UI's trace page: no
// per-span copy of the trace id, resource and scope (indexes into tables instead), one time
// format (nanosecond offsets from baseUnixNano, plain JSON numbers), and empty or zero fields
// left out. For a 10,000-span trace of small spans it is ~2 MB instead of ~6.3 MB, and quicker
// to encode and to parse.

// compactResourceJSON is an entry of the compact form's resources table.
type compactResourceJSON struct {
	Service    string         `json:"service"`
	Attributes map[string]any `json:"attributes"`
}

// compactSpanJSON is a span of the compact form.
type compactSpanJSON struct {
	SpanID       string             `json:"spanId"`
	ParentSpanID string             `json:"parentSpanId,omitempty"`
	Name         string             `json:"name"`
	Kind         string             `json:"kind,omitempty"`
	Start        int64              `json:"start"`
	End          int64              `json:"end"`
	Status       *statusJSON        `json:"status,omitempty"`
	Attributes   map[string]any     `json:"attributes,omitempty"`
	Resource     int                `json:"resource"`
	Scope        int                `json:"scope"`
	Events       []compactEventJSON `json:"events,omitempty"`
	Links        []linkJSON         `json:"links,omitempty"`
	Logs         []compactLogJSON   `json:"logs,omitempty"`
	Truncated    map[string]int     `json:"truncated,omitempty"`
	SessionID    string             `json:"sessionId,omitempty"`
	UserID       string             `json:"userId,omitempty"`
	Generation   *generationJSON    `json:"generation,omitempty"`
}

type compactEventJSON struct {
	Name       string         `json:"name"`
	Time       int64          `json:"time"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// compactLogJSON is a log record of the compact form. A span's records leave out the trace and
// span ids (they are the span's); orphan records keep them.
type compactLogJSON struct {
	Time           int64          `json:"time"`
	TraceID        string         `json:"traceId,omitempty"`
	SpanID         string         `json:"spanId,omitempty"`
	SeverityNumber int32          `json:"severityNumber,omitempty"`
	SeverityText   string         `json:"severityText,omitempty"`
	EventName      string         `json:"eventName,omitempty"`
	Body           any            `json:"body,omitempty"`
	Attributes     map[string]any `json:"attributes,omitempty"`
	Resource       int            `json:"resource"`
	Truncated      map[string]int `json:"truncated,omitempty"`
}

// compactTrace streams the compact form of a prepared trace.
type compactTrace struct {
	p         *preparedTrace
	base      int64 // baseUnixNano: the earliest span start
	resources []compactResourceJSON
	resIndex  map[*telemetry.Resource]int
	scopes    []telemetry.Scope
	scopeIdx  map[telemetry.Scope]int
}

func newCompactTrace(p *preparedTrace) *compactTrace {
	c := &compactTrace{p: p, base: p.summary.StartUnixNano, resIndex: map[*telemetry.Resource]int{}, scopeIdx: map[telemetry.Scope]int{}}
	if len(p.spans) > 0 {
		c.base = math.MaxInt64
		for _, s := range p.spans {
			c.base = min(c.base, s.StartUnixNano)
		}
	}
	// The tables are built up front: the spans refer to them, and they are written first.
	for _, s := range p.spans {
		c.resource(s.Resource)
		c.scope(s.Scope)
	}
	for _, logs := range p.logs {
		for _, l := range logs {
			c.resource(l.Resource)
		}
	}
	for _, l := range p.orphans {
		c.resource(l.Resource)
	}
	return c
}

// resource returns r's index in the resources table, adding it when new. The store hands out
// one *Resource per stored resource, so pointers identify them.
func (c *compactTrace) resource(r *telemetry.Resource) int {
	if i, ok := c.resIndex[r]; ok {
		return i
	}
	i := len(c.resources)
	c.resIndex[r] = i
	c.resources = append(c.resources, compactResourceJSON{Service: r.ServiceName(), Attributes: renderResource(r)})
	return i
}

func (c *compactTrace) scope(s telemetry.Scope) int {
	if i, ok := c.scopeIdx[s]; ok {
		return i
	}
	i := len(c.scopes)
	c.scopeIdx[s] = i
	c.scopes = append(c.scopes, s)
	return i
}

func (c *compactTrace) stream(j *jsonStream) error {
	p := c.p
	j.raw(`{"summary":`)
	j.value(renderSummary(&p.summary))
	j.raw(`,"baseUnixNano":"`)
	j.raw(fmtNano(c.base))
	j.raw(`","resources":`)
	j.list(len(c.resources), func(i int) any { return &c.resources[i] })
	j.raw(`,"scopes":`)
	j.list(len(c.scopes), func(i int) any { return scopeJSON{Name: c.scopes[i].Name, Version: c.scopes[i].Version} })
	j.raw(`,"spans":`)
	j.list(len(p.spans), func(i int) any { return c.span(p.spans[i], p.logs[i]) })
	j.raw(`,"orphanLogs":`)
	j.list(len(p.orphans), func(i int) any { return c.log(p.orphans[i], true) })
	j.raw("}\n")
	return j.err
}

func (c *compactTrace) span(s *telemetry.Span, logs []*telemetry.LogRecord) *compactSpanJSON {
	out := &compactSpanJSON{
		SpanID: s.SpanID.String(), Name: s.Name,
		Start: s.StartUnixNano - c.base, End: s.EndUnixNano - c.base,
		Resource: c.resIndex[s.Resource], Scope: c.scopeIdx[s.Scope],
		SessionID: s.SessionID, UserID: s.UserID, Generation: renderGeneration(s.Generation),
	}
	if !s.ParentSpanID.IsZero() {
		out.ParentSpanID = s.ParentSpanID.String()
	}
	if s.Kind != telemetry.SpanKindUnspecified {
		out.Kind = s.Kind.String()
	}
	if s.Status.Code != telemetry.StatusUnset || s.Status.Message != "" {
		out.Status = &statusJSON{Code: s.Status.Code.String(), Message: s.Status.Message}
	}
	if len(s.Attributes) > 0 {
		out.Attributes = renderAttrs(s.Attributes)
	}
	if len(s.Truncated) > 0 {
		out.Truncated = s.Truncated
	}
	if len(s.Events) > 0 {
		out.Events = make([]compactEventJSON, len(s.Events))
		for i, e := range s.Events {
			out.Events[i] = compactEventJSON{Name: e.Name, Time: e.TimeUnixNano - c.base, Attributes: nonEmptyAttrs(e.Attributes)}
		}
	}
	if len(s.Links) > 0 {
		out.Links = make([]linkJSON, len(s.Links))
		for i, l := range s.Links {
			out.Links[i] = linkJSON{TraceID: idOrEmpty(l.TraceID), SpanID: l.SpanID.String(), Attributes: renderAttrs(l.Attributes)}
		}
	}
	if len(logs) > 0 {
		out.Logs = make([]compactLogJSON, len(logs))
		for i, l := range logs {
			out.Logs[i] = *c.log(l, false)
		}
	}
	return out
}

// log renders a record; ids are kept for orphans only.
func (c *compactTrace) log(l *telemetry.LogRecord, orphan bool) *compactLogJSON {
	out := &compactLogJSON{
		Time: l.TimeUnixNano - c.base, SeverityNumber: l.SeverityNumber, SeverityText: l.SeverityText, EventName: l.EventName,
		Body: safeValue(l.Body), Attributes: nonEmptyAttrs(l.Attributes), Resource: c.resIndex[l.Resource],
	}
	if orphan {
		out.TraceID = idOrEmpty(l.TraceID)
		if !l.SpanID.IsZero() {
			out.SpanID = l.SpanID.String()
		}
	}
	if len(l.Truncated) > 0 {
		out.Truncated = l.Truncated
	}
	return out
}

// nonEmptyAttrs is renderAttrs, with nil for no attributes (omitted by omitempty).
func nonEmptyAttrs(a telemetry.Attributes) map[string]any {
	if len(a) == 0 {
		return nil
	}
	return renderAttrs(a)
}
