package api

import "github.com/cairn-dev/cairn/internal/telemetry"

// generationJSON is docs/api.md's Generation: telemetry.Generation with every field present, so
// the UI never tells "absent" from "empty" — unknown numbers are null, empty lists [].
type generationJSON struct {
	Operation          string           `json:"operation"`
	Provider           string           `json:"provider"`
	RequestModel       string           `json:"requestModel"`
	ResponseModel      string           `json:"responseModel"`
	ResponseID         string           `json:"responseId"`
	Convention         string           `json:"convention"`
	ConversationID     string           `json:"conversationId"`
	AgentName          string           `json:"agentName"`
	ToolName           string           `json:"toolName"`
	Usage              usageJSON        `json:"usage"`
	CostUSD            *float64         `json:"costUsd"`
	FinishReasons      []string         `json:"finishReasons"`
	Params             map[string]any   `json:"params"`
	TimeToFirstTokenMs *float64         `json:"timeToFirstTokenMs"`
	ErrorType          string           `json:"errorType"`
	ContentRecorded    bool             `json:"contentRecorded"`
	SystemInstructions []telemetry.Part `json:"systemInstructions"`
	InputMessages      []messageJSON    `json:"inputMessages"`
	OutputMessages     []messageJSON    `json:"outputMessages"`
	ContentTruncated   bool             `json:"contentTruncated"`
}

// usageJSON has every count present: null when not reported.
type usageJSON struct {
	InputTokens         *int64 `json:"inputTokens"`
	OutputTokens        *int64 `json:"outputTokens"`
	CachedInputTokens   *int64 `json:"cachedInputTokens"`
	CacheCreationTokens *int64 `json:"cacheCreationTokens"`
	ReasoningTokens     *int64 `json:"reasoningTokens"`
	TotalTokens         *int64 `json:"totalTokens"`
}

// messageJSON is telemetry.Message with parts never null.
type messageJSON struct {
	Role         string           `json:"role"`
	Name         string           `json:"name,omitempty"`
	FinishReason string           `json:"finishReason,omitempty"`
	Parts        []telemetry.Part `json:"parts"`
}

func renderGeneration(g *telemetry.Generation) *generationJSON {
	if g == nil {
		return nil
	}
	params, _ := safeValue(map[string]any(g.Params)).(map[string]any)
	if params == nil {
		params = map[string]any{}
	}
	u := g.Usage
	return &generationJSON{
		Operation: g.Operation, Provider: g.Provider, RequestModel: g.RequestModel,
		ResponseModel: g.ResponseModel, ResponseID: g.ResponseID, Convention: g.Convention,
		ConversationID: g.ConversationID, AgentName: g.AgentName, ToolName: g.ToolName,
		Usage: usageJSON{u.InputTokens, u.OutputTokens, u.CachedInputTokens, u.CacheCreationTokens,
			u.ReasoningTokens, u.TotalTokens},
		CostUSD: finite(g.CostUSD), FinishReasons: orEmpty(g.FinishReasons), Params: params,
		TimeToFirstTokenMs: finite(g.TimeToFirstTokenMs), ErrorType: g.ErrorType,
		ContentRecorded: g.ContentRecorded, SystemInstructions: renderParts(g.SystemInstructions),
		InputMessages: renderMessages(g.InputMessages), OutputMessages: renderMessages(g.OutputMessages),
		ContentTruncated: g.ContentTruncated,
	}
}

func renderMessages(ms []telemetry.Message) []messageJSON {
	out := make([]messageJSON, len(ms))
	for i, m := range ms {
		out[i] = messageJSON{Role: m.Role, Name: m.Name, FinishReason: m.FinishReason, Parts: renderParts(m.Parts)}
	}
	return out
}

// renderParts returns parts never nil, copying them only when a free-form field (tool
// arguments and results, extra fields) holds a value JSON cannot carry.
func renderParts(ps []telemetry.Part) []telemetry.Part {
	if ps == nil {
		return []telemetry.Part{}
	}
	var cp []telemetry.Part
	for i := range ps {
		args, ch1 := jsonSafe(ps[i].Arguments)
		resp, ch2 := jsonSafe(ps[i].Response)
		extra, ch3 := jsonSafe(ps[i].Extra)
		if !ch1 && !ch2 && !ch3 {
			continue
		}
		if cp == nil {
			cp = append([]telemetry.Part(nil), ps...)
		}
		cp[i].Arguments, cp[i].Response = args, resp
		cp[i].Extra, _ = extra.(map[string]any)
	}
	if cp != nil {
		return cp
	}
	return ps
}
