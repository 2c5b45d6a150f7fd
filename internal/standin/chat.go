package standin

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
)

// chatRequest is the part of an OpenAI chat request the stand-in reads.
type chatRequest struct {
	Model         string        `json:"model"`
	Messages      []chatMessage `json:"messages"`
	Tools         []tool        `json:"tools"`
	Stream        bool          `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type chatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCallID string          `json:"tool_call_id"`
}

type tool struct {
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

// text returns a message's text: a string, or the text parts of an array.
func (m chatMessage) text() string {
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(m.Content, &parts) // non-text content contributes no words
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// toolCall is an answer's tool call.
type toolCall struct {
	ID        string
	Name      string
	Arguments string
}

// answer is what the model "says".
type answer struct {
	Text     string
	ToolCall *toolCall
}

func (a answer) finishReason() string {
	if a.ToolCall != nil {
		return "tool_calls"
	}
	return "stop"
}

func (a answer) outputTokens() int {
	if a.ToolCall != nil {
		return countTokens(a.ToolCall.Name+" "+a.ToolCall.Arguments) + 4
	}
	return countTokens(a.Text)
}

// chat serves /v1/chat/completions and Azure's deployment path.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if !decode(w, r, &req) {
		return
	}
	if len(req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "",
			"'messages' must contain at least one message.")
		return
	}
	model := req.Model
	if model == "" {
		model = r.PathValue("deployment")
	}
	ans := respond(req)
	id := completionID("chatcmpl", req.Messages)
	usage := chatUsage(req.Messages, ans)
	if req.Stream {
		s.stream(w, r, streamInfo{id: id, model: responseModel(model), ans: ans, usage: usage,
			includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage})
		return
	}
	msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
	if ans.ToolCall != nil {
		msg["tool_calls"] = []any{toolCallJSON(ans.ToolCall, false)}
	} else {
		msg["content"] = ans.Text
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "object": "chat.completion", "created": created, "model": responseModel(model),
		"system_fingerprint": "fp_standin",
		"choices":            []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": ans.finishReason()}},
		"usage":              usage,
	})
}

// created is a fixed creation time, so answers are byte-for-byte reproducible.
const created = 1727000000

func toolCallJSON(tc *toolCall, withIndex bool) map[string]any {
	m := map[string]any{"id": tc.ID, "type": "function",
		"function": map[string]any{"name": tc.Name, "arguments": tc.Arguments}}
	if withIndex {
		m["index"] = 0
	}
	return m
}

// responseModel maps a requested model alias to a dated snapshot, as OpenAI does.
func responseModel(model string) string {
	switch model {
	case "gpt-4o", "":
		return "gpt-4o-2024-08-06"
	case "gpt-4o-mini":
		return "gpt-4o-mini-2024-07-18"
	}
	return model
}

// completionID derives a stable id from the conversation.
func completionID(prefix string, msgs []chatMessage) string {
	h := fnv.New64a()
	for _, m := range msgs {
		fmt.Fprintf(h, "%s:%s\n", m.Role, m.text())
	}
	return fmt.Sprintf("%s-standin%016x", prefix, h.Sum64())
}

// usage is OpenAI's usage object.
type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

func chatUsage(msgs []chatMessage, ans answer) usage {
	in := 3
	for _, m := range msgs {
		in += 4 + countTokens(m.text())
	}
	out := ans.outputTokens()
	return usage{PromptTokens: in, CompletionTokens: out, TotalTokens: in + out}
}

// countTokens approximates a tokenizer: four tokens per three words.
func countTokens(s string) int {
	return (len(strings.Fields(s))*4 + 2) / 3
}

// streamInfo is what a streamed answer needs.
type streamInfo struct {
	id, model    string
	ans          answer
	usage        usage
	includeUsage bool
}

// stream writes the answer as server-sent events: a role chunk, content (or
// tool-call argument) pieces, a finish chunk, an optional usage chunk and
// [DONE], flushing each so clients see tokens as they are "generated".
func (s *Server) stream(w http.ResponseWriter, r *http.Request, si streamInfo) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	send := func(choices []any, u *usage) bool {
		chunk := map[string]any{"id": si.id, "object": "chat.completion.chunk", "created": created,
			"model": si.model, "system_fingerprint": "fp_standin", "choices": choices}
		if si.includeUsage {
			chunk["usage"] = u
		}
		b, _ := json.Marshal(chunk) // maps of plain values always marshal
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	delta := func(d map[string]any, finish any) []any {
		return []any{map[string]any{"index": 0, "delta": d, "logprobs": nil, "finish_reason": finish}}
	}
	if !send(delta(map[string]any{"role": "assistant", "content": ""}, nil), nil) {
		return
	}
	for _, d := range streamDeltas(si.ans) {
		if !sleep(r.Context(), s.opts.ChunkDelay) || !send(delta(d, nil), nil) {
			return
		}
	}
	if !send(delta(map[string]any{}, si.ans.finishReason()), nil) {
		return
	}
	if si.includeUsage && !send([]any{}, &si.usage) {
		return
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n") // end of stream; a write error means the client left
	if flusher != nil {
		flusher.Flush()
	}
}

// streamDeltas splits the answer into word-sized content deltas, or a tool
// call header followed by argument fragments.
func streamDeltas(a answer) []map[string]any {
	var out []map[string]any
	if tc := a.ToolCall; tc != nil {
		head := toolCallJSON(&toolCall{ID: tc.ID, Name: tc.Name}, true)
		out = append(out, map[string]any{"tool_calls": []any{head}})
		for _, frag := range splitEvery(tc.Arguments, 8) {
			out = append(out, map[string]any{"tool_calls": []any{map[string]any{
				"index": 0, "function": map[string]any{"arguments": frag}}}})
		}
		return out
	}
	for _, piece := range splitWords(a.Text) {
		out = append(out, map[string]any{"content": piece})
	}
	return out
}

// splitWords cuts text before each space, keeping every byte.
func splitWords(text string) []string {
	var out []string
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i] == ' ' || text[i] == '\n' {
			out = append(out, text[start:i])
			start = i
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// splitEvery cuts s into pieces of n runes (never inside a UTF-8 sequence).
func splitEvery(s string, n int) []string {
	var out []string
	r := []rune(s)
	for len(r) > n {
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	if len(r) > 0 {
		out = append(out, string(r))
	}
	return out
}
