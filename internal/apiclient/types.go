package apiclient

import (
	"strconv"
	"time"
)

// TracePage is GET /api/v1/traces.
type TracePage struct {
	Traces     []TraceSummary `json:"traces"`
	NextCursor string         `json:"nextCursor"`
}

// TraceSummary is docs/api.md's TraceSummary.
type TraceSummary struct {
	TraceID         string   `json:"traceId"`
	RootName        string   `json:"rootName"`
	RootService     string   `json:"rootService"`
	HasRoot         bool     `json:"hasRoot"`
	StartTime       string   `json:"startTime"`
	StartUnixNano   string   `json:"startUnixNano"`
	DurationMs      float64  `json:"durationMs"`
	SpanCount       int      `json:"spanCount"`
	ErrorCount      int      `json:"errorCount"`
	GenerationCount int      `json:"generationCount"`
	InputTokens     int64    `json:"inputTokens"`
	OutputTokens    int64    `json:"outputTokens"`
	CostUSD         *float64 `json:"costUsd"`
	SessionID       string   `json:"sessionId"`
	UserID          string   `json:"userId"`
	Models          []string `json:"models"`
}

// Start returns the trace's start time.
func (s *TraceSummary) Start() time.Time { return parseTime(s.StartUnixNano, s.StartTime) }

// Trace is GET /api/v1/traces/{traceId}.
type Trace struct {
	Summary    TraceSummary `json:"summary"`
	Spans      []Span       `json:"spans"`
	OrphanLogs []Log        `json:"orphanLogs"`
}

// Span is docs/api.md's Span.
type Span struct {
	TraceID       string         `json:"traceId"`
	SpanID        string         `json:"spanId"`
	ParentSpanID  string         `json:"parentSpanId"`
	Name          string         `json:"name"`
	Kind          string         `json:"kind"`
	Service       string         `json:"service"`
	StartTime     string         `json:"startTime"`
	StartUnixNano string         `json:"startUnixNano"`
	EndTime       string         `json:"endTime"`
	EndUnixNano   string         `json:"endUnixNano"`
	DurationMs    float64        `json:"durationMs"`
	Status        Status         `json:"status"`
	Attributes    map[string]any `json:"attributes"`
	Resource      map[string]any `json:"resource"`
	Scope         Scope          `json:"scope"`
	Events        []Event        `json:"events"`
	Links         []Link         `json:"links"`
	Logs          []Log          `json:"logs"`
	Truncated     map[string]int `json:"truncated"`
	SessionID     string         `json:"sessionId"`
	UserID        string         `json:"userId"`
	Generation    *Generation    `json:"generation"`
}

// Start returns the span's start time.
func (s *Span) Start() time.Time { return parseTime(s.StartUnixNano, s.StartTime) }

// Status is a span's status: code "ok", "error" or "unset".
type Status struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Scope is a span's instrumentation scope.
type Scope struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Event is a span event.
type Event struct {
	Name         string         `json:"name"`
	Time         string         `json:"time"`
	TimeUnixNano string         `json:"timeUnixNano"`
	Attributes   map[string]any `json:"attributes"`
}

// Link is a span link.
type Link struct {
	TraceID    string         `json:"traceId"`
	SpanID     string         `json:"spanId"`
	Attributes map[string]any `json:"attributes"`
}

// Log is docs/api.md's Log.
type Log struct {
	Time           string         `json:"time"`
	TimeUnixNano   string         `json:"timeUnixNano"`
	TraceID        string         `json:"traceId"`
	SpanID         string         `json:"spanId"`
	SeverityNumber int32          `json:"severityNumber"`
	SeverityText   string         `json:"severityText"`
	EventName      string         `json:"eventName"`
	Body           any            `json:"body"`
	Attributes     map[string]any `json:"attributes"`
	Resource       map[string]any `json:"resource"`
	Truncated      map[string]int `json:"truncated"`
}

// Generation is docs/api.md's Generation: one model call.
type Generation struct {
	Operation          string         `json:"operation"`
	Provider           string         `json:"provider"`
	RequestModel       string         `json:"requestModel"`
	ResponseModel      string         `json:"responseModel"`
	ResponseID         string         `json:"responseId"`
	Convention         string         `json:"convention"`
	ConversationID     string         `json:"conversationId"`
	AgentName          string         `json:"agentName"`
	ToolName           string         `json:"toolName"`
	Usage              Usage          `json:"usage"`
	CostUSD            *float64       `json:"costUsd"`
	FinishReasons      []string       `json:"finishReasons"`
	Params             map[string]any `json:"params"`
	TimeToFirstTokenMs *float64       `json:"timeToFirstTokenMs"`
	ErrorType          string         `json:"errorType"`
	ContentRecorded    bool           `json:"contentRecorded"`
	SystemInstructions []Part         `json:"systemInstructions"`
	InputMessages      []Message      `json:"inputMessages"`
	OutputMessages     []Message      `json:"outputMessages"`
	ContentTruncated   bool           `json:"contentTruncated"`
}

// Usage counts tokens; nil means not reported.
type Usage struct {
	InputTokens         *int64 `json:"inputTokens"`
	OutputTokens        *int64 `json:"outputTokens"`
	CachedInputTokens   *int64 `json:"cachedInputTokens"`
	CacheCreationTokens *int64 `json:"cacheCreationTokens"`
	ReasoningTokens     *int64 `json:"reasoningTokens"`
	TotalTokens         *int64 `json:"totalTokens"`
}

// Message is one chat message.
type Message struct {
	Role         string `json:"role"`
	Name         string `json:"name"`
	FinishReason string `json:"finishReason"`
	Parts        []Part `json:"parts"`
}

// Part is one piece of a message: text, tool_call, tool_call_response, reasoning, blob, file,
// uri or another type.
type Part struct {
	Type      string         `json:"type"`
	Content   string         `json:"content"`
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Arguments any            `json:"arguments"`
	Response  any            `json:"response"`
	MimeType  string         `json:"mimeType"`
	Modality  string         `json:"modality"`
	URI       string         `json:"uri"`
	FileID    string         `json:"fileId"`
	Extra     map[string]any `json:"extra"`
}

// parseTime reads a time from its Unix-nanosecond string, falling back to the RFC 3339 form;
// the zero time when neither parses.
func parseTime(unixNano, rfc string) time.Time {
	if n, err := strconv.ParseInt(unixNano, 10, 64); err == nil {
		return time.Unix(0, n)
	}
	if t, err := time.Parse(time.RFC3339Nano, rfc); err == nil {
		return t
	}
	return time.Time{}
}
