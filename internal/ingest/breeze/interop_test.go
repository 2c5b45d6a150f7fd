package breeze_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/ingest/breeze"
	"github.com/cairn-dev/cairn/internal/telemetry"
	"github.com/cairn-dev/cairn/internal/tlsutil"
)

// TestNodeExporterInterop runs the real Azure Monitor JS exporter (test/interop/azure-node)
// against this receiver over TLS. It needs node and `npm ci --prefix test/interop/azure-node`,
// so it runs only with CAIRN_INTEROP_NODE=1; test/e2e covers the same through the whole server.
func TestNodeExporterInterop(t *testing.T) {
	if os.Getenv("CAIRN_INTEROP_NODE") == "" {
		t.Skip("set CAIRN_INTEROP_NODE=1 (needs node and npm ci --prefix test/interop/azure-node)")
	}
	appDir, _ := filepath.Abs("../../../test/interop/azure-node")
	certFile, keyFile, caFile, err := tlsutil.EnsureLocalCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := tlsutil.LoadServerConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var spans []*telemetry.Span
	var logs []*telemetry.LogRecord
	mux := http.NewServeMux()
	breeze.NewHandler(consumer.Func(func(_ context.Context, b *telemetry.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		spans = append(spans, b.Spans...)
		logs = append(logs, b.Logs...)
		return nil
	}), breeze.Options{}, nil).Register(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: breeze.CollapseSlashes(mux), TLSConfig: cfg}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "trailguide.mjs")
	cmd.Dir = appDir
	cmd.Env = append(os.Environ(),
		"APPLICATIONINSIGHTS_CONNECTION_STRING="+tlsutil.ConnectionString(ln.Addr().String()),
		"NODE_EXTRA_CA_CERTS="+caFile)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("trailguide.mjs: %v\n%s", err, out)
	}
	var run struct {
		Traces []struct {
			TraceID, SessionID string
			OK                 bool
		}
	}
	if err := json.Unmarshal(out, &run); err != nil || len(run.Traces) != 3 {
		t.Fatalf("trailguide.mjs printed %q: %v", out, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(spans) != 16 || len(logs) != 15 {
		t.Errorf("got %d spans and %d logs, want 16 and 15", len(spans), len(logs))
	}
	byID := map[telemetry.SpanID]*telemetry.Span{}
	for _, s := range spans {
		byID[s.SpanID] = s
	}
	// path returns the names from the span up to its root.
	path := func(s *telemetry.Span) []string {
		var names []string
		for ; s != nil; s = byID[s.ParentSpanID] {
			names = append(names, s.Name)
			if s.ParentSpanID.IsZero() {
				break
			}
		}
		return names
	}
	for _, tr := range run.Traces {
		var chats, roots int
		for _, s := range spans {
			if s.TraceID.String() != tr.TraceID {
				continue
			}
			switch s.Name {
			case "trail_guide_session":
				roots++
				if s.Attributes.String("session.id") != tr.SessionID || !s.ParentSpanID.IsZero() || s.Kind != telemetry.SpanKindInternal {
					t.Errorf("trace %s root: session %q parent %s kind %s; want session %s, root, internal", tr.TraceID, s.Attributes.String("session.id"), s.ParentSpanID, s.Kind, tr.SessionID)
				}
				if (s.Status.Code == telemetry.StatusError) == tr.OK {
					t.Errorf("trace %s root status %s, app said ok=%v", tr.TraceID, s.Status.Code, tr.OK)
				}
			case "chat gpt-4o":
				chats++
				if s.Kind != telemetry.SpanKindClient || s.Attributes.String("gen_ai.request.model") != "gpt-4o" || s.Service() != "trail-guide-azure" {
					t.Errorf("chat span: kind %s attributes %v service %s", s.Kind, s.Attributes, s.Service())
				}
				if p := path(s); len(p) < 3 || p[len(p)-1] != "trail_guide_session" {
					t.Errorf("chat span path %v does not reach trail_guide_session", p)
				}
			}
		}
		if roots != 1 || chats == 0 {
			t.Errorf("trace %s: %d roots and %d chat spans", tr.TraceID, roots, chats)
		}
	}
	var exceptions int
	for _, l := range logs {
		if l.EventName == "exception" {
			exceptions++
			if s := byID[l.SpanID]; s == nil || s.Name != "recommend_model_call" || l.Attributes.String("exception.message") == "" {
				t.Errorf("exception log not on recommend_model_call: %+v", l)
			}
		}
	}
	if exceptions != 1 {
		t.Errorf("got %d exception logs, want 1", exceptions)
	}
}
