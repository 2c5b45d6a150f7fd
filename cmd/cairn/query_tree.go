package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cairn-dev/cairn/internal/apiclient"
)

// Limits of what 'cairn trace' prints, so that a hostile or huge trace stays readable.
const (
	maxContentRunes = 1000 // per message part, without --full
	maxTreeDepth    = 48   // deeper spans are printed at this depth, marked with their depth
	maxNameRunes    = 120
)

// treePrinter prints one trace as an indented tree with its model calls.
type treePrinter struct {
	w    io.Writer
	full bool // message content uncut
}

// print writes the trace: a header from the summary, then every span under its parent. Spans
// whose parent is not in the trace (not received yet) start trees of their own; spans caught
// in a parent cycle (only a hostile sender makes one) are printed at the end.
func (p *treePrinter) print(t *apiclient.Trace) {
	p.header(&t.Summary)
	byID := make(map[string]int, len(t.Spans))
	for i := range t.Spans {
		if _, dup := byID[t.Spans[i].SpanID]; !dup {
			byID[t.Spans[i].SpanID] = i
		}
	}
	children := map[string][]int{}
	var roots []int
	for i := range t.Spans {
		s := &t.Spans[i]
		if _, ok := byID[s.ParentSpanID]; s.ParentSpanID == "" || !ok || s.ParentSpanID == s.SpanID {
			roots = append(roots, i)
		} else {
			children[s.ParentSpanID] = append(children[s.ParentSpanID], i)
		}
	}
	byStart := func(a, b int) int { return t.Spans[a].Start().Compare(t.Spans[b].Start()) }
	slices.SortStableFunc(roots, byStart)
	for k := range children {
		slices.SortStableFunc(children[k], byStart)
	}
	printed := make([]bool, len(t.Spans))
	for _, i := range roots {
		p.tree(t.Spans, children, printed, i)
	}
	for i := range t.Spans {
		if !printed[i] {
			p.tree(t.Spans, children, printed, i)
		}
	}
	if n := len(t.OrphanLogs); n > 0 {
		fmt.Fprintf(p.w, "\n%d log record(s) of this trace are linked to no stored span ('cairn trace --json' shows them).\n", n)
	}
}

func (p *treePrinter) header(s *apiclient.TraceSummary) {
	root := safeLine(clip(s.RootName, maxNameRunes))
	if !s.HasRoot {
		root += " (root span not received)"
	}
	fmt.Fprintf(p.w, "Trace %s  %s  [%s]\n", safeLine(clip(s.TraceID, 32)), root, safeLine(clip(s.RootService, maxNameRunes)))
	parts := []string{
		"started " + fmtClock(s.Start()), fmtMs(s.DurationMs), plural(s.SpanCount, "span"), plural(s.ErrorCount, "error"),
	}
	if s.GenerationCount > 0 {
		parts = append(parts, plural(s.GenerationCount, "model call"),
			fmt.Sprintf("tokens %d in / %d out", s.InputTokens, s.OutputTokens), costText(s.CostUSD))
	}
	fmt.Fprintf(p.w, "  %s\n", strings.Join(parts, " · "))
	var who []string
	if s.SessionID != "" {
		who = append(who, "session "+safeLine(clip(s.SessionID, maxNameRunes)))
	}
	if s.UserID != "" {
		who = append(who, "user "+safeLine(clip(s.UserID, maxNameRunes)))
	}
	if len(s.Models) > 0 {
		ms := make([]string, len(s.Models))
		for i, m := range s.Models {
			ms[i] = safeLine(clip(m, maxNameRunes))
		}
		who = append(who, "models "+strings.Join(ms, ", "))
	}
	if len(who) > 0 {
		fmt.Fprintf(p.w, "  %s\n", strings.Join(who, " · "))
	}
	fmt.Fprintln(p.w)
}

// frame is one span waiting to be printed by tree's explicit stack.
type frame struct {
	i            int
	depth        int
	prefix, line string // prefix of its detail lines and children; its own line's lead
}

// tree prints span i and everything under it, depth first, without recursion (a trace may be
// very deep).
func (p *treePrinter) tree(spans []apiclient.Span, children map[string][]int, printed []bool, i int) {
	stack := []frame{{i: i}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if printed[f.i] {
			continue
		}
		printed[f.i] = true
		s := &spans[f.i]
		kids := slices.DeleteFunc(slices.Clone(children[s.SpanID]), func(k int) bool { return printed[k] })
		fmt.Fprintf(p.w, "%s%s\n", f.line, p.spanLine(s, f.depth))
		detail := f.prefix + "   "
		if len(kids) > 0 {
			detail = f.prefix + "│  "
		}
		p.details(s, detail)
		for k := len(kids) - 1; k >= 0; k-- {
			childPrefix, lead := f.prefix+"│  ", f.prefix+"├─ "
			if k == len(kids)-1 {
				childPrefix, lead = f.prefix+"   ", f.prefix+"└─ "
			}
			if f.depth+1 >= maxTreeDepth {
				childPrefix, lead = f.prefix, f.prefix
			}
			stack = append(stack, frame{i: kids[k], depth: f.depth + 1, prefix: childPrefix, line: lead})
		}
	}
}

// spanLine is a span's own line: name, service, duration, status.
func (p *treePrinter) spanLine(s *apiclient.Span, depth int) string {
	var b strings.Builder
	if depth >= maxTreeDepth {
		fmt.Fprintf(&b, "[depth %d] ", depth)
	}
	b.WriteString(safeLine(clip(s.Name, maxNameRunes)))
	if s.Name == "" {
		b.WriteString("(unnamed span)")
	}
	fmt.Fprintf(&b, "  [%s]  %s", safeLine(clip(s.Service, maxNameRunes)), fmtMs(s.DurationMs))
	switch s.Status.Code {
	case "error":
		b.WriteString("  ✗ ERROR")
		if s.Status.Message != "" {
			b.WriteString(": " + safeLine(clip(s.Status.Message, 300)))
		}
	case "ok":
		b.WriteString("  ok")
	}
	return b.String()
}

// details prints what is under a span's line: its exception and its model call.
func (p *treePrinter) details(s *apiclient.Span, prefix string) {
	line := func(format string, args ...any) {
		fmt.Fprintf(p.w, "%s%s\n", prefix, fmt.Sprintf(format, args...))
	}
	if s.Status.Code == "error" {
		for _, e := range s.Events {
			if e.Name != "exception" {
				continue
			}
			typ, _ := e.Attributes["exception.type"].(string)
			msg, _ := e.Attributes["exception.message"].(string)
			if msg == s.Status.Message || strings.HasSuffix(s.Status.Message, msg) {
				msg = "" // the status line says it already
			}
			if typ != "" || msg != "" {
				line("exception %s", safeLine(clip(strings.TrimSuffix(typ+": "+msg, ": "), 300)))
			}
			break
		}
	}
	g := s.Generation
	if g == nil {
		return
	}
	model := g.RequestModel
	if g.ResponseModel != "" && g.ResponseModel != g.RequestModel {
		if model == "" {
			model = g.ResponseModel
		} else {
			model += " → " + g.ResponseModel
		}
	}
	var head []string
	if model != "" {
		head = append(head, "model "+safeLine(clip(model, 2*maxNameRunes)))
	}
	if g.Provider != "" {
		head = append(head, safeLine(clip(g.Provider, maxNameRunes)))
	}
	if g.Operation != "" {
		head = append(head, safeLine(clip(g.Operation, maxNameRunes)))
	}
	if g.ToolName != "" {
		head = append(head, "tool "+safeLine(clip(g.ToolName, maxNameRunes)))
	}
	if g.AgentName != "" {
		head = append(head, "agent "+safeLine(clip(g.AgentName, maxNameRunes)))
	}
	if len(head) > 0 {
		line("%s", strings.Join(head, " · "))
	}

	u := g.Usage
	tokens := "tokens not reported"
	if u.InputTokens != nil || u.OutputTokens != nil || u.TotalTokens != nil {
		tokens = fmt.Sprintf("tokens %s in / %s out", fmtTokens(u.InputTokens), fmtTokens(u.OutputTokens))
		if u.TotalTokens != nil {
			tokens += " / " + fmtTokens(u.TotalTokens) + " total"
		}
		if u.CachedInputTokens != nil && *u.CachedInputTokens > 0 {
			tokens += " (" + fmtTokens(u.CachedInputTokens) + " cached)"
		}
		if u.ReasoningTokens != nil && *u.ReasoningTokens > 0 {
			tokens += " (" + fmtTokens(u.ReasoningTokens) + " reasoning)"
		}
	}
	stats := []string{tokens, costText(g.CostUSD)}
	if len(g.FinishReasons) > 0 {
		rs := make([]string, len(g.FinishReasons))
		for i, r := range g.FinishReasons {
			rs[i] = safeLine(clip(r, 60))
		}
		stats = append(stats, "finish "+strings.Join(rs, ", "))
	}
	if g.TimeToFirstTokenMs != nil {
		stats = append(stats, "first token "+fmtMs(*g.TimeToFirstTokenMs))
	}
	if g.ErrorType != "" {
		stats = append(stats, "error "+safeLine(clip(g.ErrorType, maxNameRunes)))
	}
	if model != "" || len(stats) > 2 || u != (apiclient.Usage{}) || g.CostUSD != nil {
		line("%s", strings.Join(stats, " · ")) // a tool or agent span without usage says nothing here
	}

	if !g.ContentRecorded && len(g.SystemInstructions)+len(g.InputMessages)+len(g.OutputMessages) == 0 {
		line("messages: not recorded (the app records message content only when asked to, e.g. " +
			"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)")
		return
	}
	if len(g.SystemInstructions) > 0 {
		p.message(prefix, "system", "", g.SystemInstructions)
	}
	if len(g.InputMessages) == 0 {
		line("input: not recorded")
	}
	for _, m := range g.InputMessages {
		p.message(prefix, m.Role, m.Name, m.Parts)
	}
	if len(g.OutputMessages) == 0 {
		line("output: not recorded")
	}
	for _, m := range g.OutputMessages {
		p.message(prefix, m.Role, m.Name, m.Parts)
	}
	if g.ContentTruncated {
		line("(some content was cut before it reached Cairn, or by its size limit)")
	}
}

// message prints one message: its role, then each part.
func (p *treePrinter) message(prefix, role, name string, parts []apiclient.Part) {
	label := safeLine(clip(role, 40))
	if label == "" {
		label = "(no role)"
	}
	if name != "" {
		label += " (" + safeLine(clip(name, 60)) + ")"
	}
	label += ": "
	if len(parts) == 0 {
		fmt.Fprintf(p.w, "%s%snot recorded\n", prefix, label)
		return
	}
	for _, part := range parts {
		p.block(prefix, label, p.partText(&part))
	}
}

// partText renders one message part as (multi-line, safe) text.
func (p *treePrinter) partText(part *apiclient.Part) string {
	switch part.Type {
	case "text", "":
		if part.Content == "" {
			return "(empty)"
		}
		return p.content(part.Content)
	case "reasoning":
		return "[reasoning] " + p.content(part.Content)
	case "tool_call":
		s := "tool call " + safeLine(clip(part.Name, maxNameRunes))
		if part.ID != "" {
			s += " (" + safeLine(clip(part.ID, 80)) + ")"
		}
		if part.Arguments != nil {
			s += " " + p.content(jsonText(part.Arguments))
		}
		return s
	case "tool_call_response":
		s := "tool result"
		if part.ID != "" {
			s += " (" + safeLine(clip(part.ID, 80)) + ")"
		}
		if part.Response != nil {
			s += " " + p.content(jsonText(part.Response))
		}
		return s
	case "blob":
		return fmt.Sprintf("[%s blob %s, %d base64 characters]", safeLine(clip(part.Modality, 40)),
			safeLine(clip(part.MimeType, 80)), len(part.Content))
	case "uri":
		return fmt.Sprintf("[%s %s]", safeLine(clip(part.Modality, 40)), safeLine(clip(part.URI, 300)))
	case "file":
		return fmt.Sprintf("[%s file %s]", safeLine(clip(part.Modality, 40)), safeLine(clip(part.FileID, 200)))
	}
	s := "[" + safeLine(clip(part.Type, 60)) + "]"
	if part.Content != "" {
		s += " " + p.content(part.Content)
	}
	return s
}

// content is message text made safe and, without --full, cut.
func (p *treePrinter) content(s string) string {
	if !p.full {
		if n := utf8.RuneCountInString(s); n > maxContentRunes {
			s = clip(s, maxContentRunes) + " [" + strconv.Itoa(n-maxContentRunes+1) + " more characters: --full shows them]"
		}
	}
	return safeText(s)
}

// block prints text after label, continuation lines indented under the text.
func (p *treePrinter) block(prefix, label, text string) {
	lines := strings.Split(text, "\n")
	fmt.Fprintf(p.w, "%s%s%s\n", prefix, label, lines[0])
	indent := prefix + strings.Repeat(" ", utf8.RuneCountInString(label))
	for _, l := range lines[1:] {
		fmt.Fprintf(p.w, "%s%s\n", indent, l)
	}
}

// jsonText renders tool arguments or results: a string as it is, anything else as compact JSON.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// costText is "cost $x", or says the cost is unknown (no price for the model).
func costText(c *float64) string {
	if c == nil {
		return "cost unknown"
	}
	return "cost " + fmtCost(c)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
