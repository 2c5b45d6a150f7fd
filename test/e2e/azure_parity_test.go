package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/tlsutil"
)

// TestAzureParity runs the seeds' Trail Guide app (test/interop/azure-node) three ways: with
// the Azure Monitor JS exporters over TLS, with the Azure Monitor distro (useAzureMonitor),
// and with the OTLP/HTTP exporters, each against its own cairn. Cairn must show the same thing
// for all three: span tree (names, parents, kinds, status), sessions, each chat span's
// generation (models, tokens, cost, finish reasons, prompts and answer, which the OpenAI
// instrumentation sends as log records: Breeze Message envelopes on the Azure side) and the
// recorded exceptions.
func TestAzureParity(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed; the Azure Monitor JS exporter needs it")
	}
	appDir := filepath.Join(repoRoot(t), "test", "interop", "azure-node")
	npmInstall(t, appDir, "@opentelemetry/exporter-logs-otlp-proto")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	views := map[string][]parityTrace{}
	for _, mode := range []string{"otlp", "azure", "distro"} {
		t.Run(mode, func(t *testing.T) {
			dataDir := t.TempDir()
			var env []string
			var srv *cairnProc
			if mode == "otlp" {
				srv = startServer(t, dataDir)
				env = []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + srv.BaseURL()}
			} else {
				// The same call cairn makes at start: it creates the CA that cairn then reuses.
				_, _, caFile, err := tlsutil.EnsureLocalCA(dataDir)
				if err != nil {
					t.Fatal(err)
				}
				srv = startServer(t, dataDir, "--tls-addr", freeAddr(t))
				env = []string{"APPLICATIONINSIGHTS_CONNECTION_STRING=" + tlsutil.ConnectionString(srv.TLS),
					"NODE_EXTRA_CA_CERTS=" + caFile, "APPLICATIONINSIGHTS_STATSBEAT_DISABLED=true"}
			}
			var run struct {
				Traces         []appTrace `json:"traces"`
				ExportFailures int        `json:"exportFailures"`
			}
			gnRunNode(ctx, t, appDir, "trailguide.mjs", &run, append(env, "TRAILGUIDE_EXPORT="+mode)...)
			if len(run.Traces) != 3 || run.ExportFailures != 0 {
				t.Fatalf("trailguide.mjs printed %+v; want three traces and no export failure", run)
			}
			for _, at := range run.Traces {
				views[mode] = append(views[mode], parityView(t, srv, at))
			}
			checkParitySessions(t, srv, run.Traces)
		})
	}
	if t.Failed() {
		return
	}
	want := views["otlp"]
	checkParityExpectations(t, want)
	for _, mode := range []string{"azure", "distro"} {
		for i := range want {
			if d := diffParity(want[i], views[mode][i]); d != "" {
				t.Errorf("trace %d: %s differs from OTLP:\n%s", i, mode, d)
			}
		}
	}
}

// parityTrace is what must be the same however the app exported: everything but ids, times
// and the convention name.
type parityTrace struct {
	Root, Service string
	SessionOK     bool // the trace and its root span carry the app's session id
	ErrorCount    int
	Spans         []string          // "name kind status <- parent name", sorted
	Generations   []string          // per chat span: "parent name: generation", sorted
	ErrorTypes    []string          // the generations' error types, in the same order
	Exceptions    map[string]string // span name -> "type: message" of its exception
	Content       map[string]bool   // GenAI content log records seen on chat spans, by event name
	Misplaced     []string          // log records on no span, and GenAI content on another span
	Summary       string            // tokens, cost, models
}

// parityView waits until the app's trace is complete in cairn and reduces it to a parityTrace.
func parityView(t *testing.T, srv *cairnProc, at appTrace) parityTrace {
	t.Helper()
	spans := 6 // session, recommend_hike, its model call and chat span, generate_completion and its chat span
	if !at.OK {
		spans = 4 // the 429 ends the trace after the first chat call
	}
	tr := gnWaitTrace(t, srv, at.TraceID, spans, func(tr gnTrace) bool {
		for _, s := range tr.Spans {
			if s.Name == "chat gpt-4o" && (s.Generation == nil || len(s.Generation.InputMessages) < 2 ||
				s.Status.Code != "error" && len(s.Generation.OutputMessages) == 0) {
				return false // the content log records have not all arrived yet
			}
			if s.Status.Code == "error" && s.Name == "recommend_model_call" && len(parityExceptions(s)) == 0 {
				return false
			}
		}
		return true
	})
	v := parityTrace{Root: tr.Summary.RootName, Service: tr.Summary.RootService, ErrorCount: tr.Summary.ErrorCount,
		Exceptions: map[string]string{}, Content: map[string]bool{}}
	root := tr.byName("trail_guide_session")
	v.SessionOK = tr.Summary.SessionID == at.SessionID && root != nil && root.SessionID == at.SessionID
	type parityGen struct{ parent, errType, text string }
	var gens []parityGen
	for _, s := range tr.Spans {
		parent := ""
		if p := tr.byID(s.ParentSpanID); p != nil {
			parent = p.Name
		} else if s.ParentSpanID != "" {
			parent = "?" + s.ParentSpanID
		}
		v.Spans = append(v.Spans, fmt.Sprintf("%s %s %s <- %s", s.Name, s.Kind, s.Status.Code, parent))
		if ex := parityExceptions(s); len(ex) > 0 {
			v.Exceptions[s.Name] = strings.Join(ex, "; ")
		}
		if s.Service != tr.Summary.RootService {
			v.Spans = append(v.Spans, s.Name+" in service "+s.Service)
		}
		if s.Name != "chat gpt-4o" {
			for _, l := range s.Logs {
				if strings.HasPrefix(l.EventName, "gen_ai.") {
					v.Misplaced = append(v.Misplaced, l.EventName+" on "+s.Name)
				}
			}
			if s.Generation != nil {
				v.Generations = append(v.Generations, s.Name+" has a generation")
			}
			continue
		}
		for _, l := range s.Logs {
			if strings.HasPrefix(l.EventName, "gen_ai.") {
				v.Content[l.EventName] = true
			}
		}
		g := s.Generation
		if g == nil {
			gens = append(gens, parityGen{parent: parent + ": none"})
			continue
		}
		c := gnContentOf(g)
		gens = append(gens, parityGen{parent + ": ", g.ErrorType, fmt.Sprintf(
			"%s %s request %s response %s tokens %d/%d/%d cost %v finish %v recorded %v truncated %v\n system %q\n user %q\n answer %q",
			g.Operation, g.Provider, g.RequestModel, g.ResponseModel, gnVal(g.Usage.InputTokens), gnVal(g.Usage.OutputTokens),
			gnVal(g.Usage.TotalTokens), gnFloat(g.CostUSD), g.FinishReasons, g.ContentRecorded, g.ContentTruncated,
			c.System, c.User, c.Answer)})
	}
	// Breeze times have millisecond precision: spans that started in the same millisecond come
	// in any order.
	sort.Slice(gens, func(i, j int) bool { return gens[i].parent < gens[j].parent })
	for _, g := range gens {
		v.Generations = append(v.Generations, g.parent+g.text)
		v.ErrorTypes = append(v.ErrorTypes, g.errType)
	}
	for _, l := range tr.OrphanLogs {
		v.Misplaced = append(v.Misplaced, fmt.Sprintf("orphan %s for span %s", l.EventName, l.SpanID))
	}
	sort.Strings(v.Spans)
	v.Summary = fmt.Sprintf("spans %d generations %d tokens %d/%d cost %v models %v", tr.Summary.SpanCount,
		tr.Summary.GenerationCount, tr.Summary.InputTokens, tr.Summary.OutputTokens, gnFloat(tr.Summary.CostUSD), tr.Summary.Models)
	return v
}

// parityExceptions returns "type: message" of the span's exceptions, as OTLP span events or
// as the log records Cairn makes of Breeze Exception envelopes.
func parityExceptions(s *gnSpan) []string {
	var out []string
	for _, e := range s.Events {
		if e.Name == "exception" {
			out = append(out, fmt.Sprintf("%v: %v", e.Attributes["exception.type"], e.Attributes["exception.message"]))
		}
	}
	for _, l := range s.Logs {
		if l.EventName == "exception" {
			out = append(out, fmt.Sprintf("%v: %v", l.Attributes["exception.type"], l.Attributes["exception.message"]))
		}
	}
	return out
}

// checkParityExpectations checks the OTLP view itself, against what the app did.
func checkParityExpectations(t *testing.T, views []parityTrace) {
	t.Helper()
	for i, v := range views {
		ok := i < 2
		if v.Root != "trail_guide_session" || v.Service != "trail-guide-azure" || !v.SessionOK || (v.ErrorCount > 0) == ok || len(v.Misplaced) > 0 {
			t.Errorf("trace %d: %+v", i, v)
		}
		for _, ev := range []string{"gen_ai.system.message", "gen_ai.user.message"} {
			if !v.Content[ev] {
				t.Errorf("trace %d: no %s log record on a chat span: %v", i, ev, v.Content)
			}
		}
		for _, g := range v.Generations {
			if !strings.Contains(g, ": chat openai request gpt-4o ") || !strings.Contains(g, "recorded true") ||
				!strings.Contains(g, `system "You are`) || strings.Contains(g, `user ""`) {
				t.Errorf("trace %d generation: %s", i, g)
			}
			if ok && (!strings.Contains(g, "response gpt-4o-2024-08-06") || !strings.Contains(g, "finish [stop]") ||
				strings.Contains(g, `answer ""`) || strings.Contains(g, "cost <nil>")) {
				t.Errorf("trace %d generation: %s", i, g)
			}
		}
		if !ok {
			if len(v.ErrorTypes) != 1 || v.ErrorTypes[0] != "RateLimitError" {
				t.Errorf("trace %d: generation error types %v; want the OpenAI client's RateLimitError", i, v.ErrorTypes)
			}
			if !strings.Contains(v.Exceptions["recommend_model_call"], "429") {
				t.Errorf("trace %d: exceptions %v; want the 429 on recommend_model_call", i, v.Exceptions)
			}
		} else if !v.Content["gen_ai.choice"] {
			t.Errorf("trace %d: no gen_ai.choice log record on a chat span: %v", i, v.Content)
		}
	}
}

func diffParity(want, got parityTrace) string {
	var b strings.Builder
	line := func(what string, w, g any) {
		if ws, gs := fmt.Sprintf("%v", w), fmt.Sprintf("%v", g); ws != gs {
			fmt.Fprintf(&b, "%s:\n  otlp: %s\n  got:  %s\n", what, ws, gs)
		}
	}
	line("root", want.Root, got.Root)
	line("service", want.Service, got.Service)
	line("session", want.SessionOK, got.SessionOK)
	line("errors", want.ErrorCount, got.ErrorCount)
	line("spans", strings.Join(want.Spans, "\n        "), strings.Join(got.Spans, "\n        "))
	line("generations", strings.Join(want.Generations, "\n        "), strings.Join(got.Generations, "\n        "))
	// The Azure exporter drops error.type (it is in its list of HTTP attributes), and the OpenAI
	// instrumentation records no exception on the chat span: Cairn can only say "_OTHER", the
	// GenAI convention's value for an error of unknown type.
	errTypes := slices.Clone(got.ErrorTypes)
	for i := range errTypes {
		if i < len(want.ErrorTypes) && errTypes[i] == "_OTHER" && want.ErrorTypes[i] != "" {
			errTypes[i] = want.ErrorTypes[i]
		}
	}
	line("generation error types", want.ErrorTypes, errTypes)
	line("exceptions", want.Exceptions, got.Exceptions)
	line("content log records", want.Content, got.Content)
	line("misplaced log records", want.Misplaced, got.Misplaced)
	line("summary", want.Summary, got.Summary)
	return b.String()
}

// checkParitySessions checks each trace's session as GET /sessions/{id} shows it.
func checkParitySessions(t *testing.T, srv *cairnProc, traces []appTrace) {
	t.Helper()
	for i, at := range traces {
		var sess struct {
			Session struct {
				TraceCount      int   `json:"traceCount"`
				ErrorCount      int   `json:"errorCount"`
				GenerationCount int   `json:"generationCount"`
				Success         *bool `json:"success"`
			} `json:"session"`
			Traces []struct {
				TraceID string `json:"traceId"`
			} `json:"traces"`
		}
		if code := getJSON(t, srv.API("/sessions/"+url.PathEscape(at.SessionID)), &sess); code != http.StatusOK {
			t.Errorf("GET /sessions/%s: status %d", at.SessionID, code)
			continue
		}
		s := sess.Session
		gens := 2
		if !at.OK {
			gens = 1
		}
		if s.TraceCount != 1 || len(sess.Traces) != 1 || sess.Traces[0].TraceID != at.TraceID || s.GenerationCount != gens ||
			(s.ErrorCount > 0) == at.OK || s.Success == nil || *s.Success != at.OK {
			t.Errorf("session of trace %d: %s; want just trace %s, %d generations, success %v", i, gnJSON(sess), at.TraceID, gens, at.OK)
		}
	}
}
