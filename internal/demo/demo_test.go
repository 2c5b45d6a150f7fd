package demo_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/cairn-dev/cairn/internal/demo"
)

// receiver is a minimal OTLP/HTTP traces endpoint counting spans per
// service and name.
type receiver struct {
	mu       sync.Mutex
	spans    map[string]int // "service/name"
	sessions map[string]bool
	errors   int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path != "/v1/traces" {
		w.WriteHeader(http.StatusOK)
		return
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rss := req.Traces().ResourceSpans()
	for i := range rss.Len() {
		svc, _ := rss.At(i).Resource().Attributes().Get("service.name")
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				rc.spans[svc.Str()+"/"+s.Name()]++
				if sid, ok := s.Attributes().Get("session.id"); ok {
					rc.sessions[sid.Str()] = true
				}
				if s.Status().Code() == 2 {
					rc.errors++
				}
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	resp, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Write(resp)
}

func TestRunSendsTracesAndPrintsLinks(t *testing.T) {
	rc := &receiver{spans: map[string]int{}, sessions: map[string]bool{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	var out bytes.Buffer
	err := demo.Run(context.Background(), demo.Config{Endpoint: srv.URL, UIBase: "http://ui.test",
		Latency: time.Millisecond, ErrorRate: 0.3, Seed: 7}, &out)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	text := out.String()
	links := strings.Count(text, "http://ui.test/traces/")
	if links < 8 {
		t.Errorf("%d trace links, want one per interaction:\n%s", links, text)
	}
	if !strings.Contains(text, "failed") || !strings.Contains(text, "sessions") {
		t.Errorf("no failures or summary in output:\n%s", text)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, key := range []string{"trail-guide/trail_guide_session", "trail-guide/recommend_hike",
		"trail-guide/recommend_model_call", "trail-guide/chat gpt-4o", "travel-guide/generate_completion", "travel-guide/chat gpt-4o"} {
		if rc.spans[key] == 0 {
			t.Errorf("no %s span received; got %v", key, rc.spans)
		}
	}
	if len(rc.sessions) != 8 || rc.errors == 0 {
		t.Errorf("%d sessions, %d error spans; want 8 sessions and some errors", len(rc.sessions), rc.errors)
	}
}

func TestRunFailsFastWithoutReceiver(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := demo.Run(context.Background(), demo.Config{Endpoint: url}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "cairn serve") {
		t.Errorf("err = %v, want advice to start cairn serve", err)
	}
}
