// Package api serves Cairn's HTTP JSON API under /api/v1/ (docs/api.md is its contract): trace
// search and detail, sessions, the GenAI dashboard series, models, metric series and server info.
// It only reads: every handler parses its parameters strictly (an unknown or malformed parameter
// is a 400 naming it), calls one store read and renders the result as JSON.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/cairn-dev/cairn/internal/authtoken"
	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Reader is every store read the API calls. A store.Store satisfies it.
type Reader interface {
	store.TraceReader
	store.MetricReader
	store.GenAIReader
}

// Enricher completes a span read back from the store with what its log records carry (GenAI
// message content sent as log events). It may modify span; it must not modify logs.
type Enricher func(span *telemetry.Span, logs []*telemetry.LogRecord)

// Config is what the API needs besides the store.
type Config struct {
	// Version is the server version /api/v1/info reports.
	Version string
	// OTLPGRPC is the OTLP gRPC address shown to users, e.g. "127.0.0.1:4317".
	OTLPGRPC string
	// OTLPHTTP is the OTLP HTTP base URL shown to users, e.g. "http://127.0.0.1:4318".
	OTLPHTTP string
	// BreezeConnectionString is the Application Insights connection string that points an
	// Azure Monitor exporter at Cairn.
	BreezeConnectionString string
	// APIToken, when non-empty, must be presented as "Authorization: Bearer <token>" by every
	// /api/ request.
	APIToken string
	// Enricher, when non-nil, is called for every span of a trace read by
	// GET /api/v1/traces/{traceId}, with that span's log records, before rendering.
	Enricher Enricher
	// Now returns the current time (defaults of time ranges); nil means time.Now.
	Now func() time.Time
}

// server holds the handlers' shared state; it is immutable after New.
type server struct {
	cfg   Config
	r     Reader
	log   *slog.Logger
	token authtoken.Token
}

// New returns the handler of every /api/ path. Mount it with mux.Handle("/api/", h). A nil
// logger discards logs.
func New(cfg Config, r Reader, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &server{cfg: cfg, r: r, log: logger, token: authtoken.New(cfg.APIToken)}
	mux := http.NewServeMux()
	routes := []struct {
		pattern string
		h       handlerFunc
	}{
		{"GET /api/v1/traces", s.searchTraces},
		{"GET /api/v1/traces/{traceId}", s.getTrace},
		{"GET /api/v1/services", s.services},
		{"GET /api/v1/operations", s.operations},
		{"GET /api/v1/sessions", s.sessions},
		{"GET /api/v1/sessions/{id}", s.session},
		{"GET /api/v1/metrics/genai", s.genAISeries},
		{"GET /api/v1/models", s.models},
		{"GET /api/v1/metrics/series", s.metricSeries},
		{"GET /api/v1/info", s.info},
	}
	for _, rt := range routes {
		mux.Handle(rt.pattern, s.serve(rt.h))
	}
	mux.HandleFunc("/api/", s.noRoute)
	return s.authenticate(mux)
}

// authenticate rejects requests without the configured bearer token (compared in constant
// time: authtoken).
func (s *server) authenticate(next http.Handler) http.Handler {
	if !s.token.IsSet() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, ok := authtoken.Bearer(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cairn"`)
			s.writeError(w, r, errorf(http.StatusUnauthorized,
				"this server requires an API token: send the header \"Authorization: Bearer <token>\""))
			return
		}
		if !s.token.Equal(cred) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cairn", error="invalid_token"`)
			s.writeError(w, r, errorf(http.StatusUnauthorized,
				"the API token is wrong: use the token the server was started with"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// noRoute answers paths and methods no route serves, in JSON like every other /api/ answer.
func (s *server) noRoute(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.writeError(w, r, errorf(http.StatusMethodNotAllowed, "method %s: the API is read-only; use GET", trunc(r.Method)))
		return
	}
	s.writeError(w, r, errorf(http.StatusNotFound, "no API route %s; see docs/api.md for the routes under /api/v1/", trunc(r.URL.Path)))
}
