package otlp

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Protobuf field numbers of the OTLP messages the fallback walks (opentelemetry-proto v1).
const (
	fieldResourceItems = 1 // Export*ServiceRequest.resource_{spans,logs,metrics}
	fieldScopeItems    = 2 // Resource*.scope_{spans,logs,metrics}
	// fieldDeprecatedScopeItems is the pre-1.0 instrumentation_library_{spans,logs,metrics};
	// pdata reads it when a resource has no field 2.
	fieldDeprecatedScopeItems = 1000
	fieldItems                = 2 // Scope*.{spans,log_records,metrics}

	fieldSpanTraceID  = 1
	fieldSpanSpanID   = 2
	fieldSpanParentID = 4
	fieldSpanLinks    = 13
	fieldLinkTraceID  = 1
	fieldLinkSpanID   = 2

	fieldLogTraceID = 9
	fieldLogSpanID  = 10

	fieldExemplarSpanID  = 4
	fieldExemplarTraceID = 5
)

// idField is one id field of a message: its number, name for messages, and required length.
type idField struct {
	num  protowire.Number
	name string
	size int
}

var (
	spanIDFields     = []idField{{fieldSpanTraceID, "trace id", 16}, {fieldSpanSpanID, "span id", 8}, {fieldSpanParentID, "parent span id", 8}}
	linkIDFields     = []idField{{fieldLinkTraceID, "trace id", 16}, {fieldLinkSpanID, "span id", 8}}
	logIDFields      = []idField{{fieldLogTraceID, "trace id", 16}, {fieldLogSpanID, "span id", 8}}
	exemplarIDFields = []idField{{fieldExemplarTraceID, "trace id", 16}, {fieldExemplarSpanID, "span id", 8}}
)

// metricPointPaths lead from a Metric to its data points' exemplars:
// gauge(5)/sum(7)/histogram(9)/exponential_histogram(10) → data_points(1) → exemplars.
var metricPointPaths = [][]protowire.Number{{5, 1, 5}, {7, 1, 5}, {9, 1, 8}, {10, 1, 11}}

// rewriteProto copies msg, replacing every length-delimited field numbered path[0] by its
// rewrite with path[1:] or, at the end of the path, by leaf(value). leaf returns keep=false to
// drop the field. Other fields are copied byte for byte, so nothing else changes.
func rewriteProto(msg []byte, path []protowire.Number, leaf func([]byte) ([]byte, bool)) ([]byte, error) {
	out := make([]byte, 0, len(msg))
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, msg[n:])
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		field := msg[:n+m]
		msg = msg[n+m:]
		if num != path[0] || typ != protowire.BytesType {
			out = append(out, field...)
			continue
		}
		v, _ := protowire.ConsumeBytes(field[n:])
		sub, keep := v, true
		if len(path) == 1 {
			sub, keep = leaf(v)
		} else {
			var err error
			if sub, err = rewriteProto(v, path[1:], leaf); err != nil {
				return nil, err
			}
		}
		if keep {
			out = protowire.AppendTag(out, num, protowire.BytesType)
			out = protowire.AppendBytes(out, sub)
		}
	}
	return out, nil
}

// rewriteItems applies leaf to every item (span, log record, metric) of an Export*Request in
// the order pdata will see them: per resource, its scope groups (field 2), or when it has none
// the deprecated ones (field 1000), exactly as pdata's migration does, so that item ordinals
// counted here match the ordinals of the conversion.
func rewriteItems(body []byte, leaf func([]byte) ([]byte, bool)) ([]byte, error) {
	var err error
	out, rerr := rewriteProto(body, []protowire.Number{fieldResourceItems}, func(res []byte) ([]byte, bool) {
		scopeField := protowire.Number(fieldScopeItems)
		if !hasProtoField(res, fieldScopeItems) {
			scopeField = fieldDeprecatedScopeItems
		}
		fixed, ferr := rewriteProto(res, []protowire.Number{scopeField, fieldItems}, leaf)
		if ferr != nil {
			err = ferr
			return res, true
		}
		return fixed, true
	})
	if rerr != nil {
		return nil, rerr
	}
	return out, err
}

// hasProtoField reports whether msg holds a length-delimited field numbered num.
func hasProtoField(msg []byte, num protowire.Number) bool {
	found := false
	_, _ = rewriteProto(msg, []protowire.Number{num}, func(v []byte) ([]byte, bool) {
		found = true
		return v, true
	})
	return found
}

// checkProtoIDs lists the id fields of msg whose length is neither 0 (absent) nor the
// required one. A malformed message yields no problems: pdata reports it afterwards.
func checkProtoIDs(msg []byte, ids []idField) []string {
	var problems []string
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return problems
		}
		m := protowire.ConsumeFieldValue(num, typ, msg[n:])
		if m < 0 {
			return problems
		}
		if typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(msg[n : n+m])
			for _, id := range ids {
				if id.num == num && len(v) != 0 && len(v) != id.size {
					problems = append(problems, fmt.Sprintf("%s has %d bytes; want %d", id.name, len(v), id.size))
				}
			}
		}
		msg = msg[n+m:]
	}
	return problems
}

// dropProtoFields copies msg without the given length-delimited fields.
func dropProtoFields(msg []byte, ids []idField) []byte {
	out := msg
	for _, id := range ids {
		out, _ = rewriteProto(out, []protowire.Number{id.num}, func([]byte) ([]byte, bool) { return nil, false })
	}
	return out
}

// fixTracesProto rejects (via idFixes) and strips the ids of every span with an id of the
// wrong length, and drops links with such ids, so pdata can decode the rest.
func fixTracesProto(body []byte) ([]byte, *idFixes, error) {
	fixes := &idFixes{}
	ord := 0
	out, err := rewriteItems(body, func(span []byte) ([]byte, bool) {
		if p := checkProtoIDs(span, spanIDFields); len(p) > 0 {
			fixes.mark(ord, joinProblems(p))
			span = dropProtoFields(span, spanIDFields)
		}
		ord++
		span, _ = rewriteProto(span, []protowire.Number{fieldSpanLinks}, func(link []byte) ([]byte, bool) {
			if len(checkProtoIDs(link, linkIDFields)) > 0 {
				fixes.linksDropped++
				fixes.changed = true
				return nil, false
			}
			return link, true
		})
		return span, true
	})
	return out, fixes, err
}

// fixLogsProto strips both ids of every log record with an id of the wrong length; the
// conversion then keeps the record unlinked.
func fixLogsProto(body []byte) ([]byte, *idFixes, error) {
	fixes := &idFixes{}
	ord := 0
	out, err := rewriteItems(body, func(rec []byte) ([]byte, bool) {
		if p := checkProtoIDs(rec, logIDFields); len(p) > 0 {
			fixes.mark(ord, joinProblems(p))
			rec = dropProtoFields(rec, logIDFields)
		}
		ord++
		return rec, true
	})
	return out, fixes, err
}

// fixMetricsProto strips the ids of exemplars with an id of the wrong length (Cairn does not
// store exemplars, so the points themselves are unaffected).
func fixMetricsProto(body []byte) ([]byte, *idFixes, error) {
	fixes := &idFixes{}
	fixExemplar := func(ex []byte) ([]byte, bool) {
		if len(checkProtoIDs(ex, exemplarIDFields)) > 0 {
			fixes.exemplarsFixed++
			fixes.changed = true
			ex = dropProtoFields(ex, exemplarIDFields)
		}
		return ex, true
	}
	out, err := rewriteItems(body, func(metric []byte) ([]byte, bool) {
		for _, path := range metricPointPaths {
			if fixed, err := rewriteProto(metric, path, fixExemplar); err == nil {
				metric = fixed
			}
		}
		return metric, true
	})
	return out, fixes, err
}

func joinProblems(p []string) string {
	s := p[0]
	for _, x := range p[1:] {
		s += ", " + x
	}
	return s
}
