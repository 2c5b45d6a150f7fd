package genaihttp

import (
	"encoding/json"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// message and part are the newest GenAI convention's content shapes, written
// as JSON strings into gen_ai.input.messages, gen_ai.output.messages and
// gen_ai.system_instructions (which holds a list of parts).
type message struct {
	Role         string `json:"role"`
	Parts        []part `json:"parts"`
	Name         string `json:"name,omitempty"`
	FinishReason string `json:"finish_reason,omitempty"`
}

type part struct {
	Type      string `json:"type"`
	Content   string `json:"content,omitempty"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments any    `json:"arguments,omitempty"`
	Response  any    `json:"response,omitempty"`
	Modality  string `json:"modality,omitempty"`
	MimeType  string `json:"mime_type,omitempty"`
	URI       string `json:"uri,omitempty"`
	FileID    string `json:"file_id,omitempty"`
}

// inMessage is an OpenAI chat request message.
type inMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name"`
	ToolCallID string          `json:"tool_call_id"`
	ToolCalls  []apiToolCall   `json:"tool_calls"`
}

// inPart is one element of an array-valued message content.
type inPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL *struct {
		URL string `json:"url"`
	} `json:"image_url"`
	InputAudio *struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio"`
	File *struct {
		FileID string `json:"file_id"`
	} `json:"file"`
}

// contentAttributes converts the request's messages (and the result's
// choices, when there is a result) into the content attributes.
func contentAttributes(op string, req *apiRequest, res *result) []attribute.KeyValue {
	var system []part
	var input []message
	switch op {
	case opChat:
		system, input = chatInput(req.Messages)
	case opCompletion:
		for _, p := range promptTexts(req.Prompt) {
			input = append(input, message{Role: "user", Parts: []part{{Type: "text", Content: p}}})
		}
	default:
		return nil
	}
	var a []attribute.KeyValue
	if len(system) > 0 {
		a = append(a, semconv.GenAISystemInstructionsKey.String(mustJSON(system)))
	}
	if len(input) > 0 {
		a = append(a, semconv.GenAIInputMessagesKey.String(mustJSON(input)))
	}
	if res != nil {
		if out := outputMessages(res); len(out) > 0 {
			a = append(a, semconv.GenAIOutputMessagesKey.String(mustJSON(out)))
		}
	}
	return a
}

// chatInput splits chat messages into system instructions (system and
// developer messages, which OpenAI treats as instructions) and the
// conversation history.
func chatInput(raw json.RawMessage) ([]part, []message) {
	var msgs []inMessage
	if json.Unmarshal(raw, &msgs) != nil {
		return nil, nil
	}
	var system []part
	var history []message
	for _, m := range msgs {
		parts := contentParts(m.Content)
		if m.Role == "system" || m.Role == "developer" {
			system = append(system, parts...)
			continue
		}
		if m.Role == "tool" {
			parts = []part{{Type: "tool_call_response", ID: m.ToolCallID, Response: joinText(parts)}}
		}
		for _, tc := range m.ToolCalls {
			parts = append(parts, part{Type: "tool_call", ID: tc.ID, Name: tc.Function.Name,
				Arguments: arguments(tc.Function.Arguments)})
		}
		history = append(history, message{Role: m.Role, Parts: nonNil(parts), Name: m.Name})
	}
	return system, history
}

// contentParts converts message content: a string, or an array of typed parts.
func contentParts(raw json.RawMessage) []part {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []part{{Type: "text", Content: s}}
	}
	var ins []inPart
	if json.Unmarshal(raw, &ins) != nil {
		return nil
	}
	out := make([]part, 0, len(ins))
	for _, p := range ins {
		out = append(out, convertPart(p))
	}
	return out
}

func convertPart(p inPart) part {
	switch {
	case p.Type == "text":
		return part{Type: "text", Content: p.Text}
	case p.ImageURL != nil:
		return imagePart(p.ImageURL.URL)
	case p.InputAudio != nil:
		return part{Type: "blob", Modality: "audio", MimeType: "audio/" + p.InputAudio.Format, Content: p.InputAudio.Data}
	case p.File != nil:
		return part{Type: "file", FileID: p.File.FileID}
	}
	return part{Type: p.Type}
}

// imagePart keeps data: URLs as blobs (their payload is the image itself)
// and everything else as a uri part.
func imagePart(u string) part {
	if rest, ok := strings.CutPrefix(u, "data:"); ok {
		if meta, data, ok := strings.Cut(rest, ","); ok {
			return part{Type: "blob", Modality: "image", MimeType: strings.TrimSuffix(meta, ";base64"), Content: data}
		}
	}
	return part{Type: "uri", Modality: "image", URI: u}
}

// outputMessages renders each choice as an assistant message.
func outputMessages(res *result) []message {
	var out []message
	for _, i := range res.indexes() {
		c := res.choices[i]
		var parts []part
		if c.text.Len() > 0 {
			parts = append(parts, part{Type: "text", Content: c.text.String()})
		}
		for _, k := range sortedKeys(c.toolCalls) {
			tc := c.toolCalls[k]
			parts = append(parts, part{Type: "tool_call", ID: tc.id, Name: tc.name, Arguments: arguments(tc.args.String())})
		}
		out = append(out, message{Role: "assistant", Parts: nonNil(parts), FinishReason: c.finish})
	}
	return out
}

// arguments keeps tool-call arguments as structured JSON when they parse, as
// the convention shows them, and as the raw string otherwise.
func arguments(s string) any {
	if s == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	return s
}

// promptTexts reads a legacy completion prompt: a string or list of strings.
func promptTexts(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func joinText(parts []part) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Content)
	}
	return b.String()
}

func sortedKeys(m map[int]*toolAcc) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func nonNil(p []part) []part {
	if p == nil {
		return []part{}
	}
	return p
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "[]"
	}
	return string(b)
}
