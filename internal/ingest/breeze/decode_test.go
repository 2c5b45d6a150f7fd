package breeze

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

func decodeFile(t *testing.T, name string) *Result {
	t.Helper()
	body, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Decode(body, "application/json")
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("Decode(%s) rejected envelopes: %+v", name, res.Errors)
	}
	return res
}

func spanByName(t *testing.T, spans []*telemetry.Span, trace, name string) *telemetry.Span {
	t.Helper()
	for _, s := range spans {
		if s.TraceID.String() == trace && s.Name == name {
			return s
		}
	}
	t.Fatalf("no span %q in trace %s", name, trace)
	return nil
}

func TestDecodeJSTracesFixture(t *testing.T) {
	res := decodeFile(t, "breeze-js-beta47-traces.json")
	b := res.Batch
	if res.Received != 18 || len(b.Spans) != 16 || len(b.Logs) != 1 || len(b.Metrics) != 0 {
		t.Fatalf("received %d, got %d spans, %d logs, %d metrics; want 18, 16, 1, 0 (the _OTELRESOURCE_ envelope is no metric)",
			res.Received, len(b.Spans), len(b.Logs), len(b.Metrics))
	}
	const trace = "14079ca250425ca0257b94c26dfdcc31"
	session := spanByName(t, b.Spans, trace, "trail_guide_session")
	hike := spanByName(t, b.Spans, trace, "recommend_hike")
	call := spanByName(t, b.Spans, trace, "recommend_model_call")
	var chat *telemetry.Span
	for _, s := range b.Spans {
		if s.TraceID.String() == trace && s.Name == "chat gpt-4o" && s.ParentSpanID == call.SpanID {
			chat = s
		}
	}
	if chat == nil {
		t.Fatal("no chat gpt-4o span under recommend_model_call")
	}

	f := func(s *telemetry.Span, parent *telemetry.Span, kind telemetry.SpanKind, dur time.Duration) {
		t.Helper()
		var wantParent telemetry.SpanID
		if parent != nil {
			wantParent = parent.SpanID
		}
		if s.ParentSpanID != wantParent {
			t.Errorf("%s: parent %s, want %s", s.Name, s.ParentSpanID, wantParent)
		}
		if s.Kind != kind {
			t.Errorf("%s: kind %s, want %s", s.Name, s.Kind, kind)
		}
		if got := time.Duration(s.DurationNano()); got != dur {
			t.Errorf("%s: duration %v, want %v", s.Name, got, dur)
		}
		if s.Service() != "trail-guide-azure" || s.ProjectKey != "00000000-0000-0000-0000-000000000000" {
			t.Errorf("%s: service %q key %q", s.Name, s.Service(), s.ProjectKey)
		}
		if s.Status.Code != telemetry.StatusUnset {
			t.Errorf("%s: status %s, want unset", s.Name, s.Status.Code)
		}
	}
	f(session, nil, telemetry.SpanKindInternal, 56560100*time.Nanosecond)
	f(hike, session, telemetry.SpanKindInternal, 50750500*time.Nanosecond)
	f(call, hike, telemetry.SpanKindInternal, 50627900*time.Nanosecond)
	f(chat, call, telemetry.SpanKindClient, 50005000*time.Nanosecond)

	if got := session.Attributes.String("session.id"); got != "session_2a312162-956c-4915-835b-7d2bcd660c9e" {
		t.Errorf("session.id = %q", got)
	}
	wantStart := time.Date(2026, 11, 22, 15, 50, 49, 713e6, time.UTC).UnixNano()
	if session.StartUnixNano != wantStart {
		t.Errorf("session start %d, want %d", session.StartUnixNano, wantStart)
	}
	for k, v := range map[string]string{
		"gen_ai.operation.name":          "chat",
		"gen_ai.request.model":           "gpt-4o",
		"gen_ai.system":                  "openai",
		"gen_ai.response.model":          "gpt-4o-2024-08-06",
		"gen_ai.response.finish_reasons": `["stop"]`,
		"gen_ai.usage.input_tokens":      "30",
		"gen_ai.usage.output_tokens":     "16",
		"cairn.ai.dependency_type":       "Dependency",
	} {
		if got := chat.Attributes.String(k); got != v {
			t.Errorf("chat %s = %q, want %q", k, got, v)
		}
	}
	if _, ok := chat.Attributes["cairn.ai.result_code"]; ok {
		t.Error("the exporters' default result code 0 should not become an attribute")
	}
	if call.Attributes.String("response.tokens") != "13" || !strings.HasPrefix(call.Attributes.String("prompt.user"), "Recommend a named hiking trail") {
		t.Errorf("recommend_model_call attributes: %v", call.Attributes)
	}
	if session.Resource != chat.Resource {
		t.Error("spans of one (role, instance) should share one *Resource")
	}
	if got := session.Resource.Attributes.String("service.instance.id"); got != "vm" {
		t.Errorf("service.instance.id = %q", got)
	}
}

func TestDecodeJSTracesFixtureFailedSession(t *testing.T) {
	res := decodeFile(t, "breeze-js-beta47-traces.json")
	const trace = "8391d5c9f3a2e987379a528ffd994e73"
	call := spanByName(t, res.Batch.Spans, trace, "recommend_model_call")
	session := spanByName(t, res.Batch.Spans, trace, "trail_guide_session")
	for _, s := range []*telemetry.Span{call, session} {
		if s.Status.Code != telemetry.StatusError {
			t.Errorf("%s: status %s, want error", s.Name, s.Status.Code)
		}
	}
	ex := res.Batch.Logs[0]
	if ex.EventName != "exception" || ex.TraceID.String() != trace || ex.SpanID != call.SpanID {
		t.Fatalf("exception log: event %q trace %s span %s; want exception on %s/%s", ex.EventName, ex.TraceID, ex.SpanID, trace, call.SpanID)
	}
	if ex.Attributes.String("exception.type") != "429" ||
		ex.Attributes.String("exception.message") != "429 Rate limit reached for gpt-4o" ||
		!strings.Contains(ex.Attributes.String("exception.stacktrace"), "at OpenAI.makeRequest") {
		t.Errorf("exception attributes: %v", ex.Attributes)
	}
	if ex.SeverityNumber != sevError {
		t.Errorf("exception severity %d, want %d", ex.SeverityNumber, sevError)
	}
}

func TestDecodeJSLogsFixture(t *testing.T) {
	res := decodeFile(t, "breeze-js-beta47-logs.json")
	logs := res.Batch.Logs
	if len(logs) != 14 {
		t.Fatalf("got %d logs, want 14", len(logs))
	}
	f := func(i int, trace, span, event, content string) {
		t.Helper()
		l := logs[i]
		if l.TraceID.String() != trace || l.SpanID.String() != span || l.EventName != event {
			t.Errorf("log %d: %s/%s %q; want %s/%s %q", i, l.TraceID, l.SpanID, l.EventName, trace, span, event)
		}
		body, ok := l.Body.(map[string]any)
		if !ok {
			t.Fatalf("log %d: body %T, want the decoded JSON object", i, l.Body)
		}
		got, _ := body["content"].(string)
		if event == "gen_ai.choice" {
			msg, _ := body["message"].(map[string]any)
			got, _ = msg["content"].(string)
			if body["index"] != int64(0) || body["finish_reason"] != "stop" {
				t.Errorf("log %d: choice body %v", i, body)
			}
		}
		if got != content {
			t.Errorf("log %d: content %q, want %q", i, got, content)
		}
		if l.SeverityNumber != sevInfo || l.Attributes.String("gen_ai.system") != "openai" || l.Resource.ServiceName() != "trail-guide-azure" {
			t.Errorf("log %d: severity %d attributes %v", i, l.SeverityNumber, l.Attributes)
		}
	}
	const trace = "14079ca250425ca0257b94c26dfdcc31"
	f(0, trace, "e4e54aa8a37dbaa8", "gen_ai.system.message", "You are an expert hiking trail recommender.")
	f(1, trace, "e4e54aa8a37dbaa8", "gen_ai.user.message",
		"Recommend a named hiking trail based on the following user preferences. Provide only the name of the trail and a one-sentence summary. Preferences: moderate difficulty, lakes, under 6 miles, trip 0")
	f(2, trace, "e4e54aa8a37dbaa8", "gen_ai.choice", "Skyline Trail: a 5.5-mile loop above Paradise with glacier views and wildflower meadows.")
	f(5, trace, "0b456e0f1237028e", "gen_ai.choice", "Bring layers, a rain shell, water filter, map, headlamp and a first-aid kit.")
	f(13, "8391d5c9f3a2e987379a528ffd994e73", "9696c73584fcb8c0", "gen_ai.user.message",
		"Recommend a named hiking trail based on the following user preferences. Provide only the name of the trail and a one-sentence summary. Preferences: FAIL: a rate-limited request")
}
