package otlp

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// recorder is a consumer that keeps every batch, or fails with err when set.
type recorder struct {
	mu      sync.Mutex
	err     error
	batches []*telemetry.Batch
}

func (r *recorder) Consume(_ context.Context, b *telemetry.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.batches = append(r.batches, b)
	return nil
}

func (r *recorder) spans() []*telemetry.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*telemetry.Span
	for _, b := range r.batches {
		out = append(out, b.Spans...)
	}
	return out
}

func (r *recorder) logs() []*telemetry.LogRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*telemetry.LogRecord
	for _, b := range r.batches {
		out = append(out, b.Logs...)
	}
	return out
}

func (r *recorder) metrics() []*telemetry.MetricPoint {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*telemetry.MetricPoint
	for _, b := range r.batches {
		out = append(out, b.Metrics...)
	}
	return out
}

// countingObserver records Observer calls.
type countingObserver struct {
	mu                 sync.Mutex
	received, rejected map[string]int
}

func (o *countingObserver) Received(signal string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.received == nil {
		o.received = map[string]int{}
	}
	o.received[signal] += n
}

func (o *countingObserver) Rejected(signal string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.rejected == nil {
		o.rejected = map[string]int{}
	}
	o.rejected[signal] += n
}

var (
	testTraceID = pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	testSpanID  = pcommon.SpanID{1, 1, 1, 1, 1, 1, 1, 1}
	testParent  = pcommon.SpanID{2, 2, 2, 2, 2, 2, 2, 2}
)

// oneSpan returns traces holding one valid span, after edit changes it.
func oneSpan(edit func(ptrace.Span)) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "svc")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("lib")
	ss.Scope().SetVersion("1.2")
	s := ss.Spans().AppendEmpty()
	s.SetTraceID(testTraceID)
	s.SetSpanID(testSpanID)
	s.SetName("chat gpt-4o")
	s.SetStartTimestamp(1_700_000_000_000_000_000)
	s.SetEndTimestamp(1_700_000_001_000_000_000)
	if edit != nil {
		edit(s)
	}
	return td
}

func oneLog(edit func(plog.LogRecord)) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "svc")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("lib")
	l := sl.LogRecords().AppendEmpty()
	l.SetTimestamp(1_700_000_000_000_000_000)
	if edit != nil {
		edit(l)
	}
	return ld
}

func encodeTraces(t testing.TB, td ptrace.Traces, enc encoding) []byte {
	t.Helper()
	return mustMarshal(t, ptraceotlp.NewExportRequestFromTraces(td), enc)
}

func encodeLogs(t testing.TB, ld plog.Logs, enc encoding) []byte {
	t.Helper()
	return mustMarshal(t, plogotlp.NewExportRequestFromLogs(ld), enc)
}

func encodeMetrics(t testing.TB, md pmetric.Metrics, enc encoding) []byte {
	t.Helper()
	return mustMarshal(t, pmetricotlp.NewExportRequestFromMetrics(md), enc)
}

func mustMarshal(t testing.TB, m pdataResponse, enc encoding) []byte {
	t.Helper()
	var b []byte
	var err error
	if enc == encJSON {
		b, err = m.MarshalJSON()
	} else {
		b, err = m.MarshalProto()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var encodings = []encoding{encProto, encJSON}

// dump renders a value for failure messages.
func dump(v any) string { return fmt.Sprintf("%+v", v) }
