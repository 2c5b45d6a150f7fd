package genai

import (
	"sort"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// MergeLogs attaches GenAI content carried by log records to their span's Generation. The API
// calls it at read time with the log records linked to the span (same trace and span id),
// because content events may arrive before or after their span, in another request.
//
// It reads the per-message events (gen_ai.system.message, gen_ai.user.message,
// gen_ai.assistant.message, gen_ai.tool.message, gen_ai.choice: event name in EventName,
// body a map or a JSON string such as Application Insights' {"content":"..."}, or Azure's
// gen_ai.event.content attribute), the gen_ai.client.inference.operation.details event
// (the newest attributes, on the record's attributes or body), and exception records (error
// type). It fills only categories the span did not already carry, so calling it twice, or for
// a span that recorded its content both ways, adds nothing twice. When the span has no
// Generation and the logs carry GenAI content, one is created (a model call whose span had no
// GenAI attributes), priced with the built-in table (Normalizer.MergeLogs uses its own). The span's own fields are not changed
// otherwise; logs is not modified.
func MergeLogs(span *telemetry.Span, logs []*telemetry.LogRecord) {
	mergeLogs(span, logs, defaultPrices())
}

// MergeLogs is the package's MergeLogs pricing a created or newly costed generation with the
// normalizer's price table (built-in table plus price file) rather than the built-in one.
func (n *Normalizer) MergeLogs(span *telemetry.Span, logs []*telemetry.LogRecord) {
	mergeLogs(span, logs, n.prices)
}

func mergeLogs(span *telemetry.Span, logs []*telemetry.LogRecord, prices *PriceTable) {
	if span == nil || len(logs) == 0 {
		return
	}
	ordered := make([]*telemetry.LogRecord, 0, len(logs))
	for _, l := range logs {
		if l != nil {
			ordered = append(ordered, l)
		}
	}
	// Content events of one call are emitted in message order; time order (stable) keeps it
	// when records arrive out of order.
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].TimeUnixNano < ordered[j].TimeUnixNano })

	var c collector
	excType := ""
	for _, l := range ordered {
		switch {
		case isContentEvent(l.EventName):
			body := l.Body
			if l.EventName == evDetails && body == nil {
				body = map[string]any(l.Attributes)
			}
			c.add(l.EventName, l.Attributes, body, len(l.Truncated) > 0)
		case l.EventName == "exception" && excType == "" && span.Status.Code == telemetry.StatusError:
			excType = firstString(l.Attributes, "exception.type")
		}
	}
	if !c.any && excType == "" {
		return
	}
	g := span.Generation
	created := false
	if g == nil {
		if !c.any {
			return
		}
		g = buildGeneration(span)
		if g == nil {
			g = &telemetry.Generation{Operation: operationFromName(span.Name)}
			fillCommon(g, span.Attributes)
		}
		created = true
	}
	hadCost := g.CostUSD != nil
	if c.any && c.applyTo(g) && (g.Convention == "otel_genai" || g.Convention == "") {
		g.Convention = "otel_genai_events"
	}
	if excType != "" && (g.ErrorType == "" || g.ErrorType == "_OTHER") {
		g.ErrorType = excType
	}
	finish(g)
	if created || !hadCost {
		if cost := prices.Cost(g); cost != nil {
			g.CostUSD = cost
		}
	}
	span.Generation = g
}
