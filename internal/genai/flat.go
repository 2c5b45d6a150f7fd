package genai

import (
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Flattened conventions spread one message over many attributes:
//   OpenInference: llm.input_messages.{i}.message.{role,content,name,tool_call_id},
//     ...message.contents.{j}.message_content.{type,text,image.image.url},
//     ...message.tool_calls.{k}.tool_call.{id,function.name,function.arguments}
//   OpenLLMetry:   gen_ai.prompt.{i}.{role,content,tool_call_id,tool_calls.{k}.{id,name,arguments}},
//     gen_ai.completion.{i}.{role,content,finish_reason,tool_calls.{k}...}
// They are regrouped into the OpenAI message shape and then read like any other message.

// indexed is one group of flattened fields sharing an index.
type indexed struct {
	i      int
	fields map[string]any
}

// groupIndexed collects the keys of a that start with prefix followed by "{i}.", grouping the
// remainders by i in ascending order.
func groupIndexed(a map[string]any, prefix string) []indexed {
	var groups []indexed
	for k, v := range a {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		i, field, ok := splitIndex(rest)
		if !ok {
			continue
		}
		groups = addField(groups, i, field, v)
	}
	sort.Slice(groups, func(x, y int) bool { return groups[x].i < groups[y].i })
	return groups
}

// addField adds field=v to the group with index i, creating it when absent.
func addField(groups []indexed, i int, field string, v any) []indexed {
	for g := range groups {
		if groups[g].i == i {
			groups[g].fields[field] = v
			return groups
		}
	}
	return append(groups, indexed{i: i, fields: map[string]any{field: v}})
}

// splitIndex splits "12.rest" into 12 and "rest".
func splitIndex(s string) (int, string, bool) {
	dot := strings.IndexByte(s, '.')
	if dot <= 0 || dot > 6 {
		return 0, "", false
	}
	i, err := strconv.Atoi(s[:dot])
	if err != nil || i < 0 {
		return 0, "", false
	}
	return i, s[dot+1:], true
}

// subGroups regroups the fields under prefix ("tool_calls.") of one message, dropping inner
// (the convention's repeated element name, e.g. "tool_call.") from the field names.
func subGroups(fields map[string]any, prefix, inner string) []map[string]any {
	var groups []indexed
	for k, v := range fields {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		i, field, ok := splitIndex(rest)
		if !ok {
			continue
		}
		groups = addField(groups, i, strings.TrimPrefix(field, inner), v)
	}
	sort.Slice(groups, func(x, y int) bool { return groups[x].i < groups[y].i })
	out := make([]map[string]any, len(groups))
	for i, g := range groups {
		out[i] = g.fields
	}
	return out
}

// openInferenceMessages reads llm.input_messages or llm.output_messages.
func openInferenceMessages(a map[string]any, prefix, defaultRole string) []telemetry.Message {
	groups := groupIndexed(a, prefix)
	msgs := make([]telemetry.Message, 0, len(groups))
	for _, g := range groups {
		f := g.fields
		m := map[string]any{
			"role":         f["message.role"],
			"name":         f["message.name"],
			"tool_call_id": f["message.tool_call_id"],
			"content":      f["message.content"],
		}
		if contents := subGroups(f, "message.contents.", "message_content."); len(contents) > 0 {
			parts := make([]any, 0, len(contents))
			for _, c := range contents {
				p := map[string]any{"type": c["type"], "text": c["text"]}
				if url, ok := c["image.image.url"]; ok {
					p = map[string]any{"type": "image_url", "image_url": map[string]any{"url": url}}
				}
				parts = append(parts, p)
			}
			if m["content"] == nil {
				m["content"] = parts
			}
		}
		m["tool_calls"] = flatToolCalls(subGroups(f, "message.tool_calls.", "tool_call."))
		if msg, ok := messageFromMap(m, defaultRole); ok {
			msgs = append(msgs, msg)
		}
	}
	return msgs
}

// openLLMetryMessages reads gen_ai.prompt.{i}.* or gen_ai.completion.{i}.*.
func openLLMetryMessages(a map[string]any, prefix, defaultRole string) []telemetry.Message {
	groups := groupIndexed(a, prefix)
	msgs := make([]telemetry.Message, 0, len(groups))
	for _, g := range groups {
		f := g.fields
		m := map[string]any{
			"role":          f["role"],
			"name":          f["name"],
			"tool_call_id":  f["tool_call_id"],
			"finish_reason": f["finish_reason"],
			"content":       openLLMetryContent(f["content"]),
			"tool_calls":    flatToolCalls(subGroups(f, "tool_calls.", "")),
		}
		if name, ok := f["function_call.name"]; ok {
			m["function_call"] = map[string]any{"name": name, "arguments": f["function_call.arguments"]}
		}
		if msg, ok := messageFromMap(m, defaultRole); ok {
			msgs = append(msgs, msg)
		}
	}
	return msgs
}

// openLLMetryContent returns content as given, except that a JSON list of typed parts (how
// OpenLLMetry writes multimodal content) is decoded into that list.
func openLLMetryContent(v any) any {
	s, ok := v.(string)
	if !ok || !strings.HasPrefix(s, "[{") {
		return v
	}
	dv, ok := decodeJSON(s)
	if !ok {
		return v
	}
	list, _ := dv.([]any)
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || m["type"] == nil {
			return v
		}
	}
	return list
}

// flatToolCalls converts regrouped tool calls (id, name or function.name, arguments or
// function.arguments) into the OpenAI list shape.
func flatToolCalls(calls []map[string]any) []any {
	if len(calls) == 0 {
		return nil
	}
	out := make([]any, 0, len(calls))
	for _, c := range calls {
		name, _ := first(c, "function.name", "name")
		args, _ := first(c, "function.arguments", "arguments")
		out = append(out, map[string]any{"id": c["id"], "name": name, "arguments": args})
	}
	return out
}
