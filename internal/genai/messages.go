package genai

import (
	"strings"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// appInsightsLimit is the length at which Application Insights cuts a property value. A JSON
// content string of exactly this length that does not parse was cut there.
const appInsightsLimit = 8192

// content is what one carrier yielded: messages (or system parts) and whether a value was cut.
type content struct {
	msgs      []telemetry.Message
	parts     []telemetry.Part // system instructions
	truncated bool
}

// ParseMessages decodes a message list in any of the shapes the conventions use: the newest
// GenAI shape [{role, parts[], name?, finish_reason?}], the OpenAI chat shape
// [{role, content, tool_calls?, tool_call_id?}], a request object {"messages": [...]}, or one
// message object, given as a JSON string or as an already structured value ([]any or
// map[string]any). defaultRole is used for messages without a role. A string that is not JSON
// becomes one text message; truncated reports whether it looked cut (a non-JSON string of
// exactly 8192 characters, Application Insights' property limit).
func ParseMessages(v any, defaultRole string) (msgs []telemetry.Message, truncated bool) {
	c := parseMessageValue(v, defaultRole, false)
	return c.msgs, c.truncated
}

// parseMessageValue is ParseMessages with a flag saying the value is known to be cut.
func parseMessageValue(v any, defaultRole string, cut bool) content {
	var c content
	switch v := v.(type) {
	case string:
		dv, ok := decodeJSON(v)
		if !ok {
			if strings.TrimSpace(v) == "" {
				return c
			}
			c.truncated = cut || looksCut(v)
			c.msgs = []telemetry.Message{{Role: defaultRole, Parts: []telemetry.Part{{Type: "text", Content: v}}}}
			return c
		}
		c = parseMessageValue(dv, defaultRole, cut)
		c.truncated = c.truncated || cut
		return c
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				if msg, ok := messageFromMap(m, defaultRole); ok {
					c.msgs = append(c.msgs, msg)
				}
			} else if s, ok := e.(string); ok && s != "" {
				c.msgs = append(c.msgs, telemetry.Message{Role: defaultRole, Parts: []telemetry.Part{{Type: "text", Content: s}}})
			}
		}
	case map[string]any:
		if inner, ok := v["messages"].([]any); ok {
			return parseMessageValue(inner, defaultRole, cut)
		}
		if choices, ok := v["choices"].([]any); ok {
			return parseChoices(choices, cut)
		}
		if msg, ok := messageFromMap(v, defaultRole); ok {
			c.msgs = append(c.msgs, msg)
		}
	}
	c.truncated = c.truncated || cut
	return c
}

// parseChoices reads an OpenAI response's choices [{index, finish_reason, message{...}}].
func parseChoices(choices []any, cut bool) content {
	c := content{truncated: cut}
	for _, e := range choices {
		ch, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if msg, ok := choiceMessage(ch); ok {
			c.msgs = append(c.msgs, msg)
		}
	}
	return c
}

// choiceMessage converts a gen_ai.choice body {index, finish_reason, message{...}} (or an
// OpenAI choice) into an output message.
func choiceMessage(ch map[string]any) (telemetry.Message, bool) {
	var msg telemetry.Message
	switch m := ch["message"].(type) {
	case map[string]any:
		msg, _ = messageFromMap(m, "assistant")
	case string:
		if dv, ok := decodeJSON(m); ok {
			if mm, ok := dv.(map[string]any); ok {
				msg, _ = messageFromMap(mm, "assistant")
			}
		} else if m != "" {
			msg = telemetry.Message{Parts: []telemetry.Part{{Type: "text", Content: m}}}
		}
	}
	if msg.Role == "" {
		msg.Role = "assistant"
	}
	if len(msg.Parts) == 0 {
		// Some shapes put content and tool calls beside index and finish_reason.
		msg.Parts = messageParts(ch, msg.Role)
	}
	msg.FinishReason = firstString(ch, "finish_reason")
	return msg, len(msg.Parts) > 0 || msg.FinishReason != ""
}

// jsonAPI decodes content JSON. Enrich runs for every span at ingest and prompts are large:
// json-iterator (already in the module graph through pdata, which the OTel Collector uses for
// the same reason) decodes them several times faster than encoding/json, with the same
// result types (float64, string, bool, nil, []any, map[string]any).
var jsonAPI = jsoniter.ConfigCompatibleWithStandardLibrary

// decodeJSON decodes s when it is a JSON array or object.
func decodeJSON(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '[' && t[0] != '{') {
		return nil, false
	}
	if !utf8.ValidString(t) {
		t = strings.ToValidUTF8(t, "\uFFFD") // as encoding/json does; receivers sanitise first anyway
	}
	var v any
	if err := jsonAPI.UnmarshalFromString(t, &v); err != nil {
		return nil, false
	}
	return v, true
}

// looksCut reports whether s has exactly the Application Insights property limit in
// characters, counted as Python (code points) or JavaScript (UTF-16 units) counts them.
func looksCut(s string) bool {
	if len(s) < appInsightsLimit {
		return false
	}
	runes, units := 0, 0
	for _, r := range s {
		runes++
		units++
		if r > 0xFFFF {
			units++
		}
	}
	return runes == appInsightsLimit || units == appInsightsLimit || len(s) == appInsightsLimit
}

// messageFromMap converts one message object of any supported shape. It reports false when
// the message carries no parts, no role and no finish reason: nothing to show.
func messageFromMap(m map[string]any, defaultRole string) (telemetry.Message, bool) {
	msg := telemetry.Message{
		Role:         firstString(m, "role"),
		Name:         firstString(m, "name"),
		FinishReason: firstString(m, "finish_reason"),
	}
	if msg.Role == "" {
		msg.Role = defaultRole
	}
	msg.Parts = messageParts(m, msg.Role)
	return msg, len(msg.Parts) > 0
}

// messageParts collects a message's parts: "parts" (newest shape), else "content" (a string
// or a list of content parts), plus tool calls ("tool_calls", legacy "function_call"). A tool
// message's content is its tool call's response.
func messageParts(m map[string]any, role string) []telemetry.Part {
	if ps, ok := m["parts"].([]any); ok {
		parts := make([]telemetry.Part, 0, len(ps))
		for _, p := range ps {
			if part, ok := partFromAny(p); ok {
				parts = append(parts, part)
			}
		}
		return parts
	}
	var parts []telemetry.Part
	toolID := firstString(m, "tool_call_id", "id")
	if c, ok := m["content"]; ok && c != nil {
		if role == "tool" && toolID != "" {
			if s, ok := c.(string); !ok || s != "" {
				parts = append(parts, telemetry.Part{Type: "tool_call_response", ID: toolID, Response: c})
			}
		} else {
			parts = append(parts, contentParts(c)...)
		}
	}
	parts = append(parts, toolCallParts(m["tool_calls"])...)
	if fc, ok := m["function_call"].(map[string]any); ok {
		parts = append(parts, toolCallPart(fc))
	}
	return parts
}

// contentParts converts message content: a string, a list of parts or strings, one part.
func contentParts(c any) []telemetry.Part {
	switch c := c.(type) {
	case string:
		if c == "" {
			return nil
		}
		return []telemetry.Part{{Type: "text", Content: c}}
	case []any:
		parts := make([]telemetry.Part, 0, len(c))
		for _, e := range c {
			if p, ok := partFromAny(e); ok {
				parts = append(parts, p)
			}
		}
		return parts
	case map[string]any:
		if p, ok := partFromMap(c); ok {
			return []telemetry.Part{p}
		}
	case nil:
		return nil
	default:
		if s, ok := asString(c); ok {
			return []telemetry.Part{{Type: "text", Content: s}}
		}
	}
	return nil
}

// toolCallParts converts tool calls, [{id, type, function{name, arguments}}] or
// [{id, name, arguments}], given structured or as a JSON string.
func toolCallParts(v any) []telemetry.Part {
	if s, ok := v.(string); ok {
		v, _ = decodeJSON(s)
	}
	calls, ok := v.([]any)
	if !ok {
		return nil
	}
	parts := make([]telemetry.Part, 0, len(calls))
	for _, c := range calls {
		if cm, ok := c.(map[string]any); ok {
			parts = append(parts, toolCallPart(cm))
		}
	}
	return parts
}

// toolCallPart converts one tool call of the OpenAI or the flat shape.
func toolCallPart(c map[string]any) telemetry.Part {
	// OpenAI's Responses API names the call's own id call_id (its responses refer to it) and
	// the output item's id id; Chat Completions has only id.
	p := telemetry.Part{Type: "tool_call", ID: firstString(c, "call_id", "id"), Name: firstString(c, "name")}
	p.Arguments, _ = first(c, "arguments", "input")
	if fn, ok := c["function"].(map[string]any); ok {
		if p.Name == "" {
			p.Name = firstString(fn, "name")
		}
		if p.Arguments == nil {
			p.Arguments, _ = first(fn, "arguments")
		}
	}
	return p
}

// partFromAny converts a part given as a map or as a bare string (text).
func partFromAny(v any) (telemetry.Part, bool) {
	switch v := v.(type) {
	case map[string]any:
		return partFromMap(v)
	case string:
		return telemetry.Part{Type: "text", Content: v}, v != ""
	}
	return telemetry.Part{}, false
}

// partFromMap converts one part of the newest shape (text, tool_call, tool_call_response,
// blob, file, uri, reasoning, or another type kept with its fields in Extra) or of the
// OpenAI/Anthropic content shapes (text with "text", image_url, tool_use, tool_result).
func partFromMap(m map[string]any) (telemetry.Part, bool) {
	t := firstString(m, "type")
	p := telemetry.Part{Type: t}
	switch t {
	case "text", "input_text", "output_text", "":
		p.Type = "text"
		p.Content = firstString(m, "content", "text")
		if p.Content == "" && t == "" {
			return p, false
		}
	case "reasoning", "thinking":
		p.Type = "reasoning"
		p.Content = firstString(m, "content", "thinking", "text")
	case "tool_call", "function_call", "tool_use":
		p = toolCallPart(m)
	case "tool_call_response", "tool_result", "function_call_output":
		p.Type = "tool_call_response"
		p.ID = firstString(m, "call_id", "tool_call_id", "tool_use_id", "id")
		p.Response, _ = first(m, "response", "result", "content", "output")
	case "blob", "file", "uri":
		p.MimeType = firstString(m, "mime_type", "mimeType")
		p.Modality = firstString(m, "modality")
		p.Content = firstString(m, "content")
		p.FileID = firstString(m, "file_id", "fileId")
		p.URI = firstString(m, "uri")
	case "image_url", "image":
		return imagePart(m), true
	default:
		p.Extra = make(map[string]any, len(m))
		for k, v := range m {
			if k != "type" {
				p.Extra[k] = v
			}
		}
	}
	return p, true
}

// imagePart converts OpenAI's {type: image_url, image_url: {url}}: a data: URL becomes a blob,
// any other URL a uri part.
func imagePart(m map[string]any) telemetry.Part {
	var url string
	switch iu := m["image_url"].(type) {
	case map[string]any:
		url = firstString(iu, "url")
	case string:
		url = iu
	}
	if url == "" {
		url = firstString(m, "url", "uri")
	}
	if rest, ok := strings.CutPrefix(url, "data:"); ok {
		meta, data, _ := strings.Cut(rest, ",")
		mime, _, _ := strings.Cut(meta, ";")
		return telemetry.Part{Type: "blob", Modality: "image", MimeType: mime, Content: data}
	}
	return telemetry.Part{Type: "uri", Modality: "image", URI: url}
}

// hasContent reports whether any part carries recorded content (text, arguments, results,
// media), as opposed to metadata such as a tool name that is recorded even without content.
func hasContent(msgs []telemetry.Message, parts []telemetry.Part) bool {
	for _, m := range msgs {
		if partsHaveContent(m.Parts) {
			return true
		}
	}
	return partsHaveContent(parts)
}

func partsHaveContent(parts []telemetry.Part) bool {
	for _, p := range parts {
		if p.Content != "" || p.Arguments != nil || p.Response != nil || p.URI != "" || p.FileID != "" || len(p.Extra) > 0 {
			return true
		}
	}
	return false
}

// systemParts decodes gen_ai.system_instructions: a JSON array of parts (or one part, or a
// plain string), given as a string or structured.
func systemParts(v any, cut bool) content {
	var c content
	if s, ok := v.(string); ok {
		dv, ok := decodeJSON(s)
		if !ok {
			if strings.TrimSpace(s) != "" {
				c.parts = []telemetry.Part{{Type: "text", Content: s}}
				c.truncated = cut || looksCut(s)
			}
			return c
		}
		v = dv
	}
	c.truncated = cut
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if p, ok := partFromAny(e); ok {
				c.parts = append(c.parts, p)
			}
		}
	case map[string]any:
		if _, isMsg := v["parts"]; isMsg {
			c.parts = messageParts(v, "system")
		} else if p, ok := partFromMap(v); ok {
			c.parts = append(c.parts, p)
		}
	}
	return c
}
