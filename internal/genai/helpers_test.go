package genai

import (
	"encoding/json"
	"testing"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// newTestNormalizer returns a Normalizer with the built-in prices.
func newTestNormalizer(t testing.TB) *Normalizer {
	t.Helper()
	n, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

// enrichOne runs Enrich on one span with the given attributes and events.
func enrichOne(t testing.TB, attrs telemetry.Attributes, events ...telemetry.Event) *telemetry.Span {
	t.Helper()
	s := &telemetry.Span{Name: "span", Kind: telemetry.SpanKindClient, StartUnixNano: 1_000_000_000, EndUnixNano: 2_000_000_000, Attributes: attrs, Events: events}
	newTestNormalizer(t).Enrich(&telemetry.Batch{Spans: []*telemetry.Span{s}})
	return s
}

func i64(n int64) *int64 { return &n }

// asJSON renders v for comparisons and failure messages.
func asJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// text returns a one-text-part message.
func text(role, s string) telemetry.Message {
	return telemetry.Message{Role: role, Parts: []telemetry.Part{{Type: "text", Content: s}}}
}
