package otlp

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// decodeTraces decodes an ExportTraceServiceRequest body into spans. Spans with unusable ids
// are left out and described in the report; err is set only when the body is undecodable.
func decodeTraces(body []byte, enc encoding) ([]*telemetry.Span, *report, error) {
	req, fixes, err := decodeTolerant(body, enc, ptraceotlp.NewExportRequest, fixTraces)
	if err != nil {
		return nil, nil, err
	}
	rep := &report{}
	spans := convertTraces(req.Traces(), fixes, rep)
	return spans, rep, nil
}

func fixTraces(body []byte, enc encoding) ([]byte, *idFixes, error) {
	if enc == encJSON {
		return fixTracesJSON(body)
	}
	return fixTracesProto(body)
}

// convertTraces turns pdata traces into spans. A span whose trace id or span id is all zeros,
// or whose ids the fallback found unusable, is rejected individually.
func convertTraces(td ptrace.Traces, fixes *idFixes, rep *report) []*telemetry.Span {
	var bad map[int]string
	if fixes != nil {
		bad = fixes.bad
		if fixes.linksDropped > 0 {
			rep.warn("%d span links dropped: their trace or span id had the wrong length", fixes.linksDropped)
		}
	}
	n := td.SpanCount()
	// One allocation for all spans; pointers into it stay valid because it never grows.
	store := make([]telemetry.Span, 0, n)
	out := make([]*telemetry.Span, 0, n)
	ord := 0
	for ri, rs := range td.ResourceSpans().All() {
		res := convertResource(rs.Resource())
		for si, ss := range rs.ScopeSpans().All() {
			scope := convertScope(ss.Scope())
			for ki, s := range ss.Spans().All() {
				problem, ok := bad[ord]
				if !ok {
					problem = zeroIDProblem(s)
				}
				if problem != "" {
					rep.reject("span %d (resourceSpans[%d].scopeSpans[%d].spans[%d]) rejected: %s",
						ord, ri, si, ki, problem)
					ord++
					continue
				}
				ord++
				store = append(store, convertSpan(s, res, scope))
				out = append(out, &store[len(store)-1])
			}
		}
	}
	return out
}

func zeroIDProblem(s ptrace.Span) string {
	switch {
	case s.TraceID().IsEmpty():
		return "trace id is missing or all zeros"
	case s.SpanID().IsEmpty():
		return "span id is missing or all zeros"
	}
	return ""
}

func convertSpan(s ptrace.Span, res *telemetry.Resource, scope telemetry.Scope) telemetry.Span {
	st := s.Status()
	return telemetry.Span{
		TraceID:       telemetry.TraceID(s.TraceID()),
		SpanID:        telemetry.SpanID(s.SpanID()),
		ParentSpanID:  telemetry.SpanID(s.ParentSpanID()),
		TraceState:    s.TraceState().AsRaw(),
		Name:          s.Name(),
		Kind:          convertKind(s.Kind()),
		StartUnixNano: nanos(s.StartTimestamp()),
		EndUnixNano:   nanos(s.EndTimestamp()),
		Attributes:    convertAttrs(s.Attributes()),
		Events:        convertEvents(s.Events()),
		Links:         convertLinks(s.Links()),
		Status:        telemetry.Status{Code: convertStatusCode(st.Code()), Message: st.Message()},
		Resource:      res,
		Scope:         scope,
	}
}

// convertKind keeps OTLP's numbering; values outside the enum become unspecified.
func convertKind(k ptrace.SpanKind) telemetry.SpanKind {
	if k < 0 || k > ptrace.SpanKindConsumer {
		return telemetry.SpanKindUnspecified
	}
	return telemetry.SpanKind(k)
}

// convertStatusCode keeps OTLP's numbering; values outside the enum become unset.
func convertStatusCode(c ptrace.StatusCode) telemetry.StatusCode {
	if c < 0 || c > ptrace.StatusCodeError {
		return telemetry.StatusUnset
	}
	return telemetry.StatusCode(c)
}

func convertEvents(es ptrace.SpanEventSlice) []telemetry.Event {
	if es.Len() == 0 {
		return nil
	}
	out := make([]telemetry.Event, es.Len())
	for i, e := range es.All() {
		out[i] = telemetry.Event{
			TimeUnixNano: nanos(e.Timestamp()),
			Name:         e.Name(),
			Attributes:   convertOptionalAttrs(e.Attributes()),
		}
	}
	return out
}

func convertLinks(ls ptrace.SpanLinkSlice) []telemetry.Link {
	if ls.Len() == 0 {
		return nil
	}
	out := make([]telemetry.Link, ls.Len())
	for i, l := range ls.All() {
		out[i] = telemetry.Link{
			TraceID:    telemetry.TraceID(l.TraceID()),
			SpanID:     telemetry.SpanID(l.SpanID()),
			TraceState: l.TraceState().AsRaw(),
			Attributes: convertOptionalAttrs(l.Attributes()),
		}
	}
	return out
}
