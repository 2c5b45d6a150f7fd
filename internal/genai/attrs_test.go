package genai

import (
	"testing"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// TestEnrichAttributes checks the scalar fields of the Generation for each convention and
// attribute alias, with typed values (OTLP) and string values (Application Insights).
func TestEnrichAttributes(t *testing.T) {
	f := func(name string, attrs telemetry.Attributes, want *telemetry.Generation) {
		t.Helper()
		s := enrichOne(t, attrs)
		got := s.Generation
		if got != nil {
			c := *got
			c.CostUSD, c.InputMessages, c.OutputMessages, c.SystemInstructions = nil, nil, nil, nil
			got = &c
		}
		if asJSON(got) != asJSON(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, asJSON(got), asJSON(want))
		}
	}
	ms := func(f float64) *float64 { return &f }

	f("newest, typed", telemetry.Attributes{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
		"gen_ai.response.id": "chatcmpl-1", "gen_ai.usage.input_tokens": int64(30),
		"gen_ai.usage.output_tokens": int64(16), "gen_ai.usage.cache_read.input_tokens": int64(10),
		"gen_ai.usage.cache_creation.input_tokens": int64(2), "gen_ai.usage.reasoning.output_tokens": int64(4),
		"gen_ai.response.finish_reasons": []any{"stop"}, "gen_ai.request.temperature": 0.7,
		"gen_ai.request.max_tokens": int64(100), "gen_ai.request.top_p": 1.0, "gen_ai.request.top_k": 40.0,
		"gen_ai.request.seed": int64(42), "gen_ai.request.stop_sequences": []any{"\n\n"},
		"gen_ai.request.frequency_penalty": 0.5, "gen_ai.request.presence_penalty": -0.5,
		"gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.25,
		"gen_ai.conversation.id": "conv-1",
	}, &telemetry.Generation{
		Operation: "chat", Provider: "openai", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
		ResponseID: "chatcmpl-1", Convention: "otel_genai", ConversationID: "conv-1",
		Usage:         telemetry.Usage{InputTokens: i64(30), OutputTokens: i64(16), CachedInputTokens: i64(10), CacheCreationTokens: i64(2), ReasoningTokens: i64(4), TotalTokens: i64(46)},
		FinishReasons: []string{"stop"},
		Params: map[string]any{"temperature": 0.7, "max_tokens": int64(100), "top_p": 1.0, "top_k": 40.0, "seed": int64(42),
			"stop_sequences": []string{"\n\n"}, "frequency_penalty": 0.5, "presence_penalty": -0.5, "stream": true},
		TimeToFirstTokenMs: ms(250),
	})
	f("application insights, strings (fixture chat span)", telemetry.Attributes{
		"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.system": "openai",
		"gen_ai.response.finish_reasons": "[\"stop\"]", "gen_ai.response.id": "chatcmpl-82439d5f7f70",
		"gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": "30",
		"gen_ai.usage.output_tokens": "16", "cairn.ai.dependency_type": "Dependency",
		"gen_ai.request.temperature": "0.2", "gen_ai.request.max_tokens": "256", "gen_ai.request.stream": "False",
		"gen_ai.request.stop_sequences": "('END', 'STOP')", "gen_ai.response.time_to_first_chunk": "0.5",
	}, &telemetry.Generation{
		Operation: "chat", Provider: "openai", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
		ResponseID: "chatcmpl-82439d5f7f70", Convention: "appinsights",
		Usage:              telemetry.Usage{InputTokens: i64(30), OutputTokens: i64(16), TotalTokens: i64(46)},
		FinishReasons:      []string{"stop"},
		Params:             map[string]any{"temperature": 0.2, "max_tokens": int64(256), "stream": false, "stop_sequences": []string{"END", "STOP"}},
		TimeToFirstTokenMs: ms(500),
	})
	f("python repr finish reasons, older token names", telemetry.Attributes{
		"gen_ai.operation.name": "chat", "gen_ai.system": "az.ai.inference", "gen_ai.request.model": "gpt-4o",
		"gen_ai.response.finish_reasons": "('stop', 'length')", "gen_ai.usage.prompt_tokens": "12",
		"gen_ai.usage.completion_tokens": "3",
	}, &telemetry.Generation{
		Operation: "chat", Provider: "az.ai.inference", RequestModel: "gpt-4o", Convention: "otel_genai",
		Usage:         telemetry.Usage{InputTokens: i64(12), OutputTokens: i64(3), TotalTokens: i64(15)},
		FinishReasons: []string{"stop", "length"},
	})
	f("python list repr, cache aliases of older instrumentations", telemetry.Attributes{
		"gen_ai.operation.name": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-3-5-sonnet-20241022",
		"gen_ai.response.finish_reasons": "['end_turn']", "gen_ai.usage.input_tokens": int64(100),
		"gen_ai.usage.output_tokens": int64(10), "gen_ai.usage.cache_read_input_tokens": int64(50),
		"gen_ai.usage.cache_creation_input_tokens": int64(20), "gen_ai.usage.total_tokens": int64(110),
	}, &telemetry.Generation{
		Operation: "chat", Provider: "anthropic", RequestModel: "claude-3-5-sonnet-20241022", Convention: "otel_genai",
		Usage:         telemetry.Usage{InputTokens: i64(100), OutputTokens: i64(10), CachedInputTokens: i64(50), CacheCreationTokens: i64(20), TotalTokens: i64(110)},
		FinishReasons: []string{"end_turn"},
	})
	f("cache_write rename and reasoning alias", telemetry.Attributes{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "aws.bedrock",
		"gen_ai.usage.cache_write.input_tokens": "7", "gen_ai.usage.reasoning_tokens": "3",
	}, &telemetry.Generation{
		Operation: "chat", Provider: "aws.bedrock", Convention: "otel_genai",
		Usage: telemetry.Usage{CacheCreationTokens: i64(7), ReasoningTokens: i64(3)},
	})
	f("openinference LLM", telemetry.Attributes{
		"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-mini-2024-07-18", "llm.provider": "openai",
		"llm.system": "openai", "llm.token_count.prompt": int64(20), "llm.token_count.completion": int64(5),
		"llm.token_count.total": int64(25), "llm.token_count.prompt_details.cache_read": int64(8),
		"llm.token_count.completion_details.reasoning": int64(1), "llm.token_count.prompt_details.cache_write": int64(2),
		"llm.invocation_parameters": `{"model": "gpt-4o-mini", "temperature": 0.1, "max_completion_tokens": 64, "stop": ["x"], "stream": true}`,
		"session.id":                "s-1", "user.id": "u-1",
	}, &telemetry.Generation{
		Operation: "chat", Provider: "openai", RequestModel: "gpt-4o-mini", ResponseModel: "gpt-4o-mini-2024-07-18",
		Convention: "openinference",
		Usage:      telemetry.Usage{InputTokens: i64(20), OutputTokens: i64(5), CachedInputTokens: i64(8), CacheCreationTokens: i64(2), ReasoningTokens: i64(1), TotalTokens: i64(25)},
		Params:     map[string]any{"temperature": 0.1, "max_tokens": int64(64), "stop_sequences": []string{"x"}, "stream": true},
	})
	f("openinference embedding", telemetry.Attributes{
		"openinference.span.kind": "EMBEDDING", "embedding.model_name": "text-embedding-3-small", "llm.system": "openai",
	}, &telemetry.Generation{Operation: "embeddings", Provider: "openai", RequestModel: "text-embedding-3-small",
		ResponseModel: "text-embedding-3-small", Convention: "openinference"})
	f("openinference CHAIN is not a generation", telemetry.Attributes{
		"openinference.span.kind": "CHAIN", "input.value": "hi",
	}, nil)
	f("openllmetry chat", telemetry.Attributes{
		"llm.request.type": "chat", "gen_ai.system": "OpenAI", "gen_ai.request.model": "gpt-3.5-turbo",
		"gen_ai.response.model": "gpt-3.5-turbo-0125", "gen_ai.usage.prompt_tokens": int64(9),
		"gen_ai.usage.completion_tokens": int64(12), "llm.usage.total_tokens": int64(21),
		"llm.is_streaming": false, "gen_ai.request.temperature": 0.5, "llm.frequency_penalty": 0.1,
		"llm.presence_penalty": 0.2, "llm.top_k": int64(3),
	}, &telemetry.Generation{
		Operation: "chat", Provider: "openai", RequestModel: "gpt-3.5-turbo", ResponseModel: "gpt-3.5-turbo-0125",
		Convention: "openllmetry",
		Usage:      telemetry.Usage{InputTokens: i64(9), OutputTokens: i64(12), TotalTokens: i64(21)},
		Params:     map[string]any{"temperature": 0.5, "frequency_penalty": 0.1, "presence_penalty": 0.2, "top_k": 3.0, "stream": false},
	})
	f("openllmetry completion request type", telemetry.Attributes{
		"llm.request.type": "completion", "gen_ai.system": "openai",
	}, &telemetry.Generation{Operation: "text_completion", Provider: "openai", Convention: "openllmetry"})
	f("openllmetry agent (traceloop.span.kind)", telemetry.Attributes{
		"traceloop.span.kind": "agent", "traceloop.entity.name": "planner",
	}, &telemetry.Generation{Operation: "invoke_agent", AgentName: "planner", Convention: "openllmetry"})
	f("openllmetry workflow is not a generation", telemetry.Attributes{
		"traceloop.span.kind": "workflow", "traceloop.entity.name": "trip",
	}, nil)
	f("newest agent", telemetry.Attributes{
		"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "TrailGuide", "gen_ai.provider.name": "azure.ai.agents",
	}, &telemetry.Generation{Operation: "invoke_agent", Provider: "azure.ai.agents", AgentName: "TrailGuide", Convention: "otel_genai"})
	f("error.type", telemetry.Attributes{
		"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "error.type": "RateLimitError",
	}, &telemetry.Generation{Operation: "chat", Provider: "openai", ErrorType: "RateLimitError", Convention: "otel_genai"})
	f("no operation name: from the span name default", telemetry.Attributes{
		"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
	}, &telemetry.Generation{Operation: "chat", Provider: "openai", RequestModel: "gpt-4o", Convention: "otel_genai"})
	f("not a GenAI span", telemetry.Attributes{"prompt.user": "hello", "response.tokens": "13"}, nil)
	f("garbage values are ignored, not guessed", telemetry.Attributes{
		"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": "many", "gen_ai.request.temperature": "hot",
		"gen_ai.usage.output_tokens": int64(-3),
	}, &telemetry.Generation{Operation: "chat", Convention: "otel_genai"})
}

// TestEnrichToolSpan checks a tool execution's name, arguments and result.
func TestEnrichToolSpan(t *testing.T) {
	f := func(name string, attrs telemetry.Attributes, wantTool string, wantArgs, wantResult any) {
		t.Helper()
		g := enrichOne(t, attrs).Generation
		if g == nil || g.Operation != "execute_tool" || g.ToolName != wantTool {
			t.Fatalf("%s: generation %s; want execute_tool %q", name, asJSON(g), wantTool)
		}
		if len(g.InputMessages) != 1 || len(g.OutputMessages) != 1 ||
			asJSON(g.InputMessages[0].Parts[0].Arguments) != asJSON(wantArgs) ||
			asJSON(g.OutputMessages[0].Parts[0].Response) != asJSON(wantResult) || !g.ContentRecorded {
			t.Errorf("%s: messages %s / %s", name, asJSON(g.InputMessages), asJSON(g.OutputMessages))
		}
	}
	f("newest", telemetry.Attributes{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
		"gen_ai.tool.call.id": "call_1", "gen_ai.tool.call.arguments": `{"city":"Paris"}`, "gen_ai.tool.call.result": "rainy"},
		"get_weather", `{"city":"Paris"}`, "rainy")
	f("openinference", telemetry.Attributes{"openinference.span.kind": "TOOL", "tool.name": "search",
		"input.value": `{"q":"lakes"}`, "output.value": "3 results"}, "search", `{"q":"lakes"}`, "3 results")
	f("openllmetry", telemetry.Attributes{"traceloop.span.kind": "tool", "traceloop.entity.name": "lookup",
		"traceloop.entity.input": `{"args":[1]}`, "traceloop.entity.output": `{"ok":true}`}, "lookup", `{"args":[1]}`, `{"ok":true}`)
}

// TestEnrichSessionUser checks the session and user aliases on any span.
func TestEnrichSessionUser(t *testing.T) {
	f := func(attrs telemetry.Attributes, wantSession, wantUser string) {
		t.Helper()
		s := enrichOne(t, attrs)
		if s.SessionID != wantSession || s.UserID != wantUser {
			t.Errorf("%v: session %q user %q; want %q %q", attrs, s.SessionID, s.UserID, wantSession, wantUser)
		}
	}
	f(telemetry.Attributes{"session.id": "s1", "user.id": "u1"}, "s1", "u1")
	f(telemetry.Attributes{"gen_ai.conversation.id": "c1", "enduser.id": "u2"}, "c1", "u2")
	f(telemetry.Attributes{"ai.session.id": "s3", "ai.user.id": "u3"}, "s3", "u3")
	f(telemetry.Attributes{"session.id": "s4", "gen_ai.conversation.id": "c4"}, "s4", "")
	f(telemetry.Attributes{"session.id": int64(7)}, "7", "")
	f(telemetry.Attributes{"other": "x"}, "", "")
}

// TestEnrichErrorAndFirstToken checks the error type from exception events and the time to
// first token from a first-token event.
func TestEnrichErrorAndFirstToken(t *testing.T) {
	s := &telemetry.Span{Name: "chat gpt-4o", StartUnixNano: 1_000_000_000, EndUnixNano: 2_000_000_000,
		Status:     telemetry.Status{Code: telemetry.StatusError},
		Attributes: telemetry.Attributes{"gen_ai.operation.name": "chat", "gen_ai.system": "openai"},
		Events: []telemetry.Event{
			{TimeUnixNano: 1_120_000_000, Name: "First Token Stream Event"},
			{TimeUnixNano: 1_500_000_000, Name: "exception", Attributes: telemetry.Attributes{"exception.type": "openai.RateLimitError"}},
		}}
	newTestNormalizer(t).EnrichSpan(s)
	g := s.Generation
	if g.ErrorType != "openai.RateLimitError" || g.TimeToFirstTokenMs == nil || *g.TimeToFirstTokenMs != 120 {
		t.Errorf("got %s", asJSON(g))
	}
	s.Events = nil
	newTestNormalizer(t).EnrichSpan(s)
	if s.Generation.ErrorType != "_OTHER" || s.Generation.TimeToFirstTokenMs != nil {
		t.Errorf("without events: %s", asJSON(s.Generation))
	}
}
