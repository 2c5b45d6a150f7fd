package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/tlsutil"
)

// TestBreezeNodeExporter runs the seeds' Trail Guide app with the real Azure Monitor JS exporter
// (test/interop/azure-node) against a cairn binary over TLS, and reads the traces back through
// the API: the span tree, the session, the chat span's gen_ai attributes, the content events
// and the recorded exception.
func TestBreezeNodeExporter(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed; the Azure Monitor JS exporter needs it")
	}
	appDir := filepath.Join(repoRoot(t), "test", "interop", "azure-node")
	npmInstall(t, appDir, "@azure/monitor-opentelemetry-exporter")

	dataDir := t.TempDir()
	// The same call cairn makes at start: it creates the CA that cairn then reuses.
	_, _, caFile, err := tlsutil.EnsureLocalCA(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv := startServer(t, dataDir, "--tls-addr", freeAddr(t))

	run := runTrailGuide(ctx, t, appDir, srv.TLS, caFile)
	api := srv.API("")
	for _, tr := range run.Traces {
		checkTrace(t, api, tr)
	}
}

type appTrace struct {
	TraceID, SessionID string
	OK                 bool
}

func checkTrace(t *testing.T, api string, want appTrace) {
	t.Helper()
	var detail struct {
		Summary struct {
			RootName   string `json:"rootName"`
			SessionID  string `json:"sessionId"`
			ErrorCount int    `json:"errorCount"`
		} `json:"summary"`
		Spans []apiSpan `json:"spans"`
	}
	waitFor(t, func() bool {
		return getJSON(t, api+"/traces/"+want.TraceID, &detail) == http.StatusOK && len(detail.Spans) >= 4
	}, "trace "+want.TraceID)
	if detail.Summary.RootName != "trail_guide_session" || detail.Summary.SessionID != want.SessionID {
		t.Errorf("trace %s summary: root %q session %q; want trail_guide_session, %s", want.TraceID, detail.Summary.RootName, detail.Summary.SessionID, want.SessionID)
	}
	var list struct {
		Traces []struct {
			TraceID string `json:"traceId"`
		} `json:"traces"`
	}
	if code := getJSON(t, api+"/traces?session="+want.SessionID, &list); code != http.StatusOK || len(list.Traces) != 1 || list.Traces[0].TraceID != want.TraceID {
		t.Errorf("GET /traces?session=%s: status %d, %+v; want just trace %s", want.SessionID, code, list.Traces, want.TraceID)
	}
	if (detail.Summary.ErrorCount > 0) == want.OK {
		t.Errorf("trace %s: errorCount %d, app said ok=%v", want.TraceID, detail.Summary.ErrorCount, want.OK)
	}
	byName := map[string]apiSpan{}
	for _, s := range detail.Spans {
		if _, dup := byName[s.Name]; !dup || s.Name == "chat gpt-4o" && s.ParentSpanID == byName["recommend_model_call"].SpanID {
			byName[s.Name] = s
		}
	}
	chain := []struct{ name, kind, parent string }{
		{"trail_guide_session", "internal", ""},
		{"recommend_hike", "internal", "trail_guide_session"},
		{"recommend_model_call", "internal", "recommend_hike"},
		{"chat gpt-4o", "client", "recommend_model_call"},
	}
	for _, c := range chain {
		s, ok := byName[c.name]
		if !ok {
			t.Errorf("trace %s has no span %q", want.TraceID, c.name)
			continue
		}
		if s.Kind != c.kind || s.ParentSpanID != byName[c.parent].SpanID || s.Service != "trail-guide-azure" {
			t.Errorf("trace %s span %s: kind %s parent %q service %q; want %s under %s in trail-guide-azure", want.TraceID, c.name, s.Kind, s.ParentSpanID, s.Service, c.kind, c.parent)
		}
	}
	if s := byName["trail_guide_session"]; s.SessionID != want.SessionID {
		t.Errorf("root span sessionId %q, want %s", s.SessionID, want.SessionID)
	}
	chat := byName["chat gpt-4o"]
	for k, v := range map[string]string{"gen_ai.request.model": "gpt-4o", "gen_ai.operation.name": "chat"} {
		if got := fmt.Sprint(chat.Attributes[k]); got != v {
			t.Errorf("chat span %s = %q, want %q", k, got, v)
		}
	}
	if !hasEvent(chat.Logs, "gen_ai.user.message") {
		t.Errorf("chat span of trace %s has no gen_ai.user.message log: %+v", want.TraceID, chat.Logs)
	}
	if want.OK {
		if got := fmt.Sprint(chat.Attributes["gen_ai.response.model"]); got != "gpt-4o-2024-08-06" {
			t.Errorf("chat span gen_ai.response.model = %q", got)
		}
		return
	}
	call := byName["recommend_model_call"]
	if call.Status.Code != "error" || !hasEvent(call.Logs, "exception") {
		t.Errorf("failed trace %s: recommend_model_call status %q logs %+v; want error with an exception", want.TraceID, call.Status.Code, call.Logs)
	}
	for _, l := range call.Logs {
		if l.EventName == "exception" && !strings.Contains(fmt.Sprint(l.Attributes["exception.message"]), "429") {
			t.Errorf("exception message %v, want the 429", l.Attributes["exception.message"])
		}
	}
}

type apiSpan struct {
	SpanID       string         `json:"spanId"`
	ParentSpanID string         `json:"parentSpanId"`
	Name         string         `json:"name"`
	Kind         string         `json:"kind"`
	Service      string         `json:"service"`
	SessionID    string         `json:"sessionId"`
	Attributes   map[string]any `json:"attributes"`
	Status       struct {
		Code string `json:"code"`
	} `json:"status"`
	Logs []apiLog `json:"logs"`
}

type apiLog struct {
	EventName  string         `json:"eventName"`
	Attributes map[string]any `json:"attributes"`
}

func hasEvent(logs []apiLog, name string) bool {
	for _, l := range logs {
		if l.EventName == name {
			return true
		}
	}
	return false
}

// runTrailGuide runs the node app against cairn's TLS listener and returns what it traced.
func runTrailGuide(ctx context.Context, t *testing.T, appDir, tlsAddr, caFile string) struct{ Traces []appTrace } {
	t.Helper()
	cmd := exec.CommandContext(ctx, "node", "trailguide.mjs")
	cmd.Dir = appDir
	cmd.Env = append(os.Environ(),
		"APPLICATIONINSIGHTS_CONNECTION_STRING="+tlsutil.ConnectionString(tlsAddr),
		"NODE_EXTRA_CA_CERTS="+caFile,
		"APPLICATIONINSIGHTS_STATSBEAT_DISABLED=true")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node trailguide.mjs: %v\nstdout: %s\nstderr: %s", err, out, stderr.String())
	}
	var run struct{ Traces []appTrace }
	if err := json.Unmarshal(out, &run); err != nil || len(run.Traces) != 3 {
		t.Fatalf("trailguide.mjs printed %q (%v); want three traces", out, err)
	}
	return run
}
