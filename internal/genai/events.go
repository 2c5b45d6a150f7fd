package genai

import (
	"sort"
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Event names of the GenAI content carriers that arrive as span events or log records.
const (
	evSystem    = "gen_ai.system.message"
	evUser      = "gen_ai.user.message"
	evAssistant = "gen_ai.assistant.message"
	evTool      = "gen_ai.tool.message"
	evChoice    = "gen_ai.choice"
	evDetails   = "gen_ai.client.inference.operation.details"
	evPrompt    = "gen_ai.content.prompt"     // oldest convention: attribute gen_ai.prompt
	evComplete  = "gen_ai.content.completion" // oldest convention: attribute gen_ai.completion
)

// isContentEvent reports whether name is one of the GenAI content events.
func isContentEvent(name string) bool {
	switch name {
	case evSystem, evUser, evAssistant, evTool, evChoice, evDetails, evPrompt, evComplete:
		return true
	}
	return false
}

// collector gathers content from events (span events or log records) in their order.
type collector struct {
	in        []telemetry.Message
	out       []indexedMsg
	truncated bool
	any       bool // some content event was seen
	details   []map[string]any
}

type indexedMsg struct {
	index int64
	msg   telemetry.Message
}

// add reads one event. attrs are the event's (or log record's) attributes, body the log
// record's body (nil for span events: their content is in their attributes, or in
// gen_ai.event.content as a JSON string, Azure SDK style). cut says the body or the content
// attribute was cut at Cairn's limit.
func (c *collector) add(name string, attrs map[string]any, body any, cut bool) {
	if !isContentEvent(name) {
		return
	}
	c.any = true
	if v, ok := attrs["gen_ai.event.content"]; ok && v != nil {
		body = v
	}
	if body == nil {
		body = map[string]any(attrs)
	}
	bm, text := eventBody(body)
	if bm == nil && text != "" {
		// Not JSON (cut at a length limit, or a plain string): keep the raw text.
		c.truncated = c.truncated || cut || looksCut(text)
		bm = map[string]any{"content": text}
	} else if cut {
		c.truncated = true
	}
	switch name {
	case evSystem, evUser, evAssistant, evTool:
		role := strings.TrimSuffix(strings.TrimPrefix(name, "gen_ai."), ".message")
		if msg, ok := messageFromMap(bm, role); ok {
			c.in = append(c.in, msg)
		}
	case evChoice:
		if msg, ok := choiceMessage(bm); ok {
			idx, _ := asInt(bm["index"])
			c.out = append(c.out, indexedMsg{index: idx, msg: msg})
		}
	case evDetails:
		c.details = append(c.details, bm)
	case evPrompt:
		r := parseMessageValue(bm["gen_ai.prompt"], "user", cut)
		c.in = append(c.in, r.msgs...)
		c.truncated = c.truncated || r.truncated
	case evComplete:
		r := parseMessageValue(bm["gen_ai.completion"], "assistant", cut)
		for _, m := range r.msgs {
			c.out = append(c.out, indexedMsg{index: int64(len(c.out)), msg: m})
		}
		c.truncated = c.truncated || r.truncated
	}
}

// eventBody returns the body as a map, decoding a JSON string; text is the string when it is
// not a JSON object.
func eventBody(body any) (map[string]any, string) {
	switch b := body.(type) {
	case map[string]any:
		return b, ""
	case telemetry.Attributes:
		return b, ""
	case string:
		if dv, ok := decodeJSON(b); ok {
			if m, ok := dv.(map[string]any); ok {
				return m, ""
			}
		}
		return nil, b
	}
	return nil, ""
}

// outputs returns the output messages ordered by choice index (stable for equal indexes).
func (c *collector) outputs() []telemetry.Message {
	if len(c.out) == 0 {
		return nil
	}
	sort.SliceStable(c.out, func(i, j int) bool { return c.out[i].index < c.out[j].index })
	msgs := make([]telemetry.Message, len(c.out))
	for i, m := range c.out {
		msgs[i] = m.msg
	}
	return msgs
}

// applyTo fills the generation's empty message categories from the collected events and the
// details events' attributes. It reports whether any content was taken from events.
func (c *collector) applyTo(g *telemetry.Generation) bool {
	took := false
	for _, d := range c.details {
		fillCommon(g, d)
		if r := newestContent(d, nil); r.any() {
			took = r.applyTo(g) || took
		}
	}
	if len(g.InputMessages) == 0 && len(c.in) > 0 {
		g.InputMessages, took = c.in, true
	}
	if len(g.OutputMessages) == 0 && len(c.out) > 0 {
		g.OutputMessages, took = c.outputs(), true
	}
	if took && c.truncated {
		g.ContentTruncated = true
	}
	return took
}
