package api

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// maxTurnLookups bounds the traces of one session page whose content is completed from log
// records, each of which costs a whole-trace read.
const maxTurnLookups = 200

// completeTurns fills the first user message and last answer of session traces whose content
// arrived as log records (the per-message events, the Azure exporter's Message envelopes):
// the store only sees content written on spans, so the enricher completes them at read time,
// as it does for GET /traces/{id}.
func (s *server) completeTurns(ctx context.Context, d *store.SessionDetail) error {
	if s.cfg.Enricher == nil {
		return nil
	}
	looked := 0
	for i := range d.Traces {
		st := &d.Traces[i]
		if st.FirstUserMessage != "" && st.LastAnswer != "" || st.GenerationCount == 0 {
			continue
		}
		if looked++; looked > maxTurnLookups {
			return nil
		}
		t, err := s.r.GetTrace(ctx, st.TraceID)
		if err != nil {
			return fmt.Errorf("read trace %s of the session: %w", st.TraceID, err)
		}
		first, last := telemetry.ConversationTurn(s.enrichedGenerations(t))
		if st.FirstUserMessage == "" {
			st.FirstUserMessage = first
		}
		if st.LastAnswer == "" {
			st.LastAnswer = last
		}
	}
	return nil
}

// enrichedGenerations runs the enricher over every span of t with its log records and returns
// the generations in start-time order.
func (s *server) enrichedGenerations(t *store.Trace) []*telemetry.Generation {
	bySpan := make(map[telemetry.SpanID][]*telemetry.LogRecord)
	for _, l := range t.Logs {
		if l != nil && !l.SpanID.IsZero() {
			bySpan[l.SpanID] = append(bySpan[l.SpanID], l)
		}
	}
	spans := slices.Clone(t.Spans)
	slices.SortStableFunc(spans, func(a, b *telemetry.Span) int {
		if a == nil || b == nil {
			return 0
		}
		return cmp.Compare(a.StartUnixNano, b.StartUnixNano)
	})
	var gens []*telemetry.Generation
	for _, sp := range spans {
		if sp == nil {
			continue
		}
		s.cfg.Enricher(sp, bySpan[sp.SpanID])
		if sp.Generation != nil && sp.Generation.IsModelCall() {
			gens = append(gens, sp.Generation)
		}
	}
	return gens
}
