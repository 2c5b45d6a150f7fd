package genai

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Real attribute keys the fuzzer combines with arbitrary values.
var fuzzKeys = []string{
	"gen_ai.operation.name", "gen_ai.system", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
	"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
	"gen_ai.response.finish_reasons", "gen_ai.request.stop_sequences", "gen_ai.request.temperature",
	"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.event.content",
	"openinference.span.kind", "llm.invocation_parameters", "llm.input_messages.0.message.content",
	"llm.input_messages.1.message.contents.0.message_content.text", "llm.output_messages.0.message.tool_calls.0.tool_call.function.name",
	"input.value", "output.value", "gen_ai.prompt.0.content", "gen_ai.completion.0.tool_calls.0.arguments",
	"llm.request.type", "traceloop.span.kind", "gen_ai.tool.call.arguments", "session.id", "content", "tool_calls",
	"message", "index", "gen_ai.prompt", "gen_ai.response.time_to_first_chunk", "error.type",
}

var fuzzEvents = []string{evSystem, evUser, evAssistant, evTool, evChoice, evDetails, evPrompt, evComplete, "exception", "First Token Stream Event"}

// fuzzValue turns bytes into one attribute value of the allowed types.
func fuzzValue(sel byte, s string) any {
	switch sel % 7 {
	case 0:
		return s
	case 1:
		return int64(len(s)) - 3
	case 2:
		return float64(len(s)) / 3
	case 3:
		return len(s)%2 == 0
	case 4:
		return []any{s, int64(1), nil}
	case 5:
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			return v
		}
		return map[string]any{"content": s, "tool_calls": []any{map[string]any{"function": s}}}
	default:
		return nil
	}
}

// buildFuzzSpan builds a span whose attributes and events are chosen by data.
func buildFuzzSpan(data []byte, payload string) *telemetry.Span {
	s := &telemetry.Span{Name: payload, StartUnixNano: 5, Attributes: telemetry.Attributes{}}
	for i := 0; i+1 < len(data); i += 2 {
		key := fuzzKeys[int(data[i])%len(fuzzKeys)]
		v := fuzzValue(data[i+1], payload)
		if data[i]&0x80 != 0 {
			s.Events = append(s.Events, telemetry.Event{TimeUnixNano: int64(data[i+1]),
				Name: fuzzEvents[int(data[i+1])%len(fuzzEvents)], Attributes: telemetry.Attributes{key: v}})
		} else {
			s.Attributes[key] = v
		}
	}
	if len(data)%3 == 0 {
		s.Status.Code = telemetry.StatusError
		s.Truncated = map[string]int{"gen_ai.input.messages": 1, "events[0].content": 2}
	}
	return s
}

func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, p := range []string{"testdata/breeze/breeze-js-beta47-logs.json", "testdata/breeze/breeze-js-beta47-traces.json"} {
		if b, err := os.ReadFile(p); err == nil {
			seeds = append(seeds, b)
		}
	}
	return seeds
}

// FuzzEnrich: arbitrary attribute keys, values and events never make Enrich panic.
func FuzzEnrich(f *testing.F) {
	f.Add([]byte{0, 0, 3, 1, 11, 5, 12, 5}, `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`)
	f.Add([]byte{0x80 | 35, 4, 14, 5, 15, 0}, `{"content":"x","message":{"tool_calls":[1]}}`)
	f.Add([]byte{9, 0, 8, 0}, "('stop', \"le'n\\\"gth\",")
	f.Add([]byte{15, 0, 16, 0, 17, 0, 18, 5}, "LLM")
	n, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, payload string) {
		s := buildFuzzSpan(data, payload)
		// Arbitrary keys too: the payload itself as a key.
		s.Attributes[payload] = payload
		n.Enrich(&telemetry.Batch{Spans: []*telemetry.Span{s, nil}})
		if g := s.Generation; g != nil {
			if g.CostUSD != nil && *g.CostUSD < 0 {
				t.Errorf("negative cost %v", *g.CostUSD)
			}
			if _, err := json.Marshal(g); err != nil {
				t.Errorf("generation does not marshal: %v", err)
			}
		}
	})
}

// FuzzParseMessages: arbitrary JSON (or not) never makes the message parser panic, and every
// message it returns has a role and parts.
func FuzzParseMessages(f *testing.F) {
	f.Add(`[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`)
	f.Add(`[{"role":"assistant","tool_calls":[{"id":"1","function":{"name":"f","arguments":"{}"}}]}]`)
	f.Add(`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":"data:;base64"}]}]}`)
	f.Add(`{"choices":[{"message":"{\"content\":1}"}]}`)
	f.Add(`[{"parts":[{"type":"blob"},{"type":"x","k":[1,{"a":null}]},"s",7]}]`)
	for _, s := range fuzzSeeds(f) {
		f.Add(string(s))
	}
	f.Fuzz(func(t *testing.T, s string) {
		// The fast decoder must accept what encoding/json accepts, with the same result.
		var std any
		if utf8.ValidString(s) && json.Unmarshal([]byte(s), &std) == nil {
			if _, isObjOrArr := std.(map[string]any); isObjOrArr || isArray(std) {
				got, ok := decodeJSON(s)
				if !ok || !reflect.DeepEqual(got, std) {
					t.Errorf("decodeJSON(%.200q) = %.200v, %v; encoding/json gives %.200v", s, got, ok, std)
				}
			}
		}
		msgs, _ := ParseMessages(s, "user")
		for _, m := range msgs {
			if m.Role == "" || len(m.Parts) == 0 {
				t.Errorf("message without role or parts: %s", asJSON(m))
			}
		}
		systemParts(s, false)
		parseStringList(s)
	})
}

func isArray(v any) bool {
	_, ok := v.([]any)
	return ok
}

// FuzzMergeLogs: arbitrary log records never make MergeLogs panic, whatever the span.
func FuzzMergeLogs(f *testing.F) {
	f.Add([]byte{0, 1, 2}, `{"content":"hi"}`, true)
	f.Add([]byte{4, 5}, `{"finish_reason":"stop","index":0,"message":{"content":"x"}}`, false)
	f.Add([]byte{5, 8}, `{"gen_ai.input.messages":"[1]"}`, true)
	for _, s := range fuzzSeeds(f) {
		f.Add([]byte{1, 4}, string(s), true)
	}
	n := newTestNormalizer(f)
	f.Fuzz(func(t *testing.T, sel []byte, body string, genai bool) {
		s := &telemetry.Span{Name: "chat", Attributes: telemetry.Attributes{}}
		if genai {
			s.Attributes["gen_ai.operation.name"] = "chat"
			s.Attributes["gen_ai.request.model"] = "gpt-4o"
			n.EnrichSpan(s)
		}
		var logs []*telemetry.LogRecord
		for i, b := range sel {
			l := &telemetry.LogRecord{TimeUnixNano: int64(b), EventName: fuzzEvents[int(b)%len(fuzzEvents)],
				Body: fuzzValue(b>>3, body), Attributes: telemetry.Attributes{fuzzKeys[i%len(fuzzKeys)]: fuzzValue(b>>4, body)}}
			if b&1 == 1 {
				l.Truncated = map[string]int{"body": 1}
			}
			logs = append(logs, l)
		}
		MergeLogs(s, logs)
		MergeLogs(s, logs)
		if g := s.Generation; g != nil {
			if _, err := json.Marshal(g); err != nil {
				t.Errorf("generation does not marshal: %v", err)
			}
		}
	})
}
