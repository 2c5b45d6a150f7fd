package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// TestRetainForgetsLogOnlyTraces: a trace that only ever had log records (its spans were not
// sent) leaves nothing behind once retention deletes its logs, while a log-only trace with a
// recent record, and a trace with spans, keep their ids.
func TestRetainForgetsLogOnlyTraces(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	old, recent := now.Add(-48*time.Hour).UnixNano(), now.Add(-time.Minute).UnixNano()
	res := &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": "svc"}}
	logAt := func(trace byte, at int64, body string) *telemetry.LogRecord {
		return &telemetry.LogRecord{TimeUnixNano: at, TraceID: telemetry.TraceID{trace}, SpanID: telemetry.SpanID{1},
			Body: body, Resource: res}
	}
	b := &telemetry.Batch{Logs: []*telemetry.LogRecord{
		logAt(7, old, "gone"), logAt(7, old+1, "gone too"), // log-only, all old: forgotten
		logAt(8, old, "old"), logAt(8, recent, "recent"), // log-only, one recent record: kept
	}}
	b.Spans = testTrace(9, recent) // a trace with spans: kept
	if err := s.Write(ctx, b); err != nil {
		t.Fatal(err)
	}
	ids := func() map[byte]bool {
		rows, err := s.w.QueryContext(ctx, "SELECT trace_id FROM trace_ids")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := make(map[byte]bool)
		for rows.Next() {
			var id []byte
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got[id[0]] = true
		}
		return got
	}
	if got := ids(); !got[7] || !got[8] || !got[1] || len(got) != 3 {
		t.Fatalf("before retention, trace ids %v; want 7, 8 and the span trace (1)", got)
	}
	r, err := s.Retain(ctx, store.Retention{MaxAge: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if r.DeletedLogs != 3 {
		t.Errorf("deleted %d log records, want 3", r.DeletedLogs)
	}
	if got := ids(); got[7] || !got[8] || !got[1] || len(got) != 2 {
		t.Errorf("after retention, trace ids %v; want 8 and 1 only", got)
	}
}
