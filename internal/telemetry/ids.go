// Package telemetry is Cairn's one internal representation of spans, log records and metric
// points. Every receiver (OTLP, Application Insights) produces it; normalisation, the write
// pipeline and every store consume it. It depends on nothing but the standard library.
package telemetry

import (
	"encoding/hex"
	"fmt"
)

// TraceID is a 16-byte W3C trace id. The zero value is invalid.
type TraceID [16]byte

// SpanID is an 8-byte W3C span id. The zero value means "none" (for a parent: a root span).
type SpanID [8]byte

// IsZero reports whether the id is all zero bytes (invalid for a trace).
func (t TraceID) IsZero() bool { return t == TraceID{} }

// String returns the id as 32 lower-case hex characters.
func (t TraceID) String() string { return hex.EncodeToString(t[:]) }

// IsZero reports whether the id is all zero bytes.
func (s SpanID) IsZero() bool { return s == SpanID{} }

// String returns the id as 16 lower-case hex characters, or "" for the zero id.
func (s SpanID) String() string {
	if s.IsZero() {
		return ""
	}
	return hex.EncodeToString(s[:])
}

// ParseTraceID parses 32 hex characters (either case) into a TraceID.
func ParseTraceID(s string) (TraceID, error) {
	var id TraceID
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("trace id %q has %d characters; want 32 hex characters", truncateForError(s), len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("trace id %q is not hex: %w", truncateForError(s), err)
	}
	if id.IsZero() {
		return id, fmt.Errorf("trace id is all zeros, which OTLP forbids")
	}
	return id, nil
}

// ParseSpanID parses 16 hex characters (either case) into a SpanID. An empty string gives the zero id.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	if s == "" {
		return id, nil
	}
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("span id %q has %d characters; want 16 hex characters", truncateForError(s), len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("span id %q is not hex: %w", truncateForError(s), err)
	}
	return id, nil
}

// truncateForError keeps error messages short when an id field holds something huge.
func truncateForError(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
