package otlp

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

var (
	goodTrace = testTraceID[:]
	goodSpan  = []byte{1, 1, 1, 1, 1, 1, 1, 1}
)

// badIDTracesProto is a request of four spans whose second has a 5-byte span id and whose
// fourth has an all-zero trace id; the third has a link with a 3-byte span id.
func badIDTracesProto(t testing.TB) []byte {
	t.Helper()
	span := func(name string, traceID, spanID []byte) *tracepb.Span {
		return &tracepb.Span{Name: name, TraceId: traceID, SpanId: spanID,
			Attributes: []*commonpb.KeyValue{{Key: "k", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "v"}}}}}
	}
	s3 := span("third", goodTrace, []byte{3, 3, 3, 3, 3, 3, 3, 3})
	s3.Links = []*tracepb.Span_Link{{TraceId: goodTrace, SpanId: []byte{1, 2, 3}}, {TraceId: goodTrace, SpanId: goodSpan}}
	req := &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{
			{Spans: []*tracepb.Span{span("first", goodTrace, goodSpan), span("second", goodTrace, []byte{1, 2, 3, 4, 5})}},
			{Spans: []*tracepb.Span{s3, span("fourth", make([]byte, 16), goodSpan)}},
		},
	}}}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const badIDTracesJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
 "scopeSpans":[{"spans":[
  {"traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"0101010101010101","name":"first","kind":2,
   "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":1700000001000000000,
   "attributes":[{"key":"n","value":{"intValue":"9007199254740993"}}]},
  {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405","name":"second"},
  {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0303030303030303","name":"third",
   "links":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"zz"}]},
  {"traceId":"00000000000000000000000000000000","spanId":"0404040404040404","name":"fourth"},
  {"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"0505050505050505","name":"base64 trace id"}]}]}]}`

func TestPdataRefusesWrongLengthIDs(t *testing.T) {
	// Documents why the fallback exists: pdata fails the whole request on one bad id.
	if err := ptraceotlp.NewExportRequest().UnmarshalProto(badIDTracesProto(t)); err == nil {
		t.Error("pdata accepted a 5-byte span id in protobuf; the fallback may no longer be needed")
	}
	if err := ptraceotlp.NewExportRequest().UnmarshalJSON([]byte(badIDTracesJSON)); err == nil {
		t.Error("pdata accepted a 5-byte span id in JSON; the fallback may no longer be needed")
	}
}

func TestWrongLengthSpanIDsRejectedAlone(t *testing.T) {
	f := func(name string, body []byte, enc encoding, wantNames []string, wantRejected int, wantMsgs ...string) {
		t.Helper()
		spans, rep, err := decodeTraces(body, enc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var names []string
		for _, s := range spans {
			names = append(names, s.Name)
		}
		if strings.Join(names, ",") != strings.Join(wantNames, ",") {
			t.Errorf("%s: kept %v; want %v", name, names, wantNames)
		}
		if rep.rejected != wantRejected {
			t.Errorf("%s: rejected %d; want %d", name, rep.rejected, wantRejected)
		}
		for _, m := range wantMsgs {
			if !strings.Contains(rep.message(), m) {
				t.Errorf("%s: message %q does not mention %q", name, rep.message(), m)
			}
		}
	}
	f("protobuf", badIDTracesProto(t), encProto, []string{"first", "third"}, 2,
		"span 1 (resourceSpans[0].scopeSpans[0].spans[1]) rejected: span id has 5 bytes; want 8",
		"span 3 (resourceSpans[0].scopeSpans[1].spans[1]) rejected: trace id is missing or all zeros",
		"1 span links dropped")
	f("JSON", []byte(badIDTracesJSON), encJSON, []string{"first", "third"}, 3,
		"span 1 (resourceSpans[0].scopeSpans[0].spans[1]) rejected: span id has 10 hex characters; want 16",
		"span 3 (resourceSpans[0].scopeSpans[0].spans[3]) rejected: trace id is missing or all zeros",
		"span 4 (resourceSpans[0].scopeSpans[0].spans[4]) rejected: trace id has 24 hex characters; want 32",
		"1 span links dropped")

	// The kept spans are intact after the fallback's re-encoding.
	spans, _, _ := decodeTraces([]byte(badIDTracesJSON), encJSON)
	if got := spans[0].Attributes["n"]; got != int64(9007199254740993) {
		t.Errorf("int64 attribute after fallback = %#v; want 9007199254740993 exactly", got)
	}
	if spans[0].StartUnixNano != 1700000000000000000 || spans[0].EndUnixNano != 1700000001000000000 || spans[0].Kind != 2 {
		t.Errorf("first span after fallback: %+v", spans[0])
	}
	if len(spans[1].Links) != 0 {
		t.Errorf("third span kept its bad link: %+v", spans[1].Links)
	}
}

func TestWrongLengthLogIDsUnlinked(t *testing.T) {
	req := &collogs.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{ScopeLogs: []*logspb.ScopeLogs{{
		LogRecords: []*logspb.LogRecord{
			{EventName: "ok", TraceId: goodTrace, SpanId: goodSpan},
			{EventName: "bad", TraceId: goodTrace, SpanId: []byte{1, 2}},
		},
	}}}}}
	pb, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	js := `{"resourceLogs":[{"scopeLogs":[{"logRecords":[
	  {"eventName":"ok","traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0101010101010101"},
	  {"eventName":"bad","traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102"}]}]}]}`
	if plogotlp.NewExportRequest().UnmarshalProto(pb) == nil {
		t.Error("pdata accepted a 2-byte span id in a log record")
	}
	f := func(body []byte, enc encoding) {
		t.Helper()
		logs, rep, err := decodeLogs(body, enc)
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if len(logs) != 2 || rep.rejected != 0 {
			t.Fatalf("%s: %d logs, %d rejected; want both kept", enc, len(logs), rep.rejected)
		}
		if logs[0].SpanID.IsZero() || !logs[1].TraceID.IsZero() || !logs[1].SpanID.IsZero() || logs[1].EventName != "bad" {
			t.Errorf("%s: got %+v, %+v; want the first linked and the second unlinked", enc, logs[0], logs[1])
		}
		if !strings.Contains(rep.message(), "log record 1 (resourceLogs[0].scopeLogs[0].logRecords[1]) kept without its span") {
			t.Errorf("%s: message %q", enc, rep.message())
		}
	}
	f(pb, encProto)
	f([]byte(js), encJSON)
}

func TestWrongLengthExemplarIDsIgnored(t *testing.T) {
	req := &colmetrics.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{ScopeMetrics: []*metricspb.ScopeMetrics{{
		Metrics: []*metricspb.Metric{{Name: "m", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{DataPoints: []*metricspb.NumberDataPoint{{
			Value:     &metricspb.NumberDataPoint_AsInt{AsInt: 4},
			Exemplars: []*metricspb.Exemplar{{SpanId: []byte{1}, TraceId: goodTrace}},
		}}}}}},
	}}}}}
	pb, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if pmetricotlp.NewExportRequest().UnmarshalProto(pb) == nil {
		t.Error("pdata accepted a 1-byte exemplar span id")
	}
	js := `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{"dataPoints":[
	  {"asInt":"4","exemplars":[{"spanId":"01","traceId":"0102030405060708090a0b0c0d0e0f10"}]}]}}]}]}]}`
	for _, c := range []struct {
		body []byte
		enc  encoding
	}{{pb, encProto}, {[]byte(js), encJSON}} {
		points, rep, err := decodeMetrics(c.body, c.enc)
		if err != nil {
			t.Fatalf("%s: %v", c.enc, err)
		}
		if len(points) != 1 || points[0].Value != 4 || !strings.Contains(rep.message(), "1 exemplars") {
			t.Errorf("%s: %d points, message %q", c.enc, len(points), rep.message())
		}
	}
}

func TestUndecodableBodies(t *testing.T) {
	f := func(body string, enc encoding) {
		t.Helper()
		if _, _, err := decodeTraces([]byte(body), enc); err == nil {
			t.Errorf("%s %q: decoded without error", enc, body)
		}
	}
	f("\x0a\xff\xff\xff\xff\x0f", encProto) // resource_spans with an impossible length
	f("\x0a\x05\x12\x03\x12\x01", encProto) // truncated nested message
	f("{", encJSON)
	f(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"0102","startTimeUnixNano":"soon"}]}]}]}`, encJSON)
	f(`[]`, encJSON)
}

func TestWrongLengthIDsAfterDeprecatedScopeField(t *testing.T) {
	// A first resource that uses the pre-1.0 field 1000 (instrumentation_library_spans), which
	// pdata migrates: the fallback must count its spans too, or it would reject the wrong one.
	scope, err := proto.Marshal(&tracepb.ScopeSpans{Spans: []*tracepb.Span{{Name: "legacy", TraceId: goodTrace, SpanId: goodSpan}}})
	if err != nil {
		t.Fatal(err)
	}
	res := protowire.AppendBytes(protowire.AppendTag(nil, fieldDeprecatedScopeItems, protowire.BytesType), scope)
	body := protowire.AppendBytes(protowire.AppendTag(nil, fieldResourceItems, protowire.BytesType), res)
	body = append(body, badIDTracesProto(t)...)
	spans, rep, err := decodeTraces(body, encProto)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "legacy,first,third" || !strings.Contains(rep.message(), "span 2 (resourceSpans[1].scopeSpans[0].spans[1]) rejected: span id has 5 bytes") {
		t.Errorf("kept %v, message %q", names, rep.message())
	}
}
