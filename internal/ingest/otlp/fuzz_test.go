package otlp

import (
	"fmt"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// checkValue reports a value of a type telemetry.Attributes does not allow.
func checkValue(v any) error {
	switch v := v.(type) {
	case string, bool, int64, float64, []byte:
		return nil
	case []any:
		for _, e := range v {
			if err := checkValue(e); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, e := range v {
			if err := checkValue(e); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("value of type %T", v)
}

func checkAttrs(t *testing.T, a telemetry.Attributes) {
	t.Helper()
	if a == nil {
		t.Fatal("nil attributes")
	}
	for k, v := range a {
		if err := checkValue(v); err != nil {
			t.Fatalf("attribute %q: %v", k, err)
		}
	}
}

// seedTraces returns real requests: a GenAI trace, and the wrong-id fixtures.
func seedTraces(t testing.TB, enc encoding) [][]byte {
	td := oneSpan(func(s ptrace.Span) {
		s.SetParentSpanID(testParent)
		s.Attributes().PutStr("gen_ai.prompt", "hello")
		s.Attributes().PutEmptySlice("arr").AppendEmpty().SetInt(3)
		s.Attributes().PutEmptyMap("m").PutEmptyBytes("b").FromRaw([]byte{1})
		e := s.Events().AppendEmpty()
		e.SetName("ev")
		e.Attributes().PutDouble("d", 1.5)
		s.Links().AppendEmpty().SetTraceID(testTraceID)
	})
	seeds := [][]byte{encodeTraces(t, td, enc), {}}
	if enc == encJSON {
		return append(seeds, []byte(badIDTracesJSON), []byte("{}"))
	}
	return append(seeds, badIDTracesProto(t))
}

func fuzzTraces(f *testing.F, enc encoding) {
	for _, s := range seedTraces(f, enc) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		spans, rep, err := decodeTraces(body, enc)
		if err != nil {
			return
		}
		for _, s := range spans {
			if s.TraceID.IsZero() || s.SpanID.IsZero() {
				t.Fatalf("span with a zero id kept: %s/%s", s.TraceID, s.SpanID)
			}
			checkAttrs(t, s.Attributes)
			checkAttrs(t, s.Resource.Attributes)
			for _, e := range s.Events {
				for _, v := range e.Attributes {
					if err := checkValue(v); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if _, err := tracesSignal.encodeResponse(rep, enc); err != nil {
			t.Fatalf("encode response: %v", err)
		}
	})
}

func FuzzDecodeTracesProto(f *testing.F) { fuzzTraces(f, encProto) }
func FuzzDecodeTracesJSON(f *testing.F)  { fuzzTraces(f, encJSON) }

func fuzzLogs(f *testing.F, enc encoding) {
	ld := oneLog(func(l plog.LogRecord) {
		l.SetTraceID(testTraceID)
		l.SetSpanID(testSpanID)
		l.SetEventName("gen_ai.user.message")
		l.Body().SetEmptyMap().PutStr("content", "hi")
		l.Attributes().PutStr("event.name", "x")
	})
	f.Add(encodeLogs(f, ld, enc))
	f.Add([]byte{})
	if enc == encJSON {
		f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"0102","spanId":"01","body":{"stringValue":"x"}}]}]}]}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		logs, rep, err := decodeLogs(body, enc)
		if err != nil {
			return
		}
		for _, l := range logs {
			checkAttrs(t, l.Attributes)
			if l.Body != nil {
				if err := checkValue(l.Body); err != nil {
					t.Fatalf("body: %v", err)
				}
			}
			if l.TraceID.IsZero() && !l.SpanID.IsZero() {
				t.Fatal("log linked to a span without a trace")
			}
		}
		if _, err := logsSignal.encodeResponse(rep, enc); err != nil {
			t.Fatalf("encode response: %v", err)
		}
	})
}

func FuzzDecodeLogsProto(f *testing.F) { fuzzLogs(f, encProto) }
func FuzzDecodeLogsJSON(f *testing.F)  { fuzzLogs(f, encJSON) }

func fuzzMetrics(f *testing.F, enc encoding) {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	ms.AppendEmpty().SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	h := ms.AppendEmpty().SetEmptyHistogram().DataPoints().AppendEmpty()
	h.BucketCounts().FromRaw([]uint64{1, 2})
	h.ExplicitBounds().FromRaw([]float64{5})
	e := ms.AppendEmpty().SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	e.SetScale(3)
	e.Positive().BucketCounts().FromRaw([]uint64{1, 2, 3})
	e.Negative().SetOffset(-4)
	e.Negative().BucketCounts().FromRaw([]uint64{1})
	q := ms.AppendEmpty().SetEmptySummary().DataPoints().AppendEmpty().QuantileValues().AppendEmpty()
	q.SetQuantile(0.5)
	f.Add(encodeMetrics(f, md, enc))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		points, rep, err := decodeMetrics(body, enc)
		if err != nil {
			return
		}
		for _, p := range points {
			checkAttrs(t, p.Attributes)
			if (p.Type == telemetry.MetricHistogram || p.Type == telemetry.MetricExponentialHistogram) &&
				len(p.BucketCounts) != len(p.ExplicitBounds)+1 {
				t.Fatalf("%s with %d counts and %d bounds", p.Type, len(p.BucketCounts), len(p.ExplicitBounds))
			}
		}
		if _, err := metricsSignal.encodeResponse(rep, enc); err != nil {
			t.Fatalf("encode response: %v", err)
		}
	})
}

func FuzzDecodeMetricsProto(f *testing.F) { fuzzMetrics(f, encProto) }
func FuzzDecodeMetricsJSON(f *testing.F)  { fuzzMetrics(f, encJSON) }
