package otlp

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// decodeOneSpan round-trips td through enc and returns its only span.
func decodeOneSpan(t *testing.T, td ptrace.Traces, enc encoding) *telemetry.Span {
	t.Helper()
	spans, rep, err := decodeTraces(encodeTraces(t, td, enc), enc)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	if len(spans) != 1 || !rep.empty() {
		t.Fatalf("%s: got %d spans, report %q; want 1 span, no report", enc, len(spans), rep.message())
	}
	return spans[0]
}

func TestAttributeValueTypes(t *testing.T) {
	f := func(name string, put func(pcommon.Map), want any) {
		t.Helper()
		for _, enc := range encodings {
			s := decodeOneSpan(t, oneSpan(func(s ptrace.Span) { put(s.Attributes()) }), enc)
			got, ok := s.Attributes["k"]
			if want == nil {
				if ok {
					t.Errorf("%s/%s: attribute k = %#v; want it absent", name, enc, got)
				}
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s/%s: attribute k = %#v (%T); want %#v (%T)", name, enc, got, got, want, want)
			}
		}
	}
	f("string", func(m pcommon.Map) { m.PutStr("k", "héllo") }, "héllo")
	f("bool", func(m pcommon.Map) { m.PutBool("k", true) }, true)
	f("int64", func(m pcommon.Map) { m.PutInt("k", math.MaxInt64) }, int64(math.MaxInt64))
	f("negative int64", func(m pcommon.Map) { m.PutInt("k", -42) }, int64(-42))
	f("double", func(m pcommon.Map) { m.PutDouble("k", 0.25) }, 0.25)
	f("bytes", func(m pcommon.Map) { m.PutEmptyBytes("k").FromRaw([]byte{0, 1, 0xff}) }, []byte{0, 1, 0xff})
	f("array", func(m pcommon.Map) {
		s := m.PutEmptySlice("k")
		s.AppendEmpty().SetStr("a")
		s.AppendEmpty().SetInt(1)
		s.AppendEmpty().SetBool(false)
		s.AppendEmpty().SetDouble(1.5)
	}, []any{"a", int64(1), false, 1.5})
	f("map", func(m pcommon.Map) {
		k := m.PutEmptyMap("k")
		k.PutStr("role", "user")
		k.PutEmptyMap("inner").PutInt("n", 3)
		k.PutEmptySlice("parts").AppendEmpty().SetStr("p")
	}, map[string]any{"role": "user", "inner": map[string]any{"n": int64(3)}, "parts": []any{"p"}})
	f("empty value is left out", func(m pcommon.Map) { m.PutEmpty("k") }, nil)
	f("empty string kept", func(m pcommon.Map) { m.PutStr("k", "") }, "")
}

func TestSpanFields(t *testing.T) {
	f := func(name string, edit func(ptrace.Span), check func(*telemetry.Span) string) {
		t.Helper()
		for _, enc := range encodings {
			if msg := check(decodeOneSpan(t, oneSpan(edit), enc)); msg != "" {
				t.Errorf("%s/%s: %s", name, enc, msg)
			}
		}
	}
	f("ids, name, times, resource, scope", nil, func(s *telemetry.Span) string {
		want := telemetry.Span{
			TraceID: telemetry.TraceID(testTraceID), SpanID: telemetry.SpanID(testSpanID), Name: "chat gpt-4o",
			StartUnixNano: 1_700_000_000_000_000_000, EndUnixNano: 1_700_000_001_000_000_000,
			Attributes: telemetry.Attributes{}, Scope: telemetry.Scope{Name: "lib", Version: "1.2"},
			Resource: &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": "svc"}},
		}
		if !reflect.DeepEqual(*s, want) {
			return "got " + dump(s) + "\nwant " + dump(&want)
		}
		return ""
	})
	f("parent and trace state", func(s ptrace.Span) {
		s.SetParentSpanID(testParent)
		s.TraceState().FromRaw("vendor=x")
	}, func(s *telemetry.Span) string {
		if s.ParentSpanID != telemetry.SpanID(testParent) || s.TraceState != "vendor=x" {
			return "parent " + s.ParentSpanID.String() + " state " + s.TraceState
		}
		return ""
	})
	for k, want := range map[ptrace.SpanKind]telemetry.SpanKind{
		ptrace.SpanKindUnspecified: telemetry.SpanKindUnspecified, ptrace.SpanKindInternal: telemetry.SpanKindInternal,
		ptrace.SpanKindServer: telemetry.SpanKindServer, ptrace.SpanKindClient: telemetry.SpanKindClient,
		ptrace.SpanKindProducer: telemetry.SpanKindProducer, ptrace.SpanKindConsumer: telemetry.SpanKindConsumer,
		ptrace.SpanKind(42): telemetry.SpanKindUnspecified,
	} {
		f("kind "+k.String(), func(s ptrace.Span) { s.SetKind(k) }, func(s *telemetry.Span) string {
			if s.Kind != want {
				return "kind " + s.Kind.String() + "; want " + want.String()
			}
			return ""
		})
	}
	for c, want := range map[ptrace.StatusCode]telemetry.StatusCode{
		ptrace.StatusCodeUnset: telemetry.StatusUnset, ptrace.StatusCodeOk: telemetry.StatusOK,
		ptrace.StatusCodeError: telemetry.StatusError, ptrace.StatusCode(9): telemetry.StatusUnset,
	} {
		f("status "+c.String(), func(s ptrace.Span) {
			s.Status().SetCode(c)
			s.Status().SetMessage("boom")
		}, func(s *telemetry.Span) string {
			if s.Status != (telemetry.Status{Code: want, Message: "boom"}) {
				return "status " + s.Status.Code.String() + " " + s.Status.Message
			}
			return ""
		})
	}
	f("events", func(s ptrace.Span) {
		e := s.Events().AppendEmpty()
		e.SetName("gen_ai.content.prompt")
		e.SetTimestamp(1_700_000_000_500_000_000)
		e.Attributes().PutStr("gen_ai.prompt", "hi")
		s.Events().AppendEmpty().SetName("bare")
	}, func(s *telemetry.Span) string {
		want := []telemetry.Event{
			{TimeUnixNano: 1_700_000_000_500_000_000, Name: "gen_ai.content.prompt", Attributes: telemetry.Attributes{"gen_ai.prompt": "hi"}},
			{Name: "bare"},
		}
		if !reflect.DeepEqual(s.Events, want) {
			return "events " + dump(s.Events)
		}
		return ""
	})
	f("links", func(s ptrace.Span) {
		l := s.Links().AppendEmpty()
		l.SetTraceID(pcommon.TraceID{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
		l.SetSpanID(testParent)
		l.TraceState().FromRaw("a=b")
		l.Attributes().PutInt("n", 1)
	}, func(s *telemetry.Span) string {
		want := []telemetry.Link{{
			TraceID: telemetry.TraceID{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, SpanID: telemetry.SpanID(testParent),
			TraceState: "a=b", Attributes: telemetry.Attributes{"n": int64(1)},
		}}
		if !reflect.DeepEqual(s.Links, want) {
			return "links " + dump(s.Links)
		}
		return ""
	})
	f("invalid UTF-8 survives decoding", func(s ptrace.Span) {
		s.SetName("bad\xffname")
		s.Attributes().PutStr("gen_ai.prompt", "a\xc3(b")
	}, func(s *telemetry.Span) string {
		// Sanitize (in normalisation) repairs strings; the receiver must not lose the span.
		if !strings.HasPrefix(s.Name, "bad") || !strings.HasPrefix(s.Attributes.String("gen_ai.prompt"), "a") {
			return "name " + s.Name
		}
		return ""
	})
}

func TestSpansShareResourceAndCountRejections(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "svc")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range 3 {
		s := spans.AppendEmpty()
		s.SetTraceID(testTraceID)
		s.SetSpanID(pcommon.SpanID{byte(i + 1)})
	}
	spans.At(1).SetTraceID(pcommon.TraceID{}) // rejected: all-zero trace id
	for _, enc := range encodings {
		got, rep, err := decodeTraces(encodeTraces(t, td, enc), enc)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Resource != got[1].Resource || got[0].SpanID[0] != 1 || got[1].SpanID[0] != 3 {
			t.Fatalf("%s: got %d spans (%v); want spans 1 and 3 sharing one resource", enc, len(got), got)
		}
		if rep.rejected != 1 || !strings.Contains(rep.message(), "span 1 ") || !strings.Contains(rep.message(), "trace id") {
			t.Errorf("%s: report %d %q; want span 1 rejected for its trace id", enc, rep.rejected, rep.message())
		}
	}
}

func TestLogFields(t *testing.T) {
	f := func(name string, edit func(plog.LogRecord), want telemetry.LogRecord, wantWarning bool) {
		t.Helper()
		for _, enc := range encodings {
			logs, rep, err := decodeLogs(encodeLogs(t, oneLog(edit), enc), enc)
			if err != nil || len(logs) != 1 {
				t.Fatalf("%s/%s: %d logs, %v", name, enc, len(logs), err)
			}
			got := *logs[0]
			got.Resource = nil
			want.TimeUnixNano = 1_700_000_000_000_000_000
			want.Scope = telemetry.Scope{Name: "lib"}
			if want.Attributes == nil {
				want.Attributes = telemetry.Attributes{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s/%s:\ngot  %s\nwant %s", name, enc, dump(&got), dump(&want))
			}
			if rep.empty() == wantWarning {
				t.Errorf("%s/%s: report %q; want warning %v", name, enc, rep.message(), wantWarning)
			}
		}
	}
	f("event_name field", func(l plog.LogRecord) {
		l.SetEventName("gen_ai.user.message")
		l.Body().SetEmptyMap().PutStr("content", "hello")
		l.SetTraceID(testTraceID)
		l.SetSpanID(testSpanID)
		l.SetSeverityNumber(plog.SeverityNumberInfo)
		l.SetSeverityText("INFO")
		l.SetObservedTimestamp(5)
	}, telemetry.LogRecord{EventName: "gen_ai.user.message", Body: map[string]any{"content": "hello"},
		TraceID: telemetry.TraceID(testTraceID), SpanID: telemetry.SpanID(testSpanID), SeverityNumber: 9,
		SeverityText: "INFO", ObservedTimeUnixNano: 5}, false)
	f("event.name attribute fallback", func(l plog.LogRecord) {
		l.Attributes().PutStr("event.name", "gen_ai.choice")
		l.Body().SetStr("text body")
	}, telemetry.LogRecord{EventName: "gen_ai.choice", Body: "text body",
		Attributes: telemetry.Attributes{"event.name": "gen_ai.choice"}}, false)
	f("event_name wins over attribute", func(l plog.LogRecord) {
		l.SetEventName("new")
		l.Attributes().PutStr("event.name", "old")
	}, telemetry.LogRecord{EventName: "new", Attributes: telemetry.Attributes{"event.name": "old"}}, false)
	f("no body is nil", nil, telemetry.LogRecord{}, false)
	f("span id without trace id is unlinked", func(l plog.LogRecord) { l.SetSpanID(testSpanID) },
		telemetry.LogRecord{}, true)
}

func TestMetricTypes(t *testing.T) {
	f := func(name string, build func(pmetric.Metric), want []telemetry.MetricPoint) {
		t.Helper()
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "svc")
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("meter")
		m := sm.Metrics().AppendEmpty()
		m.SetName("gen_ai.client.token.usage")
		m.SetUnit("{token}")
		m.SetDescription("tokens")
		build(m)
		for _, enc := range encodings {
			got, rep, err := decodeMetrics(encodeMetrics(t, md, enc), enc)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%s/%s: %d points; want %d (report %q)", name, enc, len(got), len(want), rep.message())
			}
			for i := range want {
				w := want[i]
				w.Name, w.Unit, w.Description, w.Scope = "gen_ai.client.token.usage", "{token}", "tokens", telemetry.Scope{Name: "meter"}
				w.StartTimeUnixNano, w.TimeUnixNano = 10, 20
				if w.Attributes == nil {
					w.Attributes = telemetry.Attributes{}
				}
				g := *got[i]
				if g.Resource.ServiceName() != "svc" {
					t.Errorf("%s/%s: resource %v", name, enc, g.Resource)
				}
				g.Resource = nil
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s/%s point %d:\ngot  %s\nwant %s", name, enc, i, dump(&g), dump(&w))
				}
			}
		}
	}
	times := func(p interface {
		SetStartTimestamp(pcommon.Timestamp)
		SetTimestamp(pcommon.Timestamp)
	}) {
		p.SetStartTimestamp(10)
		p.SetTimestamp(20)
	}
	f("gauge int and double", func(m pmetric.Metric) {
		dps := m.SetEmptyGauge().DataPoints()
		p := dps.AppendEmpty()
		times(p)
		p.SetIntValue(7)
		p.Attributes().PutStr("gen_ai.token.type", "input")
		p = dps.AppendEmpty()
		times(p)
		p.SetDoubleValue(2.5)
	}, []telemetry.MetricPoint{
		{Type: telemetry.MetricGauge, Value: 7, Attributes: telemetry.Attributes{"gen_ai.token.type": "input"}},
		{Type: telemetry.MetricGauge, Value: 2.5},
	})
	f("monotonic delta sum", func(m pmetric.Metric) {
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		p := s.DataPoints().AppendEmpty()
		times(p)
		p.SetIntValue(3)
	}, []telemetry.MetricPoint{{Type: telemetry.MetricSum, Monotonic: true, Temporality: "delta", Value: 3}})
	f("cumulative histogram", func(m pmetric.Metric) {
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		p := h.DataPoints().AppendEmpty()
		times(p)
		p.SetCount(6)
		p.SetSum(60)
		p.SetMin(1)
		p.SetMax(30)
		p.BucketCounts().FromRaw([]uint64{1, 2, 3})
		p.ExplicitBounds().FromRaw([]float64{5, 10})
	}, []telemetry.MetricPoint{{Type: telemetry.MetricHistogram, Temporality: "cumulative", Count: 6, Sum: 60,
		Min: ptr(1.0), Max: ptr(30.0), BucketCounts: []uint64{1, 2, 3}, ExplicitBounds: []float64{5, 10}}})
	f("histogram without buckets", func(m pmetric.Metric) {
		p := m.SetEmptyHistogram().DataPoints().AppendEmpty()
		times(p)
		p.SetCount(4)
	}, []telemetry.MetricPoint{{Type: telemetry.MetricHistogram, Count: 4, BucketCounts: []uint64{4}}})
	f("exponential histogram", func(m pmetric.Metric) {
		h := m.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		p := h.DataPoints().AppendEmpty()
		times(p)
		p.SetScale(0) // base 2
		p.SetCount(10)
		p.SetSum(40)
		p.SetZeroCount(1)
		p.Positive().SetOffset(1) // buckets (2,4], (4,8]
		p.Positive().BucketCounts().FromRaw([]uint64{3, 4})
		p.Negative().SetOffset(0) // buckets [-2,-1), [-4,-2)
		p.Negative().BucketCounts().FromRaw([]uint64{1, 1})
	}, []telemetry.MetricPoint{{Type: telemetry.MetricExponentialHistogram, Temporality: "delta", Count: 10, Sum: 40,
		BucketCounts: []uint64{1, 1, 0, 1, 0, 3, 4}, ExplicitBounds: []float64{-2, -1, 0, 0, 2, 4}}})
	f("summary", func(m pmetric.Metric) {
		p := m.SetEmptySummary().DataPoints().AppendEmpty()
		times(p)
		p.SetCount(3)
		p.SetSum(9)
		q := p.QuantileValues().AppendEmpty()
		q.SetQuantile(0.5)
		q.SetValue(2)
		q = p.QuantileValues().AppendEmpty()
		q.SetQuantile(0.99)
		q.SetValue(5)
	}, []telemetry.MetricPoint{{Type: telemetry.MetricSummary, Count: 3, Sum: 9, Quantiles: [][2]float64{{0.5, 2}, {0.99, 5}}}})
	f("number point without value is rejected", func(m pmetric.Metric) {
		times(m.SetEmptyGauge().DataPoints().AppendEmpty())
	}, nil)
}

func TestExponentialToExplicit(t *testing.T) {
	f := func(scale int32, zero uint64, negOff int32, neg []uint64, posOff int32, pos []uint64,
		wantCounts []uint64, wantBounds []float64) {
		t.Helper()
		c, b := exponentialToExplicit(scale, zero, 0, negOff, neg, posOff, pos)
		if len(c) != len(b)+1 {
			t.Fatalf("len(counts) %d, len(bounds) %d", len(c), len(b))
		}
		if !reflect.DeepEqual(c, wantCounts) || !approxEqual(b, wantBounds) {
			t.Errorf("scale %d: got %v %v; want %v %v", scale, c, b, wantCounts, wantBounds)
		}
	}
	f(0, 5, 0, nil, 0, nil, []uint64{5}, []float64{})
	// Positive buckets (1,2], (2,4], (4,8]; an empty bucket (0,1] between zero and the first.
	f(0, 0, 0, nil, 0, []uint64{1, 2, 3}, []uint64{0, 0, 1, 2, 3}, []float64{0, 1, 2, 4})
	// Scale 1: base √2; buckets (0.5, √2/2], (√2/2, 1].
	f(1, 0, 0, nil, -2, []uint64{1, 1}, []uint64{0, 0, 1, 1}, []float64{0, 0.5, math.Sqrt2 / 2})
	// Scale -1: base 4; negative bucket [-4, -1).
	f(-1, 2, 0, []uint64{7}, 0, nil, []uint64{7, 0, 2}, []float64{-1, 0})
}

func approxEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			return false
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }
