package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
)

// heapPeak samples the heap's object bytes (live and not yet collected) until stop is called,
// and returns the largest value seen.
func heapPeak() (stop func() uint64) {
	done := make(chan struct{})
	peak := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var hi uint64
		for {
			metrics.Read(s)
			hi = max(hi, s[0].Value.Uint64())
			select {
			case <-done:
				peak <- hi
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); return <-peak }
}

// gzipBomb is mib MiB of zeros as a multi-member gzip stream (~1 KiB per MiB), whose trailer
// states only its last member's size.
func gzipBomb(t *testing.T, mib int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if _, err := zw.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return bytes.Repeat(member.Bytes(), mib)
}

// rawBytes is a gRPC message passed through as it is.
type rawBytes struct{ data []byte }

type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }
func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(*rawBytes).data)}, nil
}
func (rawCodec) Unmarshal(d mem.BufferSlice, v any) error {
	v.(*rawBytes).data = d.Materialize()
	return nil
}

// TestGzipBombsWithinBudget runs a server in process with a 64 MiB budget for request bodies
// and fires 48 gzip bombs at once over OTLP/HTTP, Application Insights and OTLP/gRPC. Every
// bomb is answered 413 or 429 with Retry-After (gRPC RESOURCE_EXHAUSTED), the heap stays near
// the budget (without it, each bomb in flight holds up to 3 × 20 MiB of buffers), and a normal
// request is stored afterwards. Not parallel: the heap measured is the whole test binary's.
func TestGzipBombsWithinBudget(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(ctx, Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", MaxBodyMemory: 64 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, io.Discard) }()
	defer func() {
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	base := "http://" + s.HTTPAddr()
	waitReady(t, base)
	cc, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()

	bomb := gzipBomb(t, 1024)
	grpcBomb := &rawBytes{make([]byte, 24<<20)}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[string]int{}
	)
	count := func(k string) {
		mu.Lock()
		answers[k]++
		mu.Unlock()
	}
	post := func(path, contentType string) {
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(bomb))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			count("no answer")
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			count("429 without Retry-After")
			return
		}
		count(fmt.Sprint(resp.StatusCode))
	}
	runtime.GC()
	stop := heapPeak()
	for range 16 {
		wg.Go(func() { post("/v1/traces", "application/x-protobuf") })
		wg.Go(func() { post("/v2.1/track", "application/json") })
		wg.Go(func() {
			cctx, ccancel := context.WithTimeout(ctx, time.Minute)
			defer ccancel()
			err := cc.Invoke(cctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export", grpcBomb, new(rawBytes),
				grpc.ForceCodecV2(rawCodec{}), grpc.UseCompressor(grpcgzip.Name))
			count("gRPC " + status.Code(err).String())
		})
	}
	wg.Wait()
	peak := stop()
	t.Logf("answers %v; heap peak %d MiB", answers, peak>>20)
	if answers["413"]+answers["429"]+answers["gRPC "+codes.ResourceExhausted.String()] != 48 || answers["429"] == 0 {
		t.Errorf("answers %v; want all 48 bombs refused with 413, 429 + Retry-After or RESOURCE_EXHAUSTED, some 429", answers)
	}
	// 64 MiB in flight at most, plus what the garbage collector has not yet reclaimed and the
	// clients' own buffers (the 24 MiB gRPC message, shared).
	if peak > 320<<20 {
		t.Errorf("heap peaked at %d MiB with a 64 MiB budget for request bodies; want under 320 MiB", peak>>20)
	}

	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID([16]byte{1, 2, 3})
	sp.SetSpanID([8]byte{4, 5, 6})
	sp.SetName("after the bombs")
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a normal request after the bombs: %d; want 200", resp.StatusCode)
	}
}

// waitReady polls /readyz until Run serves.
func waitReady(t *testing.T, base string) {
	t.Helper()
	for range 250 {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the server did not become ready within 5s")
}
