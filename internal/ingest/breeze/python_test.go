package breeze

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

const (
	pyTrace = "0af7651916cd43dd8448eb211c80319c"
	pyRoot  = "b7ad6b7169203331"
	pyChild = "00f067aa0ba902b7"
)

// pyEnvelope builds an envelope the way the Python exporter writes it: microsecond times,
// durations with a day prefix, Python reprs in properties.
func pyEnvelope(kind, tags, baseData string) string {
	return fmt.Sprintf(`{"ver":1,"name":"Microsoft.ApplicationInsights.%s","time":"2026-11-22T15:50:49.123456Z",
"sampleRate":100.0,"iKey":"11111111-2222-3333-4444-555555555555",
"tags":{"ai.cloud.role":"shop.trail-guide","ai.cloud.roleInstance":"host-1","ai.internal.sdkVersion":"uwm_py3.12.3:otel1.38.0:ext1.0.0b44",%s},
"data":{"baseType":"%sData","baseData":%s}}`, kind, tags, kind, baseData)
}

func TestDecodePythonEnvelopes(t *testing.T) {
	body := "[" + strings.Join([]string{
		pyEnvelope("Request", `"ai.operation.id":"`+pyTrace+`","ai.operation.parentId":"`+pyTrace+`","ai.session.id":"s-1","ai.user.id":"u-9","ai.location.ip":"10.0.0.1"`,
			`{"ver":2,"id":"`+pyRoot+`","name":"POST /chat","duration":"1.02:03:04.5","responseCode":"500","success":false,"url":"http://localhost:8000/chat","properties":{"gen_ai.response.finish_reasons":"('stop',)"}}`),
		pyEnvelope("RemoteDependency", `"ai.operation.id":"`+pyTrace+`","ai.operation.parentId":"`+pyRoot+`"`,
			`{"ver":2,"id":"`+pyChild+`","name":"chat gpt-4o","duration":"0.00:00:01.234","resultCode":"0","success":true,"type":"GenAI | openai","target":"api.openai.com","properties":{"gen_ai.request.model":"gpt-4o","_MS.links":"[{\"operation_Id\":\"`+pyTrace+`\",\"id\":\"`+pyRoot+`\"}]"},"measurements":{"tokens":42}}`),
		pyEnvelope("RemoteDependency", `"ai.operation.id":"`+pyTrace+`","ai.operation.parentId":"`+pyRoot+`"`,
			`{"ver":2,"id":"1111111111111111","name":"GET /v1/models","duration":"0.00:00:00.010","resultCode":"404","success":false,"type":"HTTP","data":"https://api.openai.com/v1/models","target":"api.openai.com"}`),
		pyEnvelope("RemoteDependency", `"ai.operation.id":"`+pyTrace+`","ai.operation.parentId":"`+pyRoot+`"`,
			`{"ver":2,"id":"2222222222222222","name":"work","duration":"0.00:00:00.001","resultCode":"0","success":true,"type":"InProc"}`),
		pyEnvelope("RemoteDependency", `"ai.operation.id":"`+pyTrace+`","ai.operation.parentId":"`+pyRoot+`"`,
			`{"ver":2,"id":"3333333333333333","name":"send","duration":"0.00:00:00.001","success":true,"type":"Queue Message | servicebus"}`),
		pyEnvelope("Message", `"ai.operation.id":"`+pyTrace+`","ai.operation.parentId":"`+pyChild+`"`,
			`{"ver":2,"message":"gen_ai.user.message","severityLevel":"Warning","properties":{"gen_ai.event.content":"{\"role\": \"user\"}"}}`),
		pyEnvelope("Event", `"ai.operation.id":"`+pyTrace+`"`,
			`{"ver":2,"name":"checkout","properties":{"cart":"3"}}`),
		pyEnvelope("Exception", `"ai.operation.id":"`+pyTrace+`","ai.operation.parentId":"`+pyRoot+`"`,
			`{"ver":2,"exceptions":[{"typeName":"ValueError","message":"bad","hasFullStack":true,"parsedStack":[{"level":0,"method":"handler","fileName":"app.py","line":12}]}],"severityLevel":"Critical"}`),
		pyEnvelope("Metric", `"ai.operation.id":"`+pyTrace+`"`,
			`{"ver":2,"metrics":[{"name":"gen_ai.client.token.usage","value":90,"count":3,"min":10,"max":50},{"name":"queue.depth","value":7}],"properties":{"gen_ai.token.type":"input"}}`),
	}, ",") + "]"
	res, err := Decode([]byte(body), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("rejected: %+v", res.Errors)
	}
	b := res.Batch
	if len(b.Spans) != 5 || len(b.Logs) != 3 || len(b.Metrics) != 2 {
		t.Fatalf("got %d spans, %d logs, %d metrics; want 5, 3, 2", len(b.Spans), len(b.Logs), len(b.Metrics))
	}
	start := time.Date(2026, 11, 22, 15, 50, 49, 123456000, time.UTC).UnixNano()

	req := b.Spans[0]
	wantDur := 26*time.Hour + 3*time.Minute + 4*time.Second + 500*time.Millisecond
	if req.Kind != telemetry.SpanKindServer || !req.ParentSpanID.IsZero() || req.StartUnixNano != start ||
		time.Duration(req.DurationNano()) != wantDur || req.Status.Code != telemetry.StatusError {
		t.Errorf("request span: kind %s parent %q start %d duration %v status %s", req.Kind, req.ParentSpanID, req.StartUnixNano, time.Duration(req.DurationNano()), req.Status.Code)
	}
	for k, v := range map[string]any{
		"session.id": "s-1", "enduser.id": "u-9", "http.url": "http://localhost:8000/chat",
		"http.response.status_code": int64(500), "client.address": "10.0.0.1",
		"gen_ai.response.finish_reasons": "('stop',)",
	} {
		if req.Attributes[k] != v {
			t.Errorf("request %s = %#v, want %#v", k, req.Attributes[k], v)
		}
	}
	if req.Service() != "shop.trail-guide" || req.ProjectKey != "11111111-2222-3333-4444-555555555555" {
		t.Errorf("service %q key %q", req.Service(), req.ProjectKey)
	}

	chat := b.Spans[1]
	if chat.Kind != telemetry.SpanKindClient || chat.ParentSpanID.String() != pyRoot || time.Duration(chat.DurationNano()) != 1234*time.Millisecond {
		t.Errorf("chat span: kind %s parent %s duration %v", chat.Kind, chat.ParentSpanID, time.Duration(chat.DurationNano()))
	}
	if chat.Attributes["tokens"] != 42.0 || chat.Attributes["server.address"] != "api.openai.com" || chat.Attributes["cairn.ai.dependency_type"] != "GenAI | openai" {
		t.Errorf("chat attributes: %v", chat.Attributes)
	}
	if len(chat.Links) != 1 || chat.Links[0].SpanID.String() != pyRoot || chat.Links[0].TraceID.String() != pyTrace || chat.Attributes[msLinksProperty] != nil {
		t.Errorf("chat links: %+v (attribute %v)", chat.Links, chat.Attributes[msLinksProperty])
	}

	f := func(s *telemetry.Span, kind telemetry.SpanKind, attrs map[string]any) {
		t.Helper()
		if s.Kind != kind {
			t.Errorf("%s: kind %s, want %s", s.Name, s.Kind, kind)
		}
		for k, v := range attrs {
			if s.Attributes[k] != v {
				t.Errorf("%s: %s = %#v, want %#v", s.Name, k, s.Attributes[k], v)
			}
		}
	}
	f(b.Spans[2], telemetry.SpanKindClient, map[string]any{"http.url": "https://api.openai.com/v1/models", "http.response.status_code": int64(404)})
	f(b.Spans[3], telemetry.SpanKindInternal, map[string]any{"cairn.ai.dependency_type": "InProc"})
	f(b.Spans[4], telemetry.SpanKindProducer, nil)

	msg, ev, ex := b.Logs[0], b.Logs[1], b.Logs[2]
	if msg.EventName != "gen_ai.user.message" || msg.SpanID.String() != pyChild || msg.SeverityNumber != sevWarn || msg.TimeUnixNano != start {
		t.Errorf("message log: %+v", msg)
	}
	if ev.EventName != "checkout" || !ev.SpanID.IsZero() || ev.TraceID.String() != pyTrace || ev.Attributes["cart"] != "3" {
		t.Errorf("event log: %+v", ev)
	}
	if ex.EventName != "exception" || ex.SeverityNumber != sevFatal || ex.Attributes["exception.type"] != "ValueError" ||
		!strings.Contains(ex.Attributes.String("exception.stacktrace"), "at handler (app.py:12)") {
		t.Errorf("exception log: %+v", ex)
	}

	hist, gauge := b.Metrics[0], b.Metrics[1]
	if hist.Type != telemetry.MetricHistogram || hist.Count != 3 || hist.Sum != 90 || *hist.Min != 10 || *hist.Max != 50 ||
		hist.Attributes["gen_ai.token.type"] != "input" || len(hist.BucketCounts) != len(hist.ExplicitBounds)+1 {
		t.Errorf("aggregated metric: %+v", hist)
	}
	if gauge.Type != telemetry.MetricGauge || gauge.Value != 7 || gauge.Name != "queue.depth" {
		t.Errorf("gauge metric: %+v", gauge)
	}
}

func TestParseDuration(t *testing.T) {
	f := func(in string, want time.Duration, ok bool) {
		t.Helper()
		got, err := ParseDuration(in)
		if (err == nil) != ok || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", in, got, err, want, ok)
		}
	}
	f("0.00:00:01.234", 1234*time.Millisecond, true)
	f("1.02:03:04.5", 26*time.Hour+3*time.Minute+4*time.Second+500*time.Millisecond, true)
	f("00:00:00.0491587", 49158700*time.Nanosecond, true)
	f("00:00:00.050005", 50005*time.Microsecond, true)
	f("00:01:02", 62*time.Second, true)
	f("00:00:03.", 3*time.Second, true)
	f("12.23:59:59.9999999", 12*24*time.Hour+24*time.Hour-100*time.Nanosecond, true)
	f("00:00:60.000", time.Minute, true) // JS toFixed rounding
	f("", 0, false)
	f("1.234", 0, false)
	f("00:00:00.12345678", 0, false)
	f("00:60:00", 0, false)
	f("-0.00:00:01", 0, false)
	f("1.24:00:00", 0, false)
	f("999999999.00:00:00", 0, false)
	f("00:00:0x", 0, false)
	f("0.00:00:01.2a", 0, false)
}

func TestDecodeRejectsBadItems(t *testing.T) {
	f := func(baseData, tags, wantMsg string) {
		t.Helper()
		body := "[" + pyEnvelope("RemoteDependency", tags, baseData) + "]"
		res, err := Decode([]byte(body), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) != 1 || res.Batch.Len() != 0 || !strings.Contains(res.Errors[0].Message, wantMsg) {
			t.Errorf("errors %+v, %d items; want one error containing %q", res.Errors, res.Batch.Len(), wantMsg)
		}
	}
	okTags := `"ai.operation.id":"` + pyTrace + `"`
	f(`{"id":"xyz","name":"a","duration":"00:00:01"}`, okTags, "span id")
	f(`{"id":"`+pyRoot+`","name":"a","duration":"00:00:01"}`, `"ai.operation.id":"abc"`, "trace id")
	f(`{"id":"`+pyRoot+`","name":"a","duration":"00:00:01"}`, `"ai.operation.id":"`+pyTrace+`","ai.operation.parentId":"|x.y."`, "parentId")
	f(`{"id":"`+pyRoot+`","name":"a","duration":"00:00:01"}`, `"x":"y"`, "ai.operation.id")
	f(`{"id":"`+pyRoot+`","name":"a","duration":"soon"}`, okTags, "duration")
	f(`{"name":"a","duration":"00:00:01"}`, okTags, "baseData.id")
	f(`{"id":"`+pyRoot+`","name":"a","duration":"00:00:01","measurements":{"x":"y"}}`, okTags, "not a valid envelope")
}
