package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestIsLoopback(t *testing.T) {
	f := func(addr string, want bool) {
		t.Helper()
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
	f("127.0.0.1:4318", true)
	f("127.0.0.2:4318", true) // all of 127/8
	f("localhost:4318", true)
	f("[::1]:4318", true)
	f("[::ffff:127.0.0.1]:4318", true)
	f("127.0.0.1:0", true)
	f("0.0.0.0:4318", false)
	f(":4318", false) // every interface
	f("[::]:4318", false)
	f("192.168.1.10:4318", false)
	f("10.0.0.1:4318", false)
	f("example.com:4318", false) // a name other than localhost could be anything
	f("localhost.example.com:4318", false)
	f("127.0.0.1", false) // no port: not an address
	f("", false)
}

func TestValidate(t *testing.T) {
	f := func(c Config, wantErr string) {
		t.Helper()
		err := c.withDefaults().validate()
		switch {
		case wantErr == "" && err != nil:
			t.Errorf("validate(%+v) = %v, want nil", c, err)
		case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
			t.Errorf("validate(%+v) = %v, want an error containing %q", c, err, wantErr)
		}
	}
	// Defaults: loopback everywhere, no token needed.
	f(Config{}, "")
	f(Config{HTTPAddr: "localhost:4318", GRPCAddr: "[::1]:4317", TLSAddr: "127.0.0.1:4319"}, "")

	// Beyond loopback: an API token, or an explicit opt-out, on every listener.
	const refusal = "refusing to listen on 0.0.0.0:4318 beyond loopback without an API token: set --api-token (CAIRN_API_TOKEN), or pass --allow-unauthenticated"
	f(Config{HTTPAddr: "0.0.0.0:4318"}, refusal)
	f(Config{HTTPAddr: ":4318"}, "refusing to listen on :4318")
	f(Config{HTTPAddr: "[::]:4318"}, "refusing to listen on [::]:4318")
	f(Config{HTTPAddr: "192.168.1.10:4318"}, "--api-token")
	f(Config{GRPCAddr: "0.0.0.0:4317"}, "refusing to listen on 0.0.0.0:4317")
	f(Config{TLSAddr: "0.0.0.0:4319"}, "refusing to listen on 0.0.0.0:4319")
	f(Config{HTTPAddr: "0.0.0.0:4318", IngestToken: "x"}, "--api-token") // the ingest token does not guard the API
	f(Config{HTTPAddr: "0.0.0.0:4318", GRPCAddr: "0.0.0.0:4317", TLSAddr: "0.0.0.0:4319", APIToken: "s3cret"}, "")
	f(Config{HTTPAddr: "0.0.0.0:4318", AllowUnauthenticated: true}, "")
	f(Config{GRPCAddr: "off"}, "")
	f(Config{HTTPAddr: "0.0.0.0:4318", GRPCAddr: "off", APIToken: "t"}, "")

	// Malformed addresses say what a good one looks like.
	f(Config{HTTPAddr: "4318"}, `listen address "4318"`)
	f(Config{HTTPAddr: "4318"}, "use host:port, e.g. 127.0.0.1:4318")
	f(Config{GRPCAddr: "localhost"}, `listen address "localhost"`)
	f(Config{TLSAddr: "no-port"}, `listen address "no-port"`)

	// TLS flags.
	f(Config{TLSCert: "c.pem"}, "--tls-cert and --tls-key go together")
	f(Config{TLSKey: "k.pem", TLSAddr: "127.0.0.1:4319"}, "--tls-cert and --tls-key go together")
	f(Config{TLSCert: "c.pem", TLSKey: "k.pem"}, "--tls-cert was given without --tls-addr: add --tls-addr 127.0.0.1:4319")
	f(Config{TLSCert: "c.pem", TLSKey: "k.pem", TLSAddr: "127.0.0.1:4319"}, "")
	f(Config{TLSAddr: "127.0.0.1:4319"}, "") // a local CA

	// The memory budget for request bodies holds at least one gzip body of the largest size.
	f(Config{MaxBodyBytes: 200 << 20, MaxBodyMemory: 256 << 20}, "--max-body-memory (268435456 bytes) must be at least twice --max-body (209715200 bytes)")
	f(Config{MaxBodyBytes: 200 << 20, MaxBodyMemory: 256 << 20}, "raise --max-body-memory to 400MiB")
	f(Config{MaxBodyBytes: 200 << 20, MaxBodyMemory: 400 << 20}, "")
	f(Config{MaxBodyBytes: 200 << 20}, "") // the default follows --max-body
	f(Config{MaxBodyMemory: 32 << 20}, "at least twice --max-body")
}

func TestWithDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.DataDir != DefaultDataDir || c.GRPCAddr != DefaultGRPCAddr || c.HTTPAddr != DefaultHTTPAddr ||
		c.MaxBodyBytes != DefaultMaxBodyBytes || c.MaxBodyMemory != 256<<20 || c.MaxValueBytes != 1<<20 || c.QueueItems != DefaultQueueItems ||
		c.RetentionEvery != DefaultRetentionEvery || c.ShutdownTimeout != DefaultShutdownTimeout || c.Version != "dev" {
		t.Errorf("defaults: %+v", c)
	}
	if c.TLSAddr != "" || c.APIToken != "" || c.IngestToken != "" || c.AllowUnauthenticated || c.RetentionAge != 0 {
		t.Errorf("defaults enable something optional: %+v", c)
	}
	set := Config{DataDir: "d", GRPCAddr: "off", MaxBodyBytes: 5, MaxValueBytes: 6, QueueItems: 7, Version: "v1"}.withDefaults()
	if set.DataDir != "d" || set.GRPCAddr != "off" || set.MaxBodyBytes != 5 || set.MaxValueBytes != 6 || set.QueueItems != 7 || set.Version != "v1" {
		t.Errorf("withDefaults changed set fields: %+v", set)
	}
}

func TestDialable(t *testing.T) {
	f := func(addr, want string) {
		t.Helper()
		if got := dialable(addr); got != want {
			t.Errorf("dialable(%q) = %q, want %q", addr, got, want)
		}
	}
	f("0.0.0.0:4318", "127.0.0.1:4318")
	f("[::]:4318", "127.0.0.1:4318")
	f(":4318", "127.0.0.1:4318")
	f("127.0.0.1:4318", "127.0.0.1:4318")
	f("[::1]:4318", "[::1]:4318")
	f("192.168.1.10:4318", "192.168.1.10:4318")
	f("localhost:4318", "localhost:4318")
	f("junk", "junk")
}

// TestServerInProcess runs a Server on port 0 with both tokens: the guards answer as
// documented, and Run returns nil once its context ends.
func TestServerInProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	s, err := New(ctx, Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0", APIToken: "api", IngestToken: "in"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, io.Discard) }()
	base := "http://" + s.HTTPAddr()
	f := func(method, path, auth string, want int) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-protobuf")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		var resp *http.Response
		for range 100 { // Run may not have started serving yet
			if resp, err = http.DefaultClient.Do(req); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s %s with %q: %d, want %d", method, path, auth, resp.StatusCode, want)
		}
	}
	f("GET", "/healthz", "", http.StatusOK)
	f("GET", "/metrics", "", http.StatusUnauthorized)
	f("GET", "/metrics", "Bearer in", http.StatusUnauthorized)
	f("GET", "/metrics", "Bearer api", http.StatusOK)
	f("GET", "/api/v1/services", "", http.StatusUnauthorized)
	f("GET", "/api/v1/services", "Bearer api", http.StatusOK)
	f("POST", "/v1/traces", "", http.StatusUnauthorized)
	f("POST", "/v1/traces", "Bearer api", http.StatusUnauthorized)
	f("POST", "/v1/traces", "Bearer in", http.StatusOK)
	// Ready once Run serves (the request loop above waited for it).
	f("GET", "/readyz", "", http.StatusOK)

	// A second server on the same HTTP address fails in New, leaving nothing open.
	if _, err := New(ctx, Config{DataDir: t.TempDir(), HTTPAddr: s.HTTPAddr(), GRPCAddr: "off"}, nil); err == nil ||
		!strings.Contains(err.Error(), "listen for HTTP on "+s.HTTPAddr()) {
		t.Errorf("New on a busy port: %v", err)
	}
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of its context ending")
	}
	if c, err := net.Dial("tcp", s.HTTPAddr()); err == nil {
		c.Close()
		t.Errorf("HTTP listener still open after Run returned")
	}
	// The store was closed: the data directory opens again.
	s2, err := New(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", GRPCAddr: "off"}, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s2.closeAll()
}
