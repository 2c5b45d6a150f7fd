package genai

import (
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Options configures a Normalizer.
type Options struct {
	// PriceFile is an optional JSON price file (the format of the built-in prices.json) whose
	// models and aliases override and extend the built-in table. Empty: built-in prices only.
	PriceFile string
}

// Normalizer sets each span's Generation, SessionID and UserID. It is safe for concurrent use:
// after New it holds only the read-only price table.
type Normalizer struct {
	prices *PriceTable
}

// New returns a Normalizer with the built-in price table, extended by opts.PriceFile.
func New(opts Options) (*Normalizer, error) {
	prices, err := LoadPrices(opts.PriceFile)
	if err != nil {
		return nil, err
	}
	return &Normalizer{prices: prices}, nil
}

// Prices returns the normalizer's price table.
func (n *Normalizer) Prices() *PriceTable { return n.prices }

// Enrich normalises every span of the batch in place: SessionID and UserID for all spans, and
// Generation for model calls, agent invocations and tool executions in any convention.
// Content that arrives as log records is attached later, at read time, by MergeLogs.
func (n *Normalizer) Enrich(b *telemetry.Batch) {
	for _, s := range b.Spans {
		n.EnrichSpan(s)
	}
}

// EnrichSpan normalises one span in place (see Enrich).
func (n *Normalizer) EnrichSpan(s *telemetry.Span) {
	if s == nil {
		return
	}
	a := map[string]any(s.Attributes)
	s.SessionID = firstString(a, sessionKeys...)
	s.UserID = firstString(a, userKeys...)
	if g := buildGeneration(s); g != nil {
		if c := n.prices.Cost(g); c != nil {
			g.CostUSD = c // else keep a cost the instrumentation reported, if any
		}
		s.Generation = g
	}
}

// Attribute keys that carry a session (conversation) and a user id, most specific first.
var (
	sessionKeys = []string{"session.id", "gen_ai.conversation.id", "ai.session.id",
		"langfuse.session.id", "traceloop.association.properties.session_id"}
	userKeys = []string{"user.id", "enduser.id", "ai.user.id",
		"langfuse.user.id", "traceloop.association.properties.user_id"}
)

// Marker attributes of each convention.
const (
	attrOperation = "gen_ai.operation.name"
	attrOIKind    = "openinference.span.kind"
	attrTLKind    = "traceloop.span.kind"
	attrTLReqType = "llm.request.type"
)

var (
	providerKeys = []string{"gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system"}
	modelKeys    = []string{"gen_ai.request.model", "gen_ai.response.model", "llm.model_name", "llm.request.model", "llm.response.model"}
)

// buildGeneration returns the span's generation, or nil when the span is none of a model
// call, an agent invocation or a tool execution in any convention.
func buildGeneration(s *telemetry.Span) *telemetry.Generation {
	a := map[string]any(s.Attributes)
	oiKind := firstString(a, attrOIKind)
	tlKind := firstString(a, attrTLKind)
	flatTL := hasOpenLLMetryContent(a)
	op := operation(s, a, oiKind, tlKind, flatTL)
	if op == "" {
		return nil
	}
	g := &telemetry.Generation{Operation: op}
	fillCommon(g, a)
	if g.Provider == "" && oiKind != "" {
		g.Provider = strings.ToLower(firstString(a, "llm.provider", "llm.system"))
	}
	if g.ToolName == "" && tlKind == "tool" {
		g.ToolName = firstString(a, "traceloop.entity.name")
	}
	if g.AgentName == "" && (tlKind == "agent" || oiKind == "AGENT") {
		g.AgentName = firstString(a, "traceloop.entity.name", "agent.name")
		if g.AgentName == "" {
			g.AgentName = s.Name
		}
	}
	cut := cutKeys(s.Truncated)
	fromEvents := spanContent(g, s, oiKind, flatTL, cut)
	g.Convention = convention(s, oiKind, tlKind, flatTL, fromEvents)
	if g.ErrorType == "" && s.Status.Code == telemetry.StatusError {
		g.ErrorType = exceptionType(s)
	}
	if g.TimeToFirstTokenMs == nil {
		g.TimeToFirstTokenMs = firstTokenEvent(s)
	}
	finish(g)
	return g
}

// spanContent fills the messages from the span's carriers, newest first; it reports whether
// content came from span events.
func spanContent(g *telemetry.Generation, s *telemetry.Span, oiKind string, flatTL bool, cut cutKeys) bool {
	a := map[string]any(s.Attributes)
	newestContent(a, cut).applyTo(g)
	if oiKind != "" && g.Operation != "execute_tool" {
		openInferenceContent(a, cut).applyTo(g)
	}
	if flatTL {
		openLLMetryContentOf(a, cut).applyTo(g)
	}
	if g.Operation == "execute_tool" {
		toolContent(a, g, cut).applyTo(g)
	}
	var c collector
	for i := range s.Events {
		ev := &s.Events[i]
		if isContentEvent(ev.Name) {
			c.add(ev.Name, ev.Attributes, nil, cut.hasPrefix(eventPrefix(i)))
		}
	}
	return c.any && c.applyTo(g)
}

// eventPrefix is the prefix Sanitize uses in Span.Truncated for event i's attributes.
func eventPrefix(i int) string {
	return "events[" + itoa(i) + "]."
}

func itoa(i int) string {
	if i >= 0 && i < 10 {
		return string(rune('0' + i))
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// finish derives what the other fields imply: ContentRecorded, finish reasons from output
// messages, total tokens.
func finish(g *telemetry.Generation) {
	g.ContentRecorded = hasContent(g.InputMessages, g.SystemInstructions) || hasContent(g.OutputMessages, nil)
	if len(g.FinishReasons) == 0 {
		for _, m := range g.OutputMessages {
			if m.FinishReason != "" {
				g.FinishReasons = append(g.FinishReasons, m.FinishReason)
			}
		}
	}
	u := &g.Usage
	if u.TotalTokens == nil && u.InputTokens != nil && u.OutputTokens != nil {
		t := *u.InputTokens + *u.OutputTokens
		u.TotalTokens = &t
	}
}

// hasOpenLLMetryContent reports whether the span carries OpenLLMetry's flattened prompt or
// completion (index 0 is always present when any is).
func hasOpenLLMetryContent(a map[string]any) bool {
	_, p1 := a["gen_ai.prompt.0.content"]
	_, p2 := a["gen_ai.prompt.0.role"]
	_, c1 := a["gen_ai.completion.0.content"]
	_, c2 := a["gen_ai.completion.0.role"]
	_, c3 := a["gen_ai.completion.0.tool_calls.0.name"]
	return p1 || p2 || c1 || c2 || c3
}

// operation decides whether the span is a generation and of which operation.
func operation(s *telemetry.Span, a map[string]any, oiKind, tlKind string, flatTL bool) string {
	if op := firstString(a, attrOperation); op != "" {
		return op
	}
	switch strings.ToUpper(oiKind) {
	case "LLM":
		return "chat"
	case "EMBEDDING":
		return "embeddings"
	case "TOOL":
		return "execute_tool"
	case "AGENT":
		return "invoke_agent"
	case "RETRIEVER":
		return "retrieval"
	case "RERANKER":
		return "rerank"
	}
	switch tlKind {
	case "agent":
		return "invoke_agent"
	case "tool":
		return "execute_tool"
	}
	switch firstString(a, attrTLReqType) {
	case "chat":
		return "chat"
	case "completion":
		return "text_completion"
	case "embedding":
		return "embeddings"
	case "rerank":
		return "rerank"
	}
	if firstString(a, "gen_ai.tool.name") != "" && firstString(a, modelKeys...) == "" {
		return "execute_tool"
	}
	if flatTL || firstString(a, providerKeys...) != "" || firstString(a, modelKeys...) != "" ||
		a[attrInputMessages] != nil || a[attrOutputMessages] != nil || hasContentEvent(s) {
		return operationFromName(s.Name)
	}
	return ""
}

func hasContentEvent(s *telemetry.Span) bool {
	for i := range s.Events {
		if isContentEvent(s.Events[i].Name) {
			return true
		}
	}
	return false
}

// operationFromName reads the operation from a span name "{operation} {model}" (OTel) or
// "{provider}.{operation}" (OpenLLMetry), defaulting to chat.
func operationFromName(name string) string {
	word, _, _ := strings.Cut(name, " ")
	if _, after, ok := strings.Cut(word, "."); ok {
		word = after
	}
	switch word {
	case "chat", "text_completion", "generate_content", "embeddings", "execute_tool",
		"invoke_agent", "create_agent", "retrieval":
		return word
	case "completion", "completions":
		return "text_completion"
	case "embedding":
		return "embeddings"
	}
	return "chat"
}

// convention names the source convention of the span.
func convention(s *telemetry.Span, oiKind, tlKind string, flatTL, fromEvents bool) string {
	a := s.Attributes
	if _, ok := a["cairn.ai.dependency_type"]; ok || (s.Resource != nil && s.Resource.Attributes["cairn.ai.sdk_version"] != nil) {
		return "appinsights"
	}
	switch {
	case oiKind != "" || strings.Contains(s.Scope.Name, "openinference"):
		return "openinference"
	case tlKind != "" || flatTL || a[attrTLReqType] != nil || strings.Contains(s.Scope.Name, "traceloop"):
		return "openllmetry"
	case fromEvents:
		return "otel_genai_events"
	}
	return "otel_genai"
}

// exceptionType returns the type of the span's exception event, or "_OTHER" as the GenAI
// convention says when an error has no known type.
func exceptionType(s *telemetry.Span) string {
	for i := range s.Events {
		if s.Events[i].Name == "exception" {
			if t := firstString(s.Events[i].Attributes, "exception.type"); t != "" {
				return t
			}
		}
	}
	return "_OTHER"
}

// firstTokenEvent returns the time from span start to a first-token event, in milliseconds.
func firstTokenEvent(s *telemetry.Span) *float64 {
	for i := range s.Events {
		ev := &s.Events[i]
		if isFirstTokenEvent(ev.Name) && ev.TimeUnixNano >= s.StartUnixNano && s.StartUnixNano > 0 {
			ms := float64(ev.TimeUnixNano-s.StartUnixNano) / 1e6
			return &ms
		}
	}
	return nil
}

// isFirstTokenEvent matches the first-token events instrumentations emit ("First Token
// Stream Event" in OpenInference, gen_ai.content.first_token, first_token, ...).
func isFirstTokenEvent(name string) bool {
	if len(name) < len("first_token") || len(name) > 64 {
		return false
	}
	l := strings.ToLower(name)
	return strings.Contains(l, "first token") || strings.Contains(l, "first_token") || strings.Contains(l, "first chunk") || strings.Contains(l, "first_chunk")
}
