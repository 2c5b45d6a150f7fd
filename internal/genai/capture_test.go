package genai

import (
	"encoding/json"
	"os"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// The captures in testdata/captures are the OTLP/HTTP JSON that real OpenAI instrumentations
// exported for the same three calls (test/interop/genai-capture/capture.mjs): a chat with a
// system and a user message, a tool round trip, and a streamed chat.

// loadCapture decodes one capture with the Collector's pdata JSON unmarshalers into spans and
// the log records linked to each span (event.name attribute as EventName, as the OTLP
// receiver does).
func loadCapture(t *testing.T, name string) ([]*telemetry.Span, map[telemetry.SpanID][]*telemetry.LogRecord) {
	t.Helper()
	data, err := os.ReadFile("testdata/captures/" + name + ".json")
	if err != nil {
		t.Fatalf("%v (regenerate with: cd test/interop/genai-capture && npm install && npm run capture)", err)
	}
	var c struct{ Traces, Logs []json.RawMessage }
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var spans []*telemetry.Span
	for _, raw := range c.Traces {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
		if err != nil {
			t.Fatalf("%s traces: %v", name, err)
		}
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					spans = append(spans, captureSpan(sp, ss.Scope()))
				}
			}
		}
	}
	logs := map[telemetry.SpanID][]*telemetry.LogRecord{}
	for _, raw := range c.Logs {
		ld, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(raw)
		if err != nil {
			t.Fatalf("%s logs: %v", name, err)
		}
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					l := &telemetry.LogRecord{TimeUnixNano: int64(lr.Timestamp()), EventName: lr.EventName(),
						Body: lr.Body().AsRaw(), Attributes: lr.Attributes().AsRaw(), SpanID: telemetry.SpanID(lr.SpanID())}
					if l.EventName == "" {
						l.EventName = l.Attributes.String("event.name")
					}
					logs[l.SpanID] = append(logs[l.SpanID], l)
				}
			}
		}
	}
	return spans, logs
}

func captureSpan(sp ptrace.Span, scope pcommon.InstrumentationScope) *telemetry.Span {
	s := &telemetry.Span{TraceID: telemetry.TraceID(sp.TraceID()), SpanID: telemetry.SpanID(sp.SpanID()), Name: sp.Name(),
		Kind: telemetry.SpanKind(sp.Kind()), StartUnixNano: int64(sp.StartTimestamp()), EndUnixNano: int64(sp.EndTimestamp()),
		Attributes: sp.Attributes().AsRaw(), Scope: telemetry.Scope{Name: scope.Name(), Version: scope.Version()},
		Status: telemetry.Status{Code: telemetry.StatusCode(sp.Status().Code()), Message: sp.Status().Message()}}
	for _, ev := range sp.Events().All() {
		s.Events = append(s.Events, telemetry.Event{TimeUnixNano: int64(ev.Timestamp()), Name: ev.Name(), Attributes: ev.Attributes().AsRaw()})
	}
	return s
}

// TestCaptures checks the Generation of each call as each real instrumentation reported it.
func TestCaptures(t *testing.T) {
	type call struct {
		in, out      int64 // tokens; 0 = not reported
		system, user string
		answer       string
		toolCall     string // name of a tool call in the output
		finish       string
		toolResult   bool // the input carries the tool's result
	}
	calls := []call{
		{25, 12, "You are an AI assistant that acts as a travel guide.", "What are some recommended supplies for a camping trip in the mountains?",
			"Bring layers, a rain shell, water filter, map, headlamp and a first-aid kit.", "", "stop", false},
		{26, 12, "", "What is the weather at Mount Rainier?", "", "get_weather", "tool_calls", false},
		{27, 12, "", "What is the weather at Mount Rainier?", "It is rainy at Mount Rainier: pack a rain shell.", "", "stop", true},
		{28, 12, "", "Recommend a named hiking trail.", "Skyline Trail: a 5.5-mile loop above Paradise.", "", "stop", false},
	}
	f := func(name, wantConv string, noStreamUsage bool, finishAlias map[string]string) {
		t.Helper()
		spans, logs := loadCapture(t, name)
		newTestNormalizer(t).Enrich(&telemetry.Batch{Spans: spans})
		if len(spans) != len(calls) {
			t.Fatalf("%s: %d spans; want %d", name, len(spans), len(calls))
		}
		for i, s := range spans {
			MergeLogs(s, logs[s.SpanID])
			g, want := s.Generation, calls[i]
			if g == nil {
				t.Fatalf("%s call %d: no generation", name, i)
			}
			if g.Operation != "chat" || g.Provider != "openai" || g.RequestModel != "gpt-4o-mini" || g.Convention != wantConv || !g.ContentRecorded {
				t.Errorf("%s call %d: %s", name, i, asJSON(g))
			}
			if noStreamUsage && i == 3 {
				want.in, want.out = 0, 0
			}
			if val(g.Usage.InputTokens) != want.in || val(g.Usage.OutputTokens) != want.out || (want.in > 0) != (g.CostUSD != nil) {
				t.Errorf("%s call %d: usage %s cost %v; want %d/%d", name, i, asJSON(g.Usage), g.CostUSD, want.in, want.out)
			}
			wantFinish := want.finish
			if a, ok := finishAlias[wantFinish]; ok {
				wantFinish = a
			}
			if len(g.FinishReasons) != 1 || g.FinishReasons[0] != wantFinish {
				t.Errorf("%s call %d: finish reasons %v; want %q", name, i, g.FinishReasons, wantFinish)
			}
			var system, user, answer, tool string
			toolResult := false
			for _, m := range g.InputMessages {
				switch m.Role {
				case "system":
					system = m.Text()
				case "user":
					if text := m.Text(); text != "" { // the Responses API sends tool results as user messages
						user = text
					}
				}
				for _, p := range m.Parts {
					toolResult = toolResult || (p.Type == "tool_call_response" && p.ID == "call_weather_1" && p.Response != nil)
				}
			}
			for _, p := range g.SystemInstructions {
				system = p.Content
			}
			for _, m := range g.OutputMessages {
				answer += m.Text()
				for _, p := range m.Parts {
					if p.Type == "tool_call" {
						tool = p.Name
						if p.ID != "call_weather_1" {
							t.Errorf("%s call %d: tool call id %q; want call_weather_1, the id its response refers to", name, i, p.ID)
						}
					}
				}
			}
			if system != want.system || user != want.user || answer != want.answer || tool != want.toolCall || toolResult != want.toolResult {
				t.Errorf("%s call %d: system %q user %q answer %q tool %q toolResult %v\n in %s\n out %s", name, i, system, user, answer, tool, toolResult,
					asJSON(g.InputMessages), asJSON(g.OutputMessages))
			}
		}
	}
	// @opentelemetry/instrumentation-openai: attributes on the span, content as log records.
	f("otel", "otel_genai_events", false, nil)
	// @arizeai/openinference-instrumentation-openai: flattened llm.* attributes; no usage on streams.
	f("openinference", "openinference", true, nil)
	// @traceloop/instrumentation-openai: the newest gen_ai.input/output.messages attributes,
	// no usage on streams, finish reason "tool_call".
	f("openllmetry", "openllmetry", true, map[string]string{"tool_calls": "tool_call"})
	// @opentelemetry/instrumentation-openai on the Responses API: the newest convention as
	// gen_ai.client.inference.operation.details log records (structured gen_ai.input.messages,
	// gen_ai.output.messages), gen_ai.system_instructions as a plain string on the span, and
	// Responses' call_id beside the item id on tool calls.
	f("otel-responses", "otel_genai_events", false, map[string]string{"tool_calls": "tool_call"})
}
