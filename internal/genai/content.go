package genai

import (
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// carried is the content one carrier yielded for a generation.
type carried struct {
	sys       []telemetry.Part
	in, out   []telemetry.Message
	truncated bool
}

func (r carried) any() bool { return len(r.sys)+len(r.in)+len(r.out) > 0 }

// applyTo fills the generation's empty categories; it reports whether it took anything.
func (r carried) applyTo(g *telemetry.Generation) bool {
	took := false
	if len(g.SystemInstructions) == 0 && len(r.sys) > 0 {
		g.SystemInstructions, took = r.sys, true
	}
	if len(g.InputMessages) == 0 && len(r.in) > 0 {
		g.InputMessages, took = r.in, true
	}
	if len(g.OutputMessages) == 0 && len(r.out) > 0 {
		g.OutputMessages, took = r.out, true
	}
	if took && r.truncated {
		g.ContentTruncated = true
	}
	return took
}

// cutKeys reports whether an attribute was cut by Cairn's value limit (Span.Truncated).
type cutKeys map[string]int

func (c cutKeys) has(key string) bool {
	if len(c) == 0 {
		return false
	}
	if _, ok := c[key]; ok {
		return true
	}
	// Structured values record their cut elements as key[i] or key.field.
	for k := range c {
		if strings.HasPrefix(k, key) && len(k) > len(key) && (k[len(key)] == '[' || k[len(key)] == '.') {
			return true
		}
	}
	return false
}

// Newest-convention content attributes.
const (
	attrInputMessages  = "gen_ai.input.messages"
	attrOutputMessages = "gen_ai.output.messages"
	attrSystemInstr    = "gen_ai.system_instructions"
)

// newestContent reads gen_ai.input.messages, gen_ai.output.messages and
// gen_ai.system_instructions (JSON strings on spans, structured on events and logs).
func newestContent(a map[string]any, cut cutKeys) carried {
	var r carried
	if v, ok := a[attrInputMessages]; ok && v != nil {
		c := parseMessageValue(v, "user", cut.has(attrInputMessages))
		r.in, r.truncated = c.msgs, r.truncated || c.truncated
	}
	if v, ok := a[attrOutputMessages]; ok && v != nil {
		c := parseMessageValue(v, "assistant", cut.has(attrOutputMessages))
		r.out, r.truncated = c.msgs, r.truncated || c.truncated
	}
	if v, ok := a[attrSystemInstr]; ok && v != nil {
		c := systemParts(v, cut.has(attrSystemInstr))
		r.sys, r.truncated = c.parts, r.truncated || c.truncated
	}
	return r
}

// openInferenceContent reads llm.input_messages / llm.output_messages, falling back to
// input.value / output.value (a JSON request or response, or plain text).
func openInferenceContent(a map[string]any, cut cutKeys) carried {
	var r carried
	r.in = openInferenceMessages(a, "llm.input_messages.", "user")
	r.out = openInferenceMessages(a, "llm.output_messages.", "assistant")
	if len(r.in) == 0 {
		if v, ok := a["input.value"]; ok {
			c := parseMessageValue(v, "user", cut.has("input.value"))
			r.in, r.truncated = c.msgs, r.truncated || c.truncated
		}
	}
	if len(r.out) == 0 {
		if v, ok := a["output.value"]; ok {
			c := parseMessageValue(v, "assistant", cut.has("output.value"))
			r.out, r.truncated = c.msgs, r.truncated || c.truncated
		}
	}
	r.truncated = r.truncated || cut.hasPrefix("llm.input_messages.") || cut.hasPrefix("llm.output_messages.")
	return r
}

// openLLMetryContent reads gen_ai.prompt.{i}.* / gen_ai.completion.{i}.*, or the JSON
// attributes gen_ai.prompt / gen_ai.completion of the oldest convention.
func openLLMetryContentOf(a map[string]any, cut cutKeys) carried {
	var r carried
	r.in = openLLMetryMessages(a, "gen_ai.prompt.", "user")
	r.out = openLLMetryMessages(a, "gen_ai.completion.", "assistant")
	if v, ok := a["gen_ai.prompt"]; ok && len(r.in) == 0 {
		c := parseMessageValue(v, "user", cut.has("gen_ai.prompt"))
		r.in, r.truncated = c.msgs, c.truncated
	}
	if v, ok := a["gen_ai.completion"]; ok && len(r.out) == 0 {
		c := parseMessageValue(v, "assistant", cut.has("gen_ai.completion"))
		r.out, r.truncated = c.msgs, r.truncated || c.truncated
	}
	r.truncated = r.truncated || cut.hasPrefix("gen_ai.prompt.") || cut.hasPrefix("gen_ai.completion.")
	return r
}

// toolContent reads a tool execution's arguments and result (gen_ai.tool.call.arguments and
// .result; OpenInference and OpenLLMetry tool spans use input.value / traceloop.entity.input).
func toolContent(a map[string]any, g *telemetry.Generation, cut cutKeys) carried {
	var r carried
	args, okA := first(a, "gen_ai.tool.call.arguments", "input.value", "traceloop.entity.input")
	res, okR := first(a, "gen_ai.tool.call.result", "output.value", "traceloop.entity.output")
	id := firstString(a, "gen_ai.tool.call.id", "tool_call.id")
	if okA {
		r.in = []telemetry.Message{{Role: "assistant", Parts: []telemetry.Part{{Type: "tool_call", ID: id, Name: g.ToolName, Arguments: args}}}}
	}
	if okR {
		r.out = []telemetry.Message{{Role: "tool", Parts: []telemetry.Part{{Type: "tool_call_response", ID: id, Response: res}}}}
	}
	r.truncated = cut.has("gen_ai.tool.call.arguments") || cut.has("gen_ai.tool.call.result") ||
		cut.has("input.value") || cut.has("output.value")
	return r
}

// hasPrefix reports whether any cut key starts with prefix.
func (c cutKeys) hasPrefix(prefix string) bool {
	for k := range c {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
