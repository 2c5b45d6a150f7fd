package telemetry

import "strings"

// ContentText returns the human-readable content of a span's generation (system instructions,
// input and output messages, tool arguments and results) as one string for full-text indexing.
func (s *Span) ContentText() string {
	g := s.Generation
	if g == nil {
		return ""
	}
	var b strings.Builder
	writeParts(&b, g.SystemInstructions)
	for _, m := range g.InputMessages {
		writeParts(&b, m.Parts)
	}
	for _, m := range g.OutputMessages {
		writeParts(&b, m.Parts)
	}
	return strings.TrimSpace(b.String())
}

// ContentText returns every string found in a log record's body (walking maps and arrays),
// for full-text indexing of content events such as gen_ai.user.message.
func (l *LogRecord) ContentText() string {
	var b strings.Builder
	writeStrings(&b, l.Body)
	return strings.TrimSpace(b.String())
}

func writeParts(b *strings.Builder, parts []Part) {
	for _, p := range parts {
		if p.Content != "" {
			b.WriteString(p.Content)
			b.WriteByte('\n')
		}
		writeStrings(b, p.Arguments)
		writeStrings(b, p.Response)
	}
}

func writeStrings(b *strings.Builder, v any) {
	switch v := v.(type) {
	case string:
		if v != "" {
			b.WriteString(v)
			b.WriteByte('\n')
		}
	case []any:
		for _, e := range v {
			writeStrings(b, e)
		}
	case map[string]any:
		for _, e := range v {
			writeStrings(b, e)
		}
	}
}
