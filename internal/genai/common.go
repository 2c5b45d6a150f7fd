package genai

import (
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Usage attribute aliases, newest convention first, then older GenAI names, OpenInference and
// OpenLLMetry.
var (
	inputTokenKeys = []string{"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
		"llm.token_count.prompt", "llm.usage.prompt_tokens"}
	outputTokenKeys = []string{"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
		"llm.token_count.completion", "llm.usage.completion_tokens"}
	cacheReadKeys = []string{"gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens",
		"llm.token_count.prompt_details.cache_read", "gen_ai.usage.cached_input_tokens",
		"gen_ai.openai.usage.prompt_tokens_cached"}
	cacheCreationKeys = []string{"gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens",
		"gen_ai.usage.cache_creation_input_tokens", "gen_ai.usage.cache_write_input_tokens",
		"llm.token_count.prompt_details.cache_write"}
	reasoningKeys = []string{"gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens",
		"gen_ai.usage.reasoning_output_tokens", "llm.token_count.completion_details.reasoning"}
	totalTokenKeys   = []string{"gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.token_count.total"}
	reportedCostKeys = []string{"gen_ai.usage.cost", "llm.cost.total", "gen_ai.cost.usd"}
)

// fillCommon fills the generation's empty fields from an attribute map (a span's, or the
// attributes of a gen_ai.client.inference.operation.details event).
func fillCommon(g *telemetry.Generation, a map[string]any) {
	if g.Provider == "" {
		g.Provider = strings.ToLower(firstString(a, "gen_ai.provider.name", "gen_ai.system"))
	}
	fillModels(g, a)
	setStr(&g.ResponseID, a, "gen_ai.response.id")
	setStr(&g.ConversationID, a, "gen_ai.conversation.id")
	setStr(&g.AgentName, a, "gen_ai.agent.name")
	setStr(&g.ToolName, a, "gen_ai.tool.name", "tool.name")
	setStr(&g.ErrorType, a, "error.type")
	fillUsage(&g.Usage, a)
	if len(g.FinishReasons) == 0 {
		if v, ok := first(a, "gen_ai.response.finish_reasons", "llm.response.finish_reason", "llm.finish_reason"); ok {
			g.FinishReasons = nonEmpty(asStrings(v))
		}
	}
	fillParams(g, a)
	if g.RequestModel == "" {
		g.RequestModel = g.ResponseModel
	}
	if g.TimeToFirstTokenMs == nil {
		if sec, ok := firstFloat(a, "gen_ai.response.time_to_first_chunk", "gen_ai.server.time_to_first_token"); ok && sec >= 0 {
			ms := sec * 1000
			g.TimeToFirstTokenMs = &ms
		}
	}
	if g.CostUSD == nil {
		if c, ok := firstFloat(a, reportedCostKeys...); ok && c >= 0 {
			g.CostUSD = &c
		}
	}
}

// fillModels sets the request and response models. OpenInference's llm.model_name is the
// model the provider reported; its requested model is in llm.invocation_parameters.
func fillModels(g *telemetry.Generation, a map[string]any) {
	setStr(&g.RequestModel, a, "gen_ai.request.model", "llm.request.model")
	setStr(&g.ResponseModel, a, "gen_ai.response.model", "llm.response.model", "llm.model_name", "embedding.model_name")
}

func setStr(dst *string, a map[string]any, keys ...string) {
	if *dst == "" {
		*dst = firstString(a, keys...)
	}
}

func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// fillUsage sets the token counts the attributes report.
func fillUsage(u *telemetry.Usage, a map[string]any) {
	set := func(dst **int64, keys []string) {
		if *dst == nil {
			if p := firstInt(a, keys...); p != nil && *p >= 0 {
				*dst = p
			}
		}
	}
	set(&u.InputTokens, inputTokenKeys)
	set(&u.OutputTokens, outputTokenKeys)
	set(&u.CachedInputTokens, cacheReadKeys)
	set(&u.CacheCreationTokens, cacheCreationKeys)
	set(&u.ReasoningTokens, reasoningKeys)
	set(&u.TotalTokens, totalTokenKeys)
}

// paramSpec maps a normalised parameter to its attribute aliases and invocation-parameter
// (OpenInference llm.invocation_parameters JSON) names, and says how to type it.
type paramSpec struct {
	name string
	kind byte // 'f' float, 'i' int, 'b' bool, 's' list of strings
	keys []string
	json []string
}

var paramSpecs = []paramSpec{
	{"temperature", 'f', []string{"gen_ai.request.temperature", "llm.temperature"}, []string{"temperature"}},
	{"max_tokens", 'i', []string{"gen_ai.request.max_tokens", "llm.request.max_tokens"},
		[]string{"max_tokens", "max_completion_tokens", "max_output_tokens"}},
	{"top_p", 'f', []string{"gen_ai.request.top_p", "llm.top_p"}, []string{"top_p"}},
	{"top_k", 'f', []string{"gen_ai.request.top_k", "llm.top_k"}, []string{"top_k"}},
	{"seed", 'i', []string{"gen_ai.request.seed"}, []string{"seed"}},
	{"stop_sequences", 's', []string{"gen_ai.request.stop_sequences", "llm.chat.stop_sequences"}, []string{"stop", "stop_sequences"}},
	{"frequency_penalty", 'f', []string{"gen_ai.request.frequency_penalty", "llm.frequency_penalty"}, []string{"frequency_penalty"}},
	{"presence_penalty", 'f', []string{"gen_ai.request.presence_penalty", "llm.presence_penalty"}, []string{"presence_penalty"}},
	{"stream", 'b', []string{"gen_ai.request.stream", "llm.is_streaming", "gen_ai.request.streaming"}, []string{"stream"}},
}

// fillParams sets request parameters from gen_ai.request.* (and OpenLLMetry's llm.*) and from
// OpenInference's llm.invocation_parameters JSON.
func fillParams(g *telemetry.Generation, a map[string]any) {
	var inv map[string]any
	if raw, ok := a["llm.invocation_parameters"]; ok {
		inv, _ = eventBody(raw)
		if g.RequestModel == "" && inv != nil {
			g.RequestModel = firstString(inv, "model", "model_name")
		}
	}
	for i := range paramSpecs {
		p := &paramSpecs[i]
		if _, done := g.Params[p.name]; done {
			continue
		}
		v, ok := first(a, p.keys...)
		if !ok && inv != nil {
			v, ok = first(inv, p.json...)
		}
		if !ok {
			continue
		}
		if tv, ok := typed(v, p.kind); ok {
			if g.Params == nil {
				g.Params = make(map[string]any, 4)
			}
			g.Params[p.name] = tv
		}
	}
}

// typed converts a parameter value to its normalised type.
func typed(v any, kind byte) (any, bool) {
	switch kind {
	case 'f':
		return asFloat(v)
	case 'i':
		return asInt(v)
	case 'b':
		return asBool(v)
	case 's':
		ss := asStrings(v)
		return ss, len(ss) > 0
	}
	return nil, false
}
