package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// demoLink is one "status service what URL" line of cairn demo's summary.
var demoLink = regexp.MustCompile(`(?m)^\s+(ok|error)\s+(\S+)\s+(\S+)\s+(http://\S+/traces/([0-9a-f]{32}))$`)

// demoTotals is cairn demo's last line.
var demoTotals = regexp.MustCompile(`(\d+) traces \((\d+) failed\) in (\d+) sessions`)

type demoGeneration struct {
	RequestModel string `json:"requestModel"`
	Usage        struct {
		InputTokens, OutputTokens *int64
	} `json:"usage"`
	ContentRecorded bool `json:"contentRecorded"`
	InputMessages   []struct {
		Role  string
		Parts []struct{ Type, Content string }
	} `json:"inputMessages"`
	OutputMessages []struct {
		Role  string
		Parts []struct{ Type, Content string }
	} `json:"outputMessages"`
}

// TestDemo runs `cairn demo` against a running server (issue 6): it exits 0 and prints a UI
// link per trace, and the API then shows the Trail Guide traces with their span tree and model
// calls, the sessions, and the failures.
func TestDemo(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	code, stdout, stderr := runCairn(t, 2*time.Minute, nil, "demo", "--endpoint", p.BaseURL(), "--latency", "5ms")
	if code != 0 {
		t.Fatalf("cairn demo: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	links := demoLink.FindAllStringSubmatch(stdout, -1)
	totals := demoTotals.FindStringSubmatch(stdout)
	if totals == nil || strconv.Itoa(len(links)) != totals[1] {
		t.Fatalf("cairn demo printed %d links; its totals line says %v:\n%s", len(links), totals, stdout)
	}
	failed := map[string]int{}
	recommend := 0
	for _, l := range links {
		status, service, what, link, traceID := l[1], l[2], l[3], l[4], l[5]
		if status == "error" {
			failed[service]++
		}
		// The link opens the trace in the UI.
		if code, _, body := httpDo(t, http.MethodGet, link, nil, nil); code != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), "<html") {
			t.Errorf("UI link %s: %d", link, code)
		}
		g, code := getTrace(t, p, traceID)
		if code != http.StatusOK {
			t.Errorf("%s %s trace %s: status %d", service, what, traceID, code)
			continue
		}
		if (g.Summary.ErrorCount > 0) != (status == "error") || g.Summary.RootService != service {
			t.Errorf("%s %s trace %s printed %s: summary %+v", service, what, traceID, status, g.Summary)
		}
		if service == "trail-guide" && what == "recommend" {
			recommend++
			checkTrailGuideTrace(t, g, status == "ok")
		}
	}
	if recommend != 5 {
		t.Errorf("%d trail-guide recommend traces, want one per hiker (5)", recommend)
	}
	if failed["trail-guide"] == 0 || strconv.Itoa(failed["trail-guide"]+failed["travel-guide"]) != totals[2] {
		t.Errorf("failed traces per service %v; totals line %q; want some trail-guide failures", failed, totals[0])
	}
	var errs gotTraceList
	getJSON(t, p.API("/traces?service=trail-guide&status=error&limit=100"), &errs)
	if len(errs.Traces) != failed["trail-guide"] {
		t.Errorf("GET /traces?service=trail-guide&status=error: %d traces, demo printed %d failures", len(errs.Traces), failed["trail-guide"])
	}

	var sessions struct {
		Sessions []struct {
			ID, Service string
			TraceCount  int
			ErrorCount  int
		}
	}
	if code := getJSON(t, p.API("/sessions?service=trail-guide&limit=100"), &sessions); code != http.StatusOK || len(sessions.Sessions) != 5 {
		t.Fatalf("GET /sessions?service=trail-guide: %d, %d sessions; want 5 (one per hiker)", code, len(sessions.Sessions))
	}
	traces, errored := 0, 0
	for _, s := range sessions.Sessions {
		traces += s.TraceCount
		errored += s.ErrorCount
		if !strings.HasPrefix(s.ID, "session_") || s.Service != "trail-guide" {
			t.Errorf("session %+v", s)
		}
	}
	trail := 0
	for _, l := range links {
		if l[2] == "trail-guide" {
			trail++
		}
	}
	if traces != trail || errored != failed["trail-guide"] {
		t.Errorf("sessions hold %d traces (%d with errors); the demo printed %d trail-guide traces (%d failed)", traces, errored, trail, failed["trail-guide"])
	}
}

// checkTrailGuideTrace checks trail_guide_session → recommend_hike → recommend_model_call →
// chat gpt-4o and, for a successful call, the generation's model, tokens and content.
func checkTrailGuideTrace(t *testing.T, g *gotTrace, ok bool) {
	t.Helper()
	chain := []struct{ name, kind, parent string }{
		{"trail_guide_session", "internal", ""},
		{"recommend_hike", "internal", "trail_guide_session"},
		{"recommend_model_call", "internal", "recommend_hike"},
		{"chat gpt-4o", "client", "recommend_model_call"},
	}
	ids := map[string]string{"": ""}
	for _, c := range chain {
		s := g.span(t, c.name)
		ids[c.name] = s.SpanID
		if s.Kind != c.kind || s.ParentSpanID != ids[c.parent] || s.Service != "trail-guide" {
			t.Errorf("trace %s span %s: kind %s parent %q service %s; want %s under %s", g.Summary.TraceID, c.name, s.Kind, s.ParentSpanID, s.Service, c.kind, c.parent)
		}
	}
	if root := g.span(t, "trail_guide_session"); g.Summary.RootName != "trail_guide_session" || !strings.HasPrefix(root.SessionID, "session_") {
		t.Errorf("trace %s: root %q, session %q", g.Summary.TraceID, g.Summary.RootName, root.SessionID)
	}
	chat := g.span(t, "chat gpt-4o")
	var gen demoGeneration
	if err := json.Unmarshal(chat.Generation, &gen); err != nil || len(chat.Generation) == 0 || string(chat.Generation) == "null" {
		t.Errorf("trace %s: chat span generation %s (%v)", g.Summary.TraceID, chat.Generation, err)
		return
	}
	if gen.RequestModel != "gpt-4o" || !gen.ContentRecorded || !hasText(gen.InputMessages, "user", "Preferences") {
		t.Errorf("trace %s generation: model %q, content recorded %v, input %+v", g.Summary.TraceID, gen.RequestModel, gen.ContentRecorded, gen.InputMessages)
	}
	if !ok {
		if chat.Status.Code != "error" && g.span(t, "recommend_model_call").Status.Code != "error" {
			t.Errorf("failed trace %s: no error status on the model call", g.Summary.TraceID)
		}
		return
	}
	if gen.Usage.InputTokens == nil || *gen.Usage.InputTokens <= 0 || gen.Usage.OutputTokens == nil || *gen.Usage.OutputTokens <= 0 {
		t.Errorf("trace %s generation usage %+v; want input and output tokens", g.Summary.TraceID, gen.Usage)
	}
	if !hasText(gen.OutputMessages, "assistant", "") {
		t.Errorf("trace %s generation output %+v; want the assistant's answer", g.Summary.TraceID, gen.OutputMessages)
	}
}

func hasText(msgs []struct {
	Role  string
	Parts []struct{ Type, Content string }
}, role, substr string) bool {
	for _, m := range msgs {
		for _, p := range m.Parts {
			if m.Role == role && p.Type == "text" && p.Content != "" && strings.Contains(p.Content, substr) {
				return true
			}
		}
	}
	return false
}
