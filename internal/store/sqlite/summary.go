package sqlite

import (
	"slices"
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// traceAgg is a trace summary under construction. Combining two aggregates is associative and
// commutative except for first-wins fields (session, user), which makes the summary right
// whatever order spans arrive in.
type traceAgg struct {
	id          telemetry.TraceID
	start, end  int64
	rootName    string
	rootService string
	hasRoot     bool
	rootStart   int64 // start of the span naming the trace (root, else earliest)
	spans       int
	errors      int
	gens        int
	in, out     int64
	cost        float64
	costKnown   bool
	session     string
	user        string
	models      []string // sorted set
	services    []string // sorted set
	success     *bool
	successNs   int64
}

// spanAgg is the aggregate of one span.
func spanAgg(sp *telemetry.Span, service string) *traceAgg {
	a := &traceAgg{
		id: sp.TraceID, start: sp.StartUnixNano, end: sp.EndUnixNano,
		rootName: sp.Name, rootService: service, hasRoot: sp.ParentSpanID.IsZero(), rootStart: sp.StartUnixNano,
		spans: 1, session: sp.SessionID, user: sp.UserID, services: []string{setItem(service)},
	}
	if a.end < a.start {
		a.end = a.start
	}
	if sp.Status.Code == telemetry.StatusError {
		a.errors = 1
	}
	if g := sp.Generation; g != nil && g.IsModelCall() {
		a.gens = 1
		if g.Usage.InputTokens != nil {
			a.in = *g.Usage.InputTokens
		}
		if g.Usage.OutputTokens != nil {
			a.out = *g.Usage.OutputTokens
		}
		if g.CostUSD != nil {
			a.cost, a.costKnown = *g.CostUSD, true
		}
		for _, m := range []string{g.RequestModel, g.ResponseModel} {
			if m != "" {
				a.models = addToSet(a.models, setItem(m))
			}
		}
	}
	if v, ok := sessionSuccess(sp.Attributes); ok {
		a.success, a.successNs = &v, sp.StartUnixNano
	}
	return a
}

// sessionSuccess reads attribute session.success: bool true/false or string "true"/"false".
func sessionSuccess(a telemetry.Attributes) (bool, bool) {
	switch v := a["session.success"].(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(v) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// merge folds b into a.
func (a *traceAgg) merge(b *traceAgg) {
	switch {
	case a.hasRoot && b.hasRoot:
		if b.rootStart < a.rootStart {
			a.rootName, a.rootService, a.rootStart = b.rootName, b.rootService, b.rootStart
		}
	case b.hasRoot:
		a.rootName, a.rootService, a.rootStart, a.hasRoot = b.rootName, b.rootService, b.rootStart, true
	case !a.hasRoot && b.rootStart < a.rootStart:
		a.rootName, a.rootService, a.rootStart = b.rootName, b.rootService, b.rootStart
	}
	a.start = min(a.start, b.start)
	a.end = max(a.end, b.end)
	a.spans += b.spans
	a.errors += b.errors
	a.gens += b.gens
	a.in += b.in
	a.out += b.out
	if b.costKnown {
		a.cost += b.cost
		a.costKnown = true
	}
	if a.session == "" {
		a.session = b.session
	}
	if a.user == "" {
		a.user = b.user
	}
	for _, m := range b.models {
		a.models = addToSet(a.models, m)
	}
	for _, s := range b.services {
		a.services = addToSet(a.services, s)
	}
	if b.success != nil && (a.success == nil || b.successNs >= a.successNs) {
		a.success, a.successNs = b.success, b.successNs
	}
}

func addToSet(set []string, v string) []string {
	i, found := slices.BinarySearch(set, v)
	if found {
		return set
	}
	return slices.Insert(set, i, v)
}

// setItem makes a string safe inside a "\n"-delimited set column.
func setItem(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// joinSet renders a set as "\na\nb\n" ("" when empty) so membership is instr(col, "\nx\n").
func joinSet(set []string) string {
	if len(set) == 0 {
		return ""
	}
	return "\n" + strings.Join(set, "\n") + "\n"
}

func splitSet(s string) []string {
	s = strings.Trim(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
