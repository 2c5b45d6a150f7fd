package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/genai"
	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// TestGenAINodeOpenAI runs the seeds' Trail Guide app on the real OpenTelemetry JS SDK, its
// OTLP/HTTP protobuf exporters and @opentelemetry/instrumentation-openai with content capture
// switched on by OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (test/interop/openai-node),
// talking to Cairn's stand-in model, and reads back through the API: each chat span's
// generation with the prompts, the answer, models, tokens and cost (the content arrives as log
// records), the session of two turns, and full-text search on the answer.
func TestGenAINodeOpenAI(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed; the OpenTelemetry JS SDK needs it")
	}
	appDir := filepath.Join(repoRoot(t), "test", "interop", "openai-node")
	npmInstall(t, appDir, "@opentelemetry/instrumentation-openai")

	model, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = model.Close(context.Background()) })
	srv := startServer(t, "")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var run struct {
		SessionID string `json:"sessionId"`
		Turns     []struct {
			TraceID, System, User, Answer, Model string
		} `json:"turns"`
		ExportFailures int `json:"exportFailures"`
	}
	gnRunNode(ctx, t, appDir, "trailguide.mjs", &run,
		"OTEL_EXPORTER_OTLP_ENDPOINT="+srv.BaseURL(),
		"OPENAI_BASE_URL="+model.BaseURL,
		"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true")
	if len(run.Turns) != 2 || run.SessionID == "" {
		t.Fatalf("trailguide.mjs printed %+v; want a session of two turns", run)
	}

	norm, err := genai.New(genai.Options{})
	if err != nil {
		t.Fatal(err)
	}
	businessSpan := []string{"recommend_hike", "pack_for_hike"}
	modelCallSpan := []string{"recommend_model_call", "pack_model_call"}
	var inTokens, outTokens int64
	for i, turn := range run.Turns {
		tr := gnWaitTrace(t, srv, turn.TraceID, 4, func(tr gnTrace) bool {
			chat := tr.byName("chat gpt-4o")
			return chat != nil && chat.Generation != nil && len(chat.Generation.OutputMessages) > 0 && len(chat.Logs) >= 3
		})
		tr.checkChain(t, "trail-guide-node",
			[]string{"trail_guide_session", "internal"},
			[]string{businessSpan[i], "internal"},
			[]string{modelCallSpan[i], "internal"},
			[]string{"chat gpt-4o", "client"})
		if tr.Summary.SessionID != run.SessionID || tr.Summary.RootName != "trail_guide_session" || tr.Summary.GenerationCount != 1 {
			t.Errorf("turn %d summary %+v; want root trail_guide_session, session %s, one generation", i, tr.Summary, run.SessionID)
		}
		chat := tr.byName("chat gpt-4o")
		g := chat.Generation
		if g.Operation != "chat" || g.Provider != "openai" || g.RequestModel != "gpt-4o" || g.ResponseModel != turn.Model ||
			turn.Model != "gpt-4o-2024-08-06" || !strings.HasPrefix(g.ResponseID, "chatcmpl-") || g.Convention != "otel_genai_events" {
			t.Errorf("turn %d generation: %s", i, gnJSON(g))
		}
		// The stand-in's usage, as the instrumentation put it on the span.
		wantIn, wantOut := gnInt(chat.Attributes["gen_ai.usage.input_tokens"]), gnInt(chat.Attributes["gen_ai.usage.output_tokens"])
		if wantIn <= 0 || wantOut <= 0 || gnVal(g.Usage.InputTokens) != wantIn || gnVal(g.Usage.OutputTokens) != wantOut ||
			gnVal(g.Usage.TotalTokens) != wantIn+wantOut {
			t.Errorf("turn %d usage %s; span says %d in, %d out", i, gnJSON(g.Usage), wantIn, wantOut)
		}
		inTokens, outTokens = inTokens+wantIn, outTokens+wantOut
		price := norm.Prices().Cost(&telemetry.Generation{RequestModel: "gpt-4o", ResponseModel: turn.Model,
			Usage: telemetry.Usage{InputTokens: &wantIn, OutputTokens: &wantOut}})
		if price == nil || g.CostUSD == nil || math.Abs(*g.CostUSD-*price) > 1e-12 || *g.CostUSD <= 0 {
			t.Errorf("turn %d cost %v; want %v", i, gnFloat(g.CostUSD), gnFloat(price))
		}
		if len(g.FinishReasons) != 1 || g.FinishReasons[0] != "stop" {
			t.Errorf("turn %d finish reasons %v; want [stop]", i, g.FinishReasons)
		}
		c := gnContentOf(g)
		if !g.ContentRecorded || c.System != turn.System || c.User != turn.User || c.Answer != turn.Answer || g.ContentTruncated {
			t.Errorf("turn %d content %+v (recorded %v, truncated %v); want system %q user %q answer %q\n%s",
				i, c, g.ContentRecorded, g.ContentTruncated, turn.System, turn.User, turn.Answer, gnJSON(g))
		}
		// The content came as log records linked to the chat span, not as attributes.
		for _, ev := range []string{"gen_ai.system.message", "gen_ai.user.message", "gen_ai.choice"} {
			if !chat.hasLog(ev) {
				t.Errorf("turn %d: chat span has no %s log record: %s", i, ev, gnJSON(chat.Logs))
			}
		}
		for k := range chat.Attributes {
			if strings.HasPrefix(k, "gen_ai.input") || strings.HasPrefix(k, "gen_ai.output") || strings.HasPrefix(k, "gen_ai.prompt") {
				t.Errorf("turn %d: chat span carries content attribute %s; the instrumentation sends log records", i, k)
			}
		}
		if call := tr.byName(modelCallSpan[i]); fmt.Sprint(call.Attributes["prompt.user"]) != turn.User {
			t.Errorf("turn %d: %s prompt.user = %v", i, modelCallSpan[i], call.Attributes["prompt.user"])
		}
	}

	// The session lists both turns in time order, each with its first user message and last answer.
	var sess struct {
		Session struct {
			ID              string   `json:"id"`
			Service         string   `json:"service"`
			TraceCount      int      `json:"traceCount"`
			ErrorCount      int      `json:"errorCount"`
			GenerationCount int      `json:"generationCount"`
			InputTokens     int64    `json:"inputTokens"`
			OutputTokens    int64    `json:"outputTokens"`
			CostUSD         *float64 `json:"costUsd"`
			Success         *bool    `json:"success"`
		} `json:"session"`
		Traces []struct {
			TraceID          string `json:"traceId"`
			FirstUserMessage string `json:"firstUserMessage"`
			LastAnswer       string `json:"lastAnswer"`
		} `json:"traces"`
	}
	if code := getJSON(t, srv.API("/sessions/"+url.PathEscape(run.SessionID)), &sess); code != http.StatusOK {
		t.Fatalf("GET /sessions/%s: status %d", run.SessionID, code)
	}
	s := sess.Session
	if s.ID != run.SessionID || s.Service != "trail-guide-node" || s.TraceCount != 2 || s.ErrorCount != 0 || s.GenerationCount != 2 ||
		s.InputTokens != inTokens || s.OutputTokens != outTokens || s.CostUSD == nil || *s.CostUSD <= 0 || s.Success == nil || !*s.Success {
		t.Errorf("session %s: %s; want 2 traces, 2 generations, %d/%d tokens, a cost, success", run.SessionID, gnJSON(s), inTokens, outTokens)
	}
	if len(sess.Traces) != 2 {
		t.Fatalf("session %s lists %d traces; want 2", run.SessionID, len(sess.Traces))
	}
	for i, turn := range run.Turns {
		got := sess.Traces[i]
		if got.TraceID != turn.TraceID || got.FirstUserMessage != turn.User || got.LastAnswer != turn.Answer {
			t.Errorf("session trace %d: %s; want %s first user message %q last answer %q", i, gnJSON(got), turn.TraceID, turn.User, turn.Answer)
		}
	}
	var list struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	if getJSON(t, srv.API("/sessions"), &list); len(list.Sessions) != 1 || list.Sessions[0].ID != run.SessionID {
		t.Errorf("GET /sessions: %s; want just %s", gnJSON(list), run.SessionID)
	}

	// Full-text search finds each turn by a word only its answer has, once the indexer (which
	// runs beside ingest) has written it: within about a second.
	for i, turn := range run.Turns {
		word := gnOnlyWord(turn.Answer, run.Turns[1-i].Answer, run.Turns[0].User, run.Turns[1].User)
		if word == "" {
			t.Errorf("turn %d: no word of the answer %q is unique to it", i, turn.Answer)
			continue
		}
		var ids []string
		deadline := time.Now().Add(10 * time.Second)
		for {
			ids = gnSearch(t, srv, "q="+url.QueryEscape(word))
			if len(ids) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(ids) != 1 || ids[0] != turn.TraceID {
			t.Errorf("GET /traces?q=%s: %v; want just turn %d's trace %s", word, ids, i, turn.TraceID)
		}
	}
	if ids := gnSearch(t, srv, "session="+url.QueryEscape(run.SessionID)); len(ids) != 2 {
		t.Errorf("GET /traces?session=%s: %v; want both turns", run.SessionID, ids)
	}
	if ids := gnSearch(t, srv, "model=gpt-4o"); len(ids) != 2 {
		t.Errorf("GET /traces?model=gpt-4o: %v; want both turns", ids)
	}
}

// gnRunNode runs `node script` in dir with extra environment and decodes its one line of JSON
// output into v.
func gnRunNode(ctx context.Context, t *testing.T, dir, script string, v any, env ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\nstdout: %s\nstderr: %s", script, err, out, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("node %s printed %q: %v\nstderr: %s", script, out, err, stderr.String())
	}
}

// gnTrace is GET /api/v1/traces/{id}.
type gnTrace struct {
	Summary struct {
		TraceID         string   `json:"traceId"`
		RootName        string   `json:"rootName"`
		RootService     string   `json:"rootService"`
		SessionID       string   `json:"sessionId"`
		SpanCount       int      `json:"spanCount"`
		ErrorCount      int      `json:"errorCount"`
		GenerationCount int      `json:"generationCount"`
		InputTokens     int64    `json:"inputTokens"`
		OutputTokens    int64    `json:"outputTokens"`
		CostUSD         *float64 `json:"costUsd"`
		Models          []string `json:"models"`
	} `json:"summary"`
	Spans      []*gnSpan `json:"spans"`
	OrphanLogs []gnLog   `json:"orphanLogs"`
}

type gnSpan struct {
	SpanID       string         `json:"spanId"`
	ParentSpanID string         `json:"parentSpanId"`
	Name         string         `json:"name"`
	Kind         string         `json:"kind"`
	Service      string         `json:"service"`
	SessionID    string         `json:"sessionId"`
	Attributes   map[string]any `json:"attributes"`
	Status       struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Events []struct {
		Name       string         `json:"name"`
		Attributes map[string]any `json:"attributes"`
	} `json:"events"`
	Logs       []gnLog               `json:"logs"`
	Generation *telemetry.Generation `json:"generation"`
}

type gnLog struct {
	SpanID     string         `json:"spanId"`
	EventName  string         `json:"eventName"`
	Body       any            `json:"body"`
	Attributes map[string]any `json:"attributes"`
}

// byName returns the first span of that name (spans are in start order), or nil.
func (tr *gnTrace) byName(name string) *gnSpan {
	for _, s := range tr.Spans {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (tr *gnTrace) byID(id string) *gnSpan {
	for _, s := range tr.Spans {
		if s.SpanID == id {
			return s
		}
	}
	return nil
}

func (s *gnSpan) hasLog(eventName string) bool {
	for _, l := range s.Logs {
		if l.EventName == eventName {
			return true
		}
	}
	return false
}

// checkChain checks that the spans {name, kind} form a chain, each the child of the one before,
// the first a root, all of service.
func (tr *gnTrace) checkChain(t *testing.T, service string, chain ...[]string) {
	t.Helper()
	parent := ""
	for _, c := range chain {
		s := tr.byName(c[0])
		if s == nil {
			t.Errorf("trace %s has no span %q: %s", tr.Summary.TraceID, c[0], gnJSON(tr.Spans))
			return
		}
		if s.Kind != c[1] || s.ParentSpanID != parent || s.Service != service {
			t.Errorf("trace %s span %s: kind %s parent %q service %q; want %s under %q in %s",
				tr.Summary.TraceID, c[0], s.Kind, s.ParentSpanID, s.Service, c[1], parent, service)
		}
		parent = s.SpanID
	}
}

// gnWaitTrace waits until the trace has at least spans spans and ready says it is complete.
func gnWaitTrace(t *testing.T, srv *cairnProc, traceID string, spans int, ready func(gnTrace) bool) gnTrace {
	t.Helper()
	var tr gnTrace
	deadline := time.Now().Add(30 * time.Second)
	for {
		tr = gnTrace{}
		if getJSON(t, srv.API("/traces/"+traceID), &tr) == http.StatusOK && len(tr.Spans) >= spans && (ready == nil || ready(tr)) {
			return tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for trace %s to be complete; last seen: %s", traceID, gnJSON(tr))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gnSearch returns the trace ids GET /traces?query finds.
func gnSearch(t *testing.T, srv *cairnProc, query string) []string {
	t.Helper()
	var list struct {
		Traces []struct {
			TraceID string `json:"traceId"`
		} `json:"traces"`
	}
	if code := getJSON(t, srv.API("/traces?"+query), &list); code != http.StatusOK {
		t.Errorf("GET /traces?%s: status %d", query, code)
	}
	ids := []string{}
	for _, tr := range list.Traces {
		ids = append(ids, tr.TraceID)
	}
	return ids
}

// gnContent is the text of a generation: system prompt (system instructions or a system
// message), the user messages and the answer.
type gnContent struct{ System, User, Answer string }

func gnContentOf(g *telemetry.Generation) gnContent {
	var c gnContent
	for _, p := range g.SystemInstructions {
		c.System += p.Content
	}
	for _, m := range g.InputMessages {
		switch m.Role {
		case "system":
			c.System += m.Text()
		case "user":
			c.User += m.Text()
		}
	}
	for _, m := range g.OutputMessages {
		c.Answer += m.Text()
	}
	return c
}

// gnOnlyWord returns a word (letters only, 6 or more) of text that none of others contains.
func gnOnlyWord(text string, others ...string) string {
	all := strings.ToLower(strings.Join(others, " "))
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
		if len(w) >= 6 && !strings.Contains(all, strings.ToLower(w)) {
			return w
		}
	}
	return ""
}

func gnJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func gnVal(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

func gnFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// gnInt reads a JSON number attribute (a float64, or a string for int64 values).
func gnInt(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		var n int64
		if _, err := fmt.Sscan(x, &n); err == nil {
			return n
		}
	}
	return -1
}
