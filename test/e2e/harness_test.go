// Package e2e runs the cairn binary as users do, with real clients, and checks what the API
// returns. Every test starts its own server on free loopback ports with its own data directory.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cairnBin is the binary built once by TestMain for every test of the package.
var cairnBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cairn-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cairnBin = filepath.Join(dir, "cairn")
	cmd := exec.Command("go", "build", "-o", cairnBin, "./cmd/cairn")
	cmd.Dir = rootDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/cairn: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// rootDir is the repository root.
func rootDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// repoRoot is rootDir for tests.
func repoRoot(t *testing.T) string {
	t.Helper()
	return rootDir()
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cairnProc is one running `cairn serve`.
type cairnProc struct {
	HTTP, GRPC, TLS, Data string
	args                  []string
	cmd                   *exec.Cmd
	out                   *syncBuffer
	done                  chan struct{}
}

// BaseURL is the HTTP base URL.
func (p *cairnProc) BaseURL() string { return "http://" + p.HTTP }

// API is the URL of an /api/v1 path.
func (p *cairnProc) API(path string) string { return "http://" + p.HTTP + "/api/v1" + path }

// Output is what the server printed so far.
func (p *cairnProc) Output() string { return p.out.String() }

// startServer runs `cairn serve` on free ports with a fresh data directory (or data, if not
// empty) and extra flags, waits for /readyz, and stops it when the test ends.
func startServer(t *testing.T, data string, extra ...string) *cairnProc {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	p := &cairnProc{HTTP: freeAddr(t), GRPC: freeAddr(t), Data: data}
	p.args = append([]string{"serve", "--data", data, "--http-addr", p.HTTP, "--grpc-addr", p.GRPC}, extra...)
	for i, a := range extra {
		if a == "--tls-addr" && i+1 < len(extra) {
			p.TLS = extra[i+1]
		}
	}
	p.start(t)
	t.Cleanup(func() {
		p.Stop(t)
		if t.Failed() {
			t.Logf("cairn output:\n%s", p.Output())
		}
	})
	return p
}

// start launches the process and waits until it is ready.
func (p *cairnProc) start(t *testing.T) {
	t.Helper()
	p.out = &syncBuffer{}
	p.cmd = exec.Command(cairnBin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start cairn: %v", err)
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	waitFor(t, func() bool {
		select {
		case <-p.done:
			t.Fatalf("cairn exited before it was ready:\n%s", p.Output())
		default:
		}
		resp, err := http.Get(p.BaseURL() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "cairn /readyz")
}

// Stop sends SIGINT and waits for a clean exit (SIGKILL after 30 s).
func (p *cairnProc) Stop(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("cairn did not stop within 30s of SIGINT")
	}
}

// Kill sends SIGKILL: no drain, no clean close.
func (p *cairnProc) Kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Restart starts the same command again (same ports and data directory).
func (p *cairnProc) Restart(t *testing.T) {
	t.Helper()
	p.start(t)
}

// npmInstall runs `npm ci` in dir unless node_modules/<marker> exists already.
func npmInstall(t *testing.T, dir, marker string) {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", marker)); err == nil {
		return
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}

// freeAddr returns a loopback address with a port free at the time of the call.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// getJSON GETs url into v when the answer is 200 and returns the status (0: no answer).
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// waitFor polls ok every 100 ms for up to 30 s.
func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
