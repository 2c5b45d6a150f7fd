// Package standin is an offline, deterministic stand-in for an
// OpenAI-compatible model API. It lets the demo, the examples and the tests
// exercise real clients (openai-go, go-openai) and the genaihttp
// instrumentation without a network or an API key.
//
// Answers are derived from the prompt: hiking prompts get a named trail with a
// one-sentence summary, camping prompts a supplies list, weather questions a
// get_weather tool call when tools are offered. Token counts are word-based
// and reproducible; latency, jitter and injected errors (OpenAI-shaped 429 and
// 500 answers) are deterministic for a given Seed and request order.
package standin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"sync"
	"time"
)

// Options tune the stand-in's behaviour. The zero value answers at once and
// never fails.
type Options struct {
	// Latency delays every answer (before the first byte), like a model's
	// time to first token.
	Latency time.Duration
	// Jitter adds a deterministic extra delay in [0, Jitter) per request.
	Jitter time.Duration
	// ChunkDelay separates streamed chunks.
	ChunkDelay time.Duration
	// ErrorRate is the fraction, 0 to 1, of model requests answered with an
	// OpenAI-shaped error: two thirds 429 rate_limit_exceeded, one third 500.
	ErrorRate float64
	// Seed makes the error and jitter sequence reproducible.
	Seed int64
}

// ErrorHeader, when sent with a request, forces that HTTP error status
// (429 or 500 shapes; any other 4xx/5xx gets a generic body). Tests use it
// to fail one call deterministically.
const ErrorHeader = "X-Standin-Error"

// Server is the stand-in model API; it is an http.Handler.
type Server struct {
	opts Options
	mux  *http.ServeMux
	mu   sync.Mutex
	seq  uint64 // model requests seen, drives errors and jitter
}

// New returns a stand-in server with the given options.
func New(opts Options) *Server {
	s := &Server{opts: opts, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/chat/completions", s.model(s.chat))
	s.mux.HandleFunc("POST /v1/completions", s.model(s.completion))
	s.mux.HandleFunc("POST /v1/embeddings", s.model(s.embeddings))
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.model(s.chat))
	s.mux.HandleFunc("POST /openai/deployments/{deployment}/embeddings", s.model(s.embeddings))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url",
			fmt.Sprintf("Unknown request URL: %s %s. Use /v1/chat/completions, /v1/completions, /v1/embeddings or /v1/models.", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// model wraps a model endpoint with the injected latency and errors.
func (s *Server) model(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.seq++
		n := s.seq
		s.mu.Unlock()
		delay := s.opts.Latency
		if s.opts.Jitter > 0 {
			delay += time.Duration(s.unit(n, "jitter") * float64(s.opts.Jitter))
		}
		if !sleep(r.Context(), delay) {
			return
		}
		if status := forcedError(r); status != 0 {
			writeStatusError(w, status, r)
			return
		}
		if s.opts.ErrorRate > 0 && s.unit(n, "error") < s.opts.ErrorRate {
			status := http.StatusTooManyRequests
			if s.unit(n, "kind") < 1.0/3 {
				status = http.StatusInternalServerError
			}
			writeStatusError(w, status, r)
			return
		}
		h(w, r)
	}
}

// unit returns a deterministic number in [0, 1) for request n and a purpose.
func (s *Server) unit(n uint64, purpose string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%s", s.opts.Seed, n, purpose)
	return float64(h.Sum64()>>11) / float64(1<<53)
}

func forcedError(r *http.Request) int {
	var status int
	if _, err := fmt.Sscanf(r.Header.Get(ErrorHeader), "%d", &status); err != nil || status < 400 || status > 599 {
		return 0
	}
	return status
}

// sleep waits d or until ctx ends; it reports whether to carry on.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeStatusError answers with OpenAI's error shape for status.
func writeStatusError(w http.ResponseWriter, status int, r *http.Request) {
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After-Ms", "50")
		writeError(w, status, "requests", "rate_limit_exceeded",
			"Rate limit reached for "+modelName(r)+" in organization org-standin on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 50ms.")
	case http.StatusInternalServerError:
		writeError(w, status, "server_error", "", "The server had an error while processing your request. Sorry about that!")
	default:
		writeError(w, status, "invalid_request_error", "", http.StatusText(status))
	}
}

// modelName is a best-effort model name for error messages.
func modelName(r *http.Request) string {
	if d := r.PathValue("deployment"); d != "" {
		return d
	}
	return "gpt-4o"
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	body := map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nil, "code": nilIfEmpty(code),
	}}
	writeJSON(w, status, body)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client hung up; nothing to tell it
}

// decode reads a JSON request body, answering 400 when it is malformed.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 32<<20)).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "",
			"We could not parse the JSON body of your request ("+err.Error()+"). Send a JSON object as the OpenAI API reference describes.")
		return false
	}
	return true
}

// models lists the models the stand-in answers for.
func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	var data []map[string]any
	for _, m := range []string{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"} {
		data = append(data, map[string]any{"id": m, "object": "model", "created": 1715367049, "owned_by": "cairn-standin"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
}

// Listener is a stand-in serving on a loopback port.
type Listener struct {
	// BaseURL is the OpenAI base URL, e.g. http://127.0.0.1:41234/v1.
	BaseURL string
	srv     *http.Server
	done    chan error
}

// Start serves a new stand-in on 127.0.0.1 at a free port until Close.
func Start(opts Options) (*Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("standin: listen on 127.0.0.1:0: %w", err)
	}
	l := &Listener{
		BaseURL: "http://" + ln.Addr().String() + "/v1",
		srv:     &http.Server{Handler: New(opts), ReadHeaderTimeout: 10 * time.Second},
		done:    make(chan error, 1),
	}
	go func() { l.done <- l.srv.Serve(ln) }()
	return l, nil
}

// Close stops the server, waiting for in-flight answers until ctx ends.
func (l *Listener) Close(ctx context.Context) error {
	err := l.srv.Shutdown(ctx)
	if serveErr := <-l.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if err != nil {
		return fmt.Errorf("standin: shut down %s: %w", l.BaseURL, err)
	}
	return nil
}
