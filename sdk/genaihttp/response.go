package genaihttp

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// apiResponse is the subset of a response body, or of one streamed chunk,
// the instrumentation reads. Chat completions fill Message (or Delta when
// streaming); legacy completions fill Text.
type apiResponse struct {
	ID      string      `json:"id"`
	Model   string      `json:"model"`
	Choices []apiChoice `json:"choices"`
	Usage   *apiUsage   `json:"usage"`
	Error   *apiErrBody `json:"error"`
}

type apiChoice struct {
	Index        int         `json:"index"`
	Message      *apiMessage `json:"message"`
	Delta        *apiMessage `json:"delta"`
	Text         string      `json:"text"`
	FinishReason *string     `json:"finish_reason"`
}

type apiMessage struct {
	Role      string        `json:"role"`
	Content   *string       `json:"content"`
	Refusal   *string       `json:"refusal"`
	ToolCalls []apiToolCall `json:"tool_calls"`
}

type apiToolCall struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type apiUsage struct {
	PromptTokens        *int64 `json:"prompt_tokens"`
	CompletionTokens    *int64 `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens *int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens *int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

// apiErrBody is OpenAI's error object: {"error": {"message", "type", "code"}}.
type apiErrBody struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

// result accumulates what a response (whole or streamed) says about the call.
type result struct {
	id, model string
	usage     *apiUsage
	choices   map[int]*choiceAcc
	ttft      time.Duration // streaming only: first data event
	streamErr *apiErrBody   // an error event inside a stream
	content   bool          // accumulate message content
}

type choiceAcc struct {
	text      strings.Builder
	finish    string
	toolCalls map[int]*toolAcc
	nextTool  int
}

type toolAcc struct {
	id, name string
	args     strings.Builder
}

func newResult(content bool) *result {
	return &result{choices: map[int]*choiceAcc{}, content: content}
}

// add folds one response object (or stream chunk) into the result.
func (r *result) add(resp *apiResponse) {
	if resp.ID != "" {
		r.id = resp.ID
	}
	if resp.Model != "" {
		r.model = resp.Model
	}
	if resp.Usage != nil {
		r.usage = resp.Usage
	}
	if resp.Error != nil {
		r.streamErr = resp.Error
	}
	for i := range resp.Choices {
		r.addChoice(&resp.Choices[i])
	}
}

func (r *result) addChoice(c *apiChoice) {
	acc := r.choices[c.Index]
	if acc == nil {
		acc = &choiceAcc{}
		r.choices[c.Index] = acc
	}
	if c.FinishReason != nil && *c.FinishReason != "" {
		acc.finish = *c.FinishReason
	}
	if !r.content {
		return
	}
	acc.text.WriteString(c.Text)
	msg := c.Message
	if msg == nil {
		msg = c.Delta
	}
	if msg == nil {
		return
	}
	if msg.Content != nil {
		acc.text.WriteString(*msg.Content)
	} else if msg.Refusal != nil {
		acc.text.WriteString(*msg.Refusal)
	}
	for _, tc := range msg.ToolCalls {
		acc.addToolCall(tc)
	}
}

// addToolCall merges a whole tool call, or a streamed delta of one (keyed by
// its index; only the first delta carries id and name).
func (c *choiceAcc) addToolCall(tc apiToolCall) {
	if c.toolCalls == nil {
		c.toolCalls = map[int]*toolAcc{}
	}
	idx := c.nextTool
	if tc.Index != nil {
		idx = *tc.Index
	} else {
		c.nextTool++
	}
	t := c.toolCalls[idx]
	if t == nil {
		t = &toolAcc{}
		c.toolCalls[idx] = t
	}
	if tc.ID != "" {
		t.id = tc.ID
	}
	if tc.Function.Name != "" {
		t.name = tc.Function.Name
	}
	t.args.WriteString(tc.Function.Arguments)
}

// indexes returns the choice indexes in order.
func (r *result) indexes() []int {
	idx := make([]int, 0, len(r.choices))
	for i := range r.choices {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

// finishReasons lists each choice's finish reason in choice order.
func (r *result) finishReasons() []string {
	var out []string
	for _, i := range r.indexes() {
		if f := r.choices[i].finish; f != "" {
			out = append(out, f)
		}
	}
	return out
}

// sink consumes response body bytes as the caller reads them.
type sink interface {
	write(p []byte)
	// done parses whatever is buffered once the body has been read to its end.
	done()
}

// jsonSink buffers a whole JSON response and parses it at the end.
type jsonSink struct {
	buf bytes.Buffer
	res *result
}

func (s *jsonSink) write(p []byte) { s.buf.Write(p) }

func (s *jsonSink) done() {
	var resp apiResponse
	if json.Unmarshal(s.buf.Bytes(), &resp) == nil {
		s.res.add(&resp)
	}
	s.buf = bytes.Buffer{}
}

// sseSink parses a server-sent-events stream line by line as it arrives, so
// the caller's reads are never delayed and memory stays bounded by the longest
// line.
type sseSink struct {
	partial []byte
	res     *result
	start   time.Time
	seen    bool
}

func (s *sseSink) write(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.partial = append(s.partial, p...)
			return
		}
		line := p[:i]
		if len(s.partial) > 0 {
			s.partial = append(s.partial, line...)
			line = s.partial
		}
		s.line(line)
		s.partial = s.partial[:0]
		p = p[i+1:]
	}
}

func (s *sseSink) done() {
	if len(s.partial) > 0 {
		s.line(s.partial)
		s.partial = nil
	}
}

// line handles one SSE line; only "data:" lines carry chunks.
func (s *sseSink) line(line []byte) {
	line = bytes.TrimRight(line, "\r")
	data, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return
	}
	if !s.seen {
		s.seen = true
		s.res.ttft = time.Since(s.start)
	}
	if bytes.Equal(data, []byte("[DONE]")) {
		return
	}
	var chunk apiResponse
	if json.Unmarshal(data, &chunk) == nil {
		s.res.add(&chunk)
	}
}
