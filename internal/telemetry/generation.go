package telemetry

// Generation is one model call normalised from whatever convention its instrumentation used
// (OpenTelemetry GenAI in every generation, OpenInference, OpenLLMetry, Application Insights).
// Pointer fields are nil when unknown: an unknown cost is not a zero cost.
type Generation struct {
	Operation     string `json:"operation"`          // chat, text_completion, embeddings, execute_tool, invoke_agent, ...
	Provider      string `json:"provider,omitempty"` // gen_ai.provider.name or gen_ai.system
	RequestModel  string `json:"requestModel,omitempty"`
	ResponseModel string `json:"responseModel,omitempty"`
	ResponseID    string `json:"responseId,omitempty"`
	// Convention names the source convention: "otel_genai", "otel_genai_events", "openinference",
	// "openllmetry", "appinsights".
	Convention     string `json:"convention,omitempty"`
	ConversationID string `json:"conversationId,omitempty"`
	AgentName      string `json:"agentName,omitempty"`
	ToolName       string `json:"toolName,omitempty"`

	Usage         Usage    `json:"usage"`
	CostUSD       *float64 `json:"costUsd,omitempty"`
	FinishReasons []string `json:"finishReasons,omitempty"`
	// Params holds request parameters under their convention suffix: "temperature",
	// "max_tokens", "top_p", "top_k", "seed", "stop_sequences", "frequency_penalty",
	// "presence_penalty", "stream".
	Params             map[string]any `json:"params,omitempty"`
	TimeToFirstTokenMs *float64       `json:"timeToFirstTokenMs,omitempty"`
	ErrorType          string         `json:"errorType,omitempty"`

	// ContentRecorded is false when the app did not record message content (recording is
	// opt-in): the UI then says "not recorded" rather than showing empty messages.
	ContentRecorded    bool      `json:"contentRecorded"`
	SystemInstructions []Part    `json:"systemInstructions,omitempty"`
	InputMessages      []Message `json:"inputMessages,omitempty"`
	OutputMessages     []Message `json:"outputMessages,omitempty"`
	// ContentTruncated is true when some content was cut (by the exporter, e.g. Application
	// Insights' 8192-character property limit, or by Cairn's own attribute limit).
	ContentTruncated bool `json:"contentTruncated,omitempty"`
}

// Usage counts tokens. Nil means "not reported".
type Usage struct {
	InputTokens         *int64 `json:"inputTokens,omitempty"`
	OutputTokens        *int64 `json:"outputTokens,omitempty"`
	CachedInputTokens   *int64 `json:"cachedInputTokens,omitempty"`
	CacheCreationTokens *int64 `json:"cacheCreationTokens,omitempty"`
	ReasoningTokens     *int64 `json:"reasoningTokens,omitempty"`
	TotalTokens         *int64 `json:"totalTokens,omitempty"`
}

// Message is one chat message in the newest GenAI convention's shape.
type Message struct {
	Role         string `json:"role"`
	Name         string `json:"name,omitempty"`
	FinishReason string `json:"finishReason,omitempty"`
	Parts        []Part `json:"parts"`
}

// Part is one piece of a message. Type is text, tool_call, tool_call_response, reasoning, blob,
// file, uri, or another type a convention defines (kept with its fields in Extra).
type Part struct {
	Type      string         `json:"type"`
	Content   string         `json:"content,omitempty"`   // text, reasoning, blob (base64)
	ID        string         `json:"id,omitempty"`        // tool_call, tool_call_response
	Name      string         `json:"name,omitempty"`      // tool_call
	Arguments any            `json:"arguments,omitempty"` // tool_call
	Response  any            `json:"response,omitempty"`  // tool_call_response
	MimeType  string         `json:"mimeType,omitempty"`  // blob, file, uri
	Modality  string         `json:"modality,omitempty"`  // blob, file, uri
	URI       string         `json:"uri,omitempty"`       // uri
	FileID    string         `json:"fileId,omitempty"`    // file
	Extra     map[string]any `json:"extra,omitempty"`
}

// Text returns the concatenated text content of the message's text parts.
func (m Message) Text() string {
	var out string
	for _, p := range m.Parts {
		if p.Type == "text" && p.Content != "" {
			if out != "" {
				out += "\n"
			}
			out += p.Content
		}
	}
	return out
}

// ConversationTurn returns what a trace's generations, in time order, show of one turn of a
// conversation: the first user message of the first generation and the last output message
// of the last generation.
func ConversationTurn(gens []*Generation) (firstUser, lastAnswer string) {
	if len(gens) == 0 {
		return "", ""
	}
	for _, m := range gens[0].InputMessages {
		if m.Role == "user" {
			firstUser = m.Text()
			break
		}
	}
	if out := gens[len(gens)-1].OutputMessages; len(out) > 0 {
		lastAnswer = out[len(out)-1].Text()
	}
	return firstUser, lastAnswer
}

// IsModelCall reports whether the generation is a call to a model. Tool executions and agent
// spans carry GenAI attributes too, but counting them as calls would inflate the dashboard's
// call counts, and an agent span's token totals would count its model calls' tokens twice.
func (g *Generation) IsModelCall() bool {
	switch g.Operation {
	case "execute_tool", "invoke_agent", "create_agent", "invoke_workflow":
		return false
	}
	return true
}
