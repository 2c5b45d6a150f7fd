package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// TestAPIGzip: API answers are gzipped for clients that accept it (and decompress to the plain
// answer), small ones and clients that do not are answered plain, every answer says Vary:
// Accept-Encoding, and /metrics (which compresses itself) is not compressed twice.
func TestAPIGzip(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := New(ctx, Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", GRPCAddr: "off"}, nil)
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

	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i := range 300 {
		sp := spans.AppendEmpty()
		sp.SetTraceID([16]byte{9, 9, 9})
		sp.SetSpanID([8]byte{1, byte(i >> 8), byte(i)})
		sp.SetName(fmt.Sprintf("step %d", i))
		sp.Attributes().PutInt("step.index", int64(i))
	}
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
		t.Fatalf("ingest: %d", resp.StatusCode)
	}

	// A client that shows the encoding as sent (Go's transport would undo it silently).
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(path, acceptEncoding string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	gunzip := func(b []byte) []byte {
		t.Helper()
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not gzip: %v", err)
		}
		out, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, path := range []string{"/api/v1/traces/09090900000000000000000000000000", "/api/v1/traces/09090900000000000000000000000000?view=compact"} {
		plainResp, plain := get(path, "")
		zResp, z := get(path, "gzip, deflate, br, zstd")
		if plainResp.StatusCode != 200 || zResp.StatusCode != 200 {
			t.Fatalf("GET %s: %d and %d", path, plainResp.StatusCode, zResp.StatusCode)
		}
		if plainResp.Header.Get("Content-Encoding") != "" || zResp.Header.Get("Content-Encoding") != "gzip" ||
			zResp.Header.Get("Content-Length") != "" || zResp.Header.Get("Vary") != "Accept-Encoding" || plainResp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("GET %s: encodings %q / %q, gzip Content-Length %q, Vary %q / %q", path, plainResp.Header.Get("Content-Encoding"),
				zResp.Header.Get("Content-Encoding"), zResp.Header.Get("Content-Length"), plainResp.Header.Get("Vary"), zResp.Header.Get("Vary"))
		}
		if !bytes.Equal(gunzip(z), plain) || len(z) > len(plain)/5 {
			t.Errorf("GET %s: %d bytes gzipped for %d plain; want the same answer, at most a fifth", path, len(z), len(plain))
		}
		t.Logf("GET %s: %d bytes, %d gzipped", path, len(plain), len(z))
	}
	resp, small := get("/api/v1/services", "gzip")
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Length") != fmt.Sprint(len(small)) || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("small answer: encoding %q, Content-Length %q for %d bytes, Vary %q", resp.Header.Get("Content-Encoding"),
			resp.Header.Get("Content-Length"), len(small), resp.Header.Get("Vary"))
	}
	resp, m := get("/metrics", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !bytes.HasPrefix(gunzip(m), []byte("# HELP")) {
		t.Errorf("/metrics: encoding %q; want gzip once, decompressing to the text format", resp.Header.Get("Content-Encoding"))
	}
}
