package e2e

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// crashSpans is the number of spans of each trace the stream client sends, one trace per request.
const crashSpans = 10

// streamClient sends one trace of crashSpans spans per request from concurrent goroutines, half
// over OTLP/HTTP and half over OTLP/gRPC, and records the span ids of every acknowledged request.
type streamClient struct {
	mu     sync.Mutex
	acked  map[string][]string // trace id → span ids
	failed int
	stop   chan struct{}
	wg     sync.WaitGroup
}

func startStream(t *testing.T, p *cairnProc, workers int) *streamClient {
	t.Helper()
	c := &streamClient{acked: map[string][]string{}, stop: make(chan struct{})}
	grpcClient := coltracepb.NewTraceServiceClient(dialGRPC(t, p))
	httpClient := &http.Client{Timeout: 20 * time.Second}
	url := p.BaseURL() + "/v1/traces"
	for w := range workers {
		c.wg.Go(func() {
			for seq := 0; ; seq++ {
				select {
				case <-c.stop:
					return
				default:
				}
				req, tid, ids := crashTrace(fmt.Sprintf("w%d-%d", w, seq))
				var err error
				if w%2 == 0 {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					_, err = grpcClient.Export(ctx, req)
					cancel()
				} else {
					body, _ := proto.Marshal(req)
					var resp *http.Response
					resp, err = httpClient.Post(url, "application/x-protobuf", bytes.NewReader(body))
					if err == nil {
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("HTTP %d", resp.StatusCode)
						}
					}
				}
				c.mu.Lock()
				if err == nil {
					c.acked[tid] = ids
				} else {
					c.failed++
				}
				c.mu.Unlock()
				if err != nil {
					// The server is gone or refusing: retry politely, as an exporter would.
					select {
					case <-c.stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}
		})
	}
	return c
}

// crashTrace is a request with one trace: a root and crashSpans-1 children, 50 ms long. The
// root is a model call whose prompt holds the word crashWord(trace id), for full-text search.
func crashTrace(name string) (*coltracepb.ExportTraceServiceRequest, string, []string) {
	tid, root := newTraceID(), newSpanID()
	start := time.Now().Truncate(time.Millisecond)
	spans := []*tracepb.Span{pbSpan(tid, root, nil, "root", start, 50*time.Millisecond)}
	spans[0].Attributes = append(spans[0].Attributes, pbStr("request", name), pbStr("gen_ai.operation.name", "chat"),
		pbStr("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"find `+crashWord(hexID(tid))+`"}]}]`))
	ids := []string{hexID(root)}
	for i := range crashSpans - 1 {
		sid := newSpanID()
		spans = append(spans, pbSpan(tid, sid, root, fmt.Sprint("step ", i), start.Add(time.Duration(i+1)*time.Millisecond), time.Millisecond))
		ids = append(ids, hexID(sid))
	}
	return pbTraces("crash", spans...), hexID(tid), ids
}

// crashWord is the word only the prompt of trace tid has.
func crashWord(tid string) string { return "w" + tid }

// ackedCount is the number of acknowledged requests so far.
func (c *streamClient) ackedCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acked)
}

// halt stops the senders and returns what was acknowledged.
func (c *streamClient) halt() map[string][]string {
	close(c.stop)
	c.wg.Wait()
	return c.acked
}

// checkAcked checks that every acknowledged span is stored, that every stored trace is whole
// (one request, one transaction) with a right summary, and that the store's counters agree
// with the traces the API lists.
func checkAcked(t *testing.T, p *cairnProc, acked map[string][]string) {
	t.Helper()
	for tid, ids := range acked {
		g, code := getTrace(t, p, tid)
		if code != http.StatusOK {
			t.Errorf("acknowledged trace %s: status %d", tid, code)
			continue
		}
		var got []string
		for _, s := range g.Spans {
			got = append(got, s.SpanID)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(ids))
		if !slices.Equal(got, want) {
			t.Errorf("acknowledged trace %s: spans %v, want %v", tid, got, want)
		}
		if s := g.Summary; s.SpanCount != crashSpans || !s.HasRoot || s.RootName != "root" || s.DurationMs != 50 || s.RootService != "crash" {
			t.Errorf("acknowledged trace %s: summary %+v; want root, %d spans, 50 ms", tid, s, crashSpans)
		}
	}
	stored, spans := 0, 0
	for _, page := range searchAll(t, p, "service=crash&limit=1000") {
		for _, s := range page {
			stored++
			spans += s.SpanCount
			if s.SpanCount != crashSpans || !s.HasRoot || s.DurationMs != 50 {
				t.Errorf("stored trace %s: summary %+v; want whole: root, %d spans, 50 ms", s.TraceID, s, crashSpans)
			}
		}
	}
	m := promMetrics(t, p, "")
	if int(m["cairn_store_spans"]) != spans || int(m["cairn_store_traces"]) != stored {
		t.Errorf("cairn_store_spans %v, cairn_store_traces %v; the API lists %d traces of %d spans", m["cairn_store_spans"], m["cairn_store_traces"], stored, spans)
	}
	if stored < len(acked) {
		t.Errorf("%d traces stored, %d acknowledged", stored, len(acked))
	}
	// Full-text search finds acknowledged prompts too: the index (text.db) is written after the
	// acknowledgement, and what a crash kept from it is indexed again at the restart.
	tids := slices.Sorted(maps.Keys(acked))
	for _, tid := range tids[:min(len(tids), 60)] {
		found := func() bool {
			pages := searchAll(t, p, "q="+crashWord(tid))
			return len(pages) == 1 && len(pages[0]) == 1 && pages[0][0].TraceID == tid
		}
		waitFor(t, found, "full-text search for the prompt of acknowledged trace "+tid)
	}
	t.Logf("%d requests acknowledged, %d traces stored", len(acked), stored)
}

// TestCrashKill9 kills the server with SIGKILL while clients stream to it, restarts it on the
// same data directory, and finds every acknowledged span there and the store consistent.
func TestCrashKill9(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	acked := map[string][]string{}
	for round := range 2 { // the second crash hits a store recovered from the first
		c := startStream(t, p, 8)
		waitFor(t, func() bool { return c.ackedCount() >= 150 }, fmt.Sprintf("round %d: 150 acknowledged requests", round))
		p.Kill(t)
		for tid, ids := range c.halt() {
			acked[tid] = ids
		}
		p.Restart(t)
	}
	checkAcked(t, p, acked)
	// And it goes on working.
	id := sendOne(t, p, "after-crash", "alive")
	if g, code := getTrace(t, p, id); code != http.StatusOK || g.Summary.SpanCount != 1 {
		t.Errorf("after the restart: %d %+v", code, g.Summary)
	}
}

// TestCleanStop interrupts the server while clients stream to it: it drains the write queue
// and exits 0 within a few seconds, and after a restart every acknowledged span is there.
func TestCleanStop(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	c := startStream(t, p, 8)
	waitFor(t, func() bool { return c.ackedCount() >= 100 }, "100 acknowledged requests")
	code, took := p.Interrupt(t, 10*time.Second)
	acked := c.halt()
	if code != 0 {
		t.Errorf("exit code %d after SIGINT, want 0:\n%s", code, p.Output())
	}
	t.Logf("stopped in %v", took.Round(time.Millisecond))
	p.Restart(t)
	checkAcked(t, p, acked)
}
