package server

import (
	"context"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/cairn-dev/cairn/internal/api"
	"github.com/cairn-dev/cairn/internal/authtoken"
	"github.com/cairn-dev/cairn/internal/httpgzip"
	"github.com/cairn-dev/cairn/internal/ingest/breeze"
	"github.com/cairn-dev/cairn/internal/ingest/otlp"
	"github.com/cairn-dev/cairn/internal/tlsutil"
	"github.com/cairn-dev/cairn/ui"
)

// buildServers creates the HTTP, TLS and gRPC servers over one set of routes.
func (s *Server) buildServers() {
	in := s.ingest()
	budget := s.bodyBudget() // shared by every receiver
	mux := http.NewServeMux()

	otlpMux := http.NewServeMux()
	otlp.NewHTTPHandler(in, otlp.Options{MaxBodyBytes: s.cfg.MaxBodyBytes, Budget: budget, Observer: s.metrics.receiver("otlp_http")}, s.logger).Register(otlpMux)
	mux.Handle("/v1/", s.requireIngestToken(otlpMux))

	ingestToken := authtoken.New(s.cfg.IngestToken)
	breeze.NewHandler(in, breeze.Options{MaxBodyBytes: s.cfg.MaxBodyBytes, Budget: budget, Observer: s.metrics.receiver("appinsights"),
		IngestToken: ingestToken}, s.logger).Register(mux)

	mux.Handle("/api/", httpgzip.Handler(api.New(api.Config{
		Version:                s.cfg.Version,
		OTLPGRPC:               s.GRPCAddr(),
		OTLPHTTP:               "http://" + dialable(s.HTTPAddr()),
		BreezeConnectionString: s.connectionString(),
		APIToken:               s.cfg.APIToken,
		Enricher:               s.norm.MergeLogs,
	}, s.store, s.logger)))
	mux.HandleFunc("GET /healthz", s.serveHealthz)
	mux.HandleFunc("GET /readyz", s.serveReadyz)
	mux.Handle("GET /metrics", s.requireAPIToken(s.metrics.handler()))
	mux.Handle("/", ui.Handler(ui.Options{PreloadTraces: s.cfg.APIToken == ""}))

	handler := breeze.CollapseSlashes(mux)
	s.httpSrv = newHTTPServer(handler)
	if s.tlsLn != nil {
		s.tlsSrv = newHTTPServer(handler)
	}
	if s.grpcLn != nil {
		g := otlp.NewGRPCServer(in, otlp.Options{MaxBodyBytes: s.cfg.MaxBodyBytes, Budget: budget, Observer: s.metrics.receiver("otlp_grpc")}, s.logger)
		opts := g.ServerOptions()
		if ingestToken.IsSet() {
			// A tap runs on the request's headers, before its message is read and
			// decompressed: an unauthenticated client cannot make the server inflate anything.
			opts = append(opts, grpc.InTapHandle(grpcIngestTap(ingestToken)))
		}
		s.grpcSrv = grpc.NewServer(opts...)
		g.RegisterGRPC(s.grpcSrv)
	}
}

// newHTTPServer sets timeouts that stop slow clients from holding connections forever while
// leaving room for large ingest bodies and slow API queries.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// connectionString is the Application Insights connection string shown to users: the TLS
// listener when there is one (the JS exporter only speaks https), else plain HTTP. With an
// ingest token the key is a placeholder for it: the token itself is never printed or served.
func (s *Server) connectionString() string {
	endpoint := "http://" + dialable(s.HTTPAddr()) + "/"
	if s.tlsLn != nil {
		endpoint = "https://" + dialable(s.TLSAddr()) + "/"
	}
	key := tlsutil.InstrumentationKey
	if s.cfg.IngestToken != "" {
		key = "<ingest-token>"
	}
	return tlsutil.ConnectionStringFor(endpoint, key)
}

// requireIngestToken checks the OTLP bearer token when one is configured, before the body is
// read.
func (s *Server) requireIngestToken(next http.Handler) http.Handler {
	token := authtoken.New(s.cfg.IngestToken)
	if !token.IsSet() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !token.MatchesBearer(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cairn-ingest"`)
			http.Error(w, "missing or wrong ingest token: set OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAPIToken guards non-API routes that reveal data (/metrics) with the API token.
func (s *Server) requireAPIToken(next http.Handler) http.Handler {
	token := authtoken.New(s.cfg.APIToken)
	if !token.IsSet() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !token.MatchesBearer(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cairn"`)
			http.Error(w, "missing or wrong API token: send Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// grpcIngestTap is the gRPC form of requireIngestToken: it checks the "authorization"
// metadata when a stream opens, before its message is read.
func grpcIngestTap(token authtoken.Token) tap.ServerInHandle {
	return func(ctx context.Context, info *tap.Info) (context.Context, error) {
		for _, v := range info.Header.Get("authorization") {
			if token.MatchesBearer(v) {
				return ctx, nil
			}
		}
		return ctx, status.Error(codes.Unauthenticated, "missing or wrong ingest token: set OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>")
	}
}

// serveHealthz answers while the process is alive.
func (s *Server) serveHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// serveReadyz answers 200 once the server accepts data and the store answers, 503 otherwise.
func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !s.ready.Load() {
		http.Error(w, "not ready: starting or stopping", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Stats(ctx); err != nil {
		http.Error(w, "not ready: store: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
