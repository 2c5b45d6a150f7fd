package genai

import (
	"strings"
	"testing"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// TestSpanMessages checks the messages of every carrier that arrives on the span itself.
func TestSpanMessages(t *testing.T) {
	type want struct {
		sys      []telemetry.Part
		in, out  []telemetry.Message
		recorded bool
		cut      bool
		conv     string
	}
	f := func(name string, s *telemetry.Span, w want) {
		t.Helper()
		newTestNormalizer(t).EnrichSpan(s)
		g := s.Generation
		if g == nil {
			t.Fatalf("%s: no generation", name)
		}
		if asJSON(g.SystemInstructions) != asJSON(w.sys) || asJSON(g.InputMessages) != asJSON(w.in) || asJSON(g.OutputMessages) != asJSON(w.out) {
			t.Errorf("%s:\n got sys %s\n  in %s\n out %s\nwant sys %s\n  in %s\n out %s", name,
				asJSON(g.SystemInstructions), asJSON(g.InputMessages), asJSON(g.OutputMessages), asJSON(w.sys), asJSON(w.in), asJSON(w.out))
		}
		if g.ContentRecorded != w.recorded || g.ContentTruncated != w.cut {
			t.Errorf("%s: recorded=%v truncated=%v; want %v %v", name, g.ContentRecorded, g.ContentTruncated, w.recorded, w.cut)
		}
		if w.conv != "" && g.Convention != w.conv {
			t.Errorf("%s: convention %q; want %q", name, g.Convention, w.conv)
		}
	}
	span := func(attrs telemetry.Attributes, events ...telemetry.Event) *telemetry.Span {
		if attrs == nil {
			attrs = telemetry.Attributes{}
		}
		if _, ok := attrs["gen_ai.operation.name"]; !ok {
			attrs["gen_ai.operation.name"] = "chat"
		}
		return &telemetry.Span{Name: "chat gpt-4o", Attributes: attrs, Events: events}
	}
	ev := func(name string, attrs telemetry.Attributes) telemetry.Event {
		return telemetry.Event{Name: name, Attributes: attrs}
	}

	f("newest attributes, JSON strings, every part type", span(telemetry.Attributes{
		"gen_ai.system_instructions": `[{"type":"text","content":"You are a trail guide."}]`,
		"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"Weather?"},` +
			`{"type":"blob","mime_type":"image/png","modality":"image","content":"iVBO"},` +
			`{"type":"uri","modality":"image","uri":"https://x/y.png"},{"type":"file","modality":"document","file_id":"file-1"}]},` +
			`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]},` +
			`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","result":"rainy"}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"reasoning","content":"think"},{"type":"text","content":"Rainy."},` +
			`{"type":"server_tool_call","name":"web"}],"finish_reason":"stop"}]`,
	}), want{
		sys: []telemetry.Part{{Type: "text", Content: "You are a trail guide."}},
		in: []telemetry.Message{
			{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: "Weather?"},
				{Type: "blob", MimeType: "image/png", Modality: "image", Content: "iVBO"},
				{Type: "uri", Modality: "image", URI: "https://x/y.png"}, {Type: "file", Modality: "document", FileID: "file-1"}}},
			{Role: "assistant", Parts: []telemetry.Part{{Type: "tool_call", ID: "call_1", Name: "get_weather", Arguments: map[string]any{"city": "Paris"}}}},
			{Role: "tool", Parts: []telemetry.Part{{Type: "tool_call_response", ID: "call_1", Response: "rainy"}}},
		},
		out: []telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{{Type: "reasoning", Content: "think"},
			{Type: "text", Content: "Rainy."}, {Type: "server_tool_call", Extra: map[string]any{"name": "web"}}}}},
		recorded: true, conv: "otel_genai",
	})
	f("newest attributes, structured values", span(telemetry.Attributes{
		"gen_ai.input.messages":      []any{map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": "Hi"}}}},
		"gen_ai.output.messages":     []any{map[string]any{"role": "assistant", "parts": []any{map[string]any{"type": "text", "content": "Hello"}}, "finish_reason": "stop"}},
		"gen_ai.system_instructions": map[string]any{"type": "text", "content": "Be brief."},
	}), want{
		sys:      []telemetry.Part{{Type: "text", Content: "Be brief."}},
		in:       []telemetry.Message{text("user", "Hi")},
		out:      []telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{{Type: "text", Content: "Hello"}}}},
		recorded: true,
	})
	f("OpenAI chat shape in the newest attribute, image_url and tool_calls", span(telemetry.Attributes{
		"gen_ai.input.messages": `[{"role":"system","content":"sys"},{"role":"user","content":[{"type":"text","text":"look"},` +
			`{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,AAAA"}}]},` +
			`{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},` +
			`{"role":"tool","tool_call_id":"c1","content":"42"}]`,
	}), want{
		in: []telemetry.Message{text("system", "sys"),
			{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: "look"}, {Type: "blob", Modality: "image", MimeType: "image/jpeg", Content: "AAAA"}}},
			{Role: "assistant", Parts: []telemetry.Part{{Type: "tool_call", ID: "c1", Name: "f", Arguments: `{"a":1}`}}},
			{Role: "tool", Parts: []telemetry.Part{{Type: "tool_call_response", ID: "c1", Response: "42"}}}},
		recorded: true,
	})
	f("span events, Azure SDK gen_ai.event.content", span(telemetry.Attributes{"gen_ai.system": "az.ai.inference"},
		ev("gen_ai.system.message", telemetry.Attributes{"gen_ai.system": "az.ai.inference", "gen_ai.event.content": `{"role": "system", "content": "You are an AI assistant that acts as a travel guide."}`}),
		ev("gen_ai.user.message", telemetry.Attributes{"gen_ai.event.content": `{"content": "What are some recommended supplies?"}`}),
		ev("gen_ai.choice", telemetry.Attributes{"gen_ai.event.content": `{"message": {"content": "Bring layers."}, "finish_reason": "stop", "index": 0}`}),
	), want{
		in:       []telemetry.Message{text("system", "You are an AI assistant that acts as a travel guide."), text("user", "What are some recommended supplies?")},
		out:      []telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{{Type: "text", Content: "Bring layers."}}}},
		recorded: true, conv: "otel_genai_events",
	})
	f("span events with the body as attributes, tool calls, choices out of order", span(nil,
		ev("gen_ai.user.message", telemetry.Attributes{"content": "Weather in Paris?"}),
		ev("gen_ai.assistant.message", telemetry.Attributes{"tool_calls": `[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]`}),
		ev("gen_ai.tool.message", telemetry.Attributes{"content": "rainy", "id": "c1"}),
		ev("gen_ai.choice", telemetry.Attributes{"index": int64(1), "finish_reason": "stop", "message": `{"content":"second"}`}),
		ev("gen_ai.choice", telemetry.Attributes{"index": "0", "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": "first"}}),
	), want{
		in: []telemetry.Message{text("user", "Weather in Paris?"),
			{Role: "assistant", Parts: []telemetry.Part{{Type: "tool_call", ID: "c1", Name: "get_weather", Arguments: "{}"}}},
			{Role: "tool", Parts: []telemetry.Part{{Type: "tool_call_response", ID: "c1", Response: "rainy"}}}},
		out: []telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{{Type: "text", Content: "first"}}},
			{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{{Type: "text", Content: "second"}}}},
		recorded: true,
	})
	f("oldest events gen_ai.content.prompt / completion", span(nil,
		ev("gen_ai.content.prompt", telemetry.Attributes{"gen_ai.prompt": `[{"role":"user","content":"Hi"}]`}),
		ev("gen_ai.content.completion", telemetry.Attributes{"gen_ai.completion": `[{"role":"assistant","content":"Hello"}]`}),
	), want{in: []telemetry.Message{text("user", "Hi")}, out: []telemetry.Message{text("assistant", "Hello")}, recorded: true})
	f("inference.operation.details span event, structured", span(nil,
		ev("gen_ai.client.inference.operation.details", telemetry.Attributes{
			"gen_ai.input.messages":  []any{map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": "Hi"}}}},
			"gen_ai.output.messages": []any{map[string]any{"role": "assistant", "parts": []any{map[string]any{"type": "text", "content": "Yo"}}}},
		})), want{in: []telemetry.Message{text("user", "Hi")}, out: []telemetry.Message{text("assistant", "Yo")}, recorded: true})
	f("openinference flattened messages", span(telemetry.Attributes{
		"gen_ai.operation.name":                                                   nil,
		"openinference.span.kind":                                                 "LLM",
		"llm.input_messages.0.message.role":                                       "system",
		"llm.input_messages.0.message.content":                                    "sys",
		"llm.input_messages.1.message.role":                                       "user",
		"llm.input_messages.1.message.contents.0.message_content.type":            "text",
		"llm.input_messages.1.message.contents.0.message_content.text":            "what is this?",
		"llm.input_messages.1.message.contents.1.message_content.type":            "image",
		"llm.input_messages.1.message.contents.1.message_content.image.image.url": "https://x/a.png",
		"llm.input_messages.2.message.role":                                       "tool",
		"llm.input_messages.2.message.tool_call_id":                               "c0",
		"llm.input_messages.2.message.content":                                    "done",
		"llm.input_messages.10.message.role":                                      "user",
		"llm.input_messages.10.message.content":                                   "tenth",
		"llm.output_messages.0.message.role":                                      "assistant",
		"llm.output_messages.0.message.tool_calls.0.tool_call.id":                 "c1",
		"llm.output_messages.0.message.tool_calls.0.tool_call.function.name":      "f",
		"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments": `{"x":1}`,
	}), want{
		in: []telemetry.Message{text("system", "sys"),
			{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: "what is this?"}, {Type: "uri", Modality: "image", URI: "https://x/a.png"}}},
			{Role: "tool", Parts: []telemetry.Part{{Type: "tool_call_response", ID: "c0", Response: "done"}}},
			text("user", "tenth")},
		out:      []telemetry.Message{{Role: "assistant", Parts: []telemetry.Part{{Type: "tool_call", ID: "c1", Name: "f", Arguments: `{"x":1}`}}}},
		recorded: true, conv: "openinference",
	})
	f("openinference input.value / output.value fallback", span(telemetry.Attributes{
		"gen_ai.operation.name": nil, "openinference.span.kind": "LLM",
		"input.value":  `{"messages":[{"role":"user","content":"hi"}],"model":"gpt-4o"}`,
		"output.value": "plain answer",
	}), want{in: []telemetry.Message{text("user", "hi")}, out: []telemetry.Message{text("assistant", "plain answer")}, recorded: true})
	f("openllmetry flattened prompt and completion", span(telemetry.Attributes{
		"gen_ai.operation.name":                      nil,
		"llm.request.type":                           "chat",
		"gen_ai.prompt.0.role":                       "system",
		"gen_ai.prompt.0.content":                    "sys",
		"gen_ai.prompt.1.role":                       "user",
		"gen_ai.prompt.1.content":                    `[{"type":"text","text":"describe"},{"type":"image_url","image_url":{"url":"https://x/b.png"}}]`,
		"gen_ai.completion.0.role":                   "assistant",
		"gen_ai.completion.0.finish_reason":          "tool_calls",
		"gen_ai.completion.0.tool_calls.0.id":        "c9",
		"gen_ai.completion.0.tool_calls.0.name":      "lookup",
		"gen_ai.completion.0.tool_calls.0.arguments": `{"q":"x"}`,
	}), want{
		in: []telemetry.Message{text("system", "sys"),
			{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: "describe"}, {Type: "uri", Modality: "image", URI: "https://x/b.png"}}}},
		out:      []telemetry.Message{{Role: "assistant", FinishReason: "tool_calls", Parts: []telemetry.Part{{Type: "tool_call", ID: "c9", Name: "lookup", Arguments: `{"q":"x"}`}}}},
		recorded: true, conv: "openllmetry",
	})
	f("content not recorded: tool call names only", span(nil,
		ev("gen_ai.assistant.message", telemetry.Attributes{"tool_calls": []any{map[string]any{"id": "c1", "type": "function", "function": map[string]any{"name": "f"}}}}),
		ev("gen_ai.choice", telemetry.Attributes{"index": int64(0), "finish_reason": "stop", "message": map[string]any{}}),
	), want{
		in:  []telemetry.Message{{Role: "assistant", Parts: []telemetry.Part{{Type: "tool_call", ID: "c1", Name: "f"}}}},
		out: []telemetry.Message{{Role: "assistant", FinishReason: "stop"}},
	})
	f("content not recorded: no carrier at all", span(telemetry.Attributes{"gen_ai.request.model": "gpt-4o"}), want{})

	cut := `[{"role":"user","parts":[{"type":"text","content":"` + strings.Repeat("a", appInsightsLimit)
	cut = cut[:appInsightsLimit]
	f("Application Insights cut at 8192 characters", span(telemetry.Attributes{"gen_ai.input.messages": cut}), want{
		in: []telemetry.Message{text("user", cut)}, recorded: true, cut: true,
	})
	s := span(telemetry.Attributes{"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"abc"}]}]`})
	s.Truncated = map[string]int{"gen_ai.output.messages": 5 << 20}
	f("cut by Cairn's limit (Span.Truncated)", s, want{out: []telemetry.Message{text("assistant", "abc")}, recorded: true, cut: true})
	f("a non-JSON string that is not cut is kept as text", span(telemetry.Attributes{"gen_ai.input.messages": "just text"}), want{
		in: []telemetry.Message{text("user", "just text")}, recorded: true,
	})
	// @opentelemetry/instrumentation-openai on the Responses API: a tool call's id is the output
	// item's (fc_...), its call_id the one the tool's response refers to.
	f("Responses API call_id beside the item id", span(telemetry.Attributes{
		"gen_ai.input.messages":  `[{"role":"user","parts":[{"type":"tool_call_response","id":"fco_1","call_id":"call_1","response":"rainy"}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"tool_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{}"}],"finish_reason":"tool_call"}]`,
	}), want{
		in:       []telemetry.Message{{Role: "user", Parts: []telemetry.Part{{Type: "tool_call_response", ID: "call_1", Response: "rainy"}}}},
		out:      []telemetry.Message{{Role: "assistant", FinishReason: "tool_call", Parts: []telemetry.Part{{Type: "tool_call", ID: "call_1", Name: "get_weather", Arguments: "{}"}}}},
		recorded: true,
	})
}

// TestParseMessages checks the exported parser on the shapes it accepts.
func TestParseMessages(t *testing.T) {
	f := func(in any, want []telemetry.Message, wantCut bool) {
		t.Helper()
		got, cut := ParseMessages(in, "user")
		if asJSON(got) != asJSON(want) || cut != wantCut {
			t.Errorf("ParseMessages(%v) = %s, %v; want %s, %v", in, asJSON(got), cut, asJSON(want), wantCut)
		}
	}
	f(`[{"role":"user","content":"a"}]`, []telemetry.Message{text("user", "a")}, false)
	f(`{"role":"assistant","content":"b"}`, []telemetry.Message{text("assistant", "b")}, false)
	f(`{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"c"}}]}`,
		[]telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{{Type: "text", Content: "c"}}}}, false)
	f(`["x", {"role":"user"}]`, []telemetry.Message{text("user", "x")}, false)
	f(``, nil, false)
	f(`[1, null, true]`, nil, false)
	f(int64(3), nil, false)
}
