package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/genai"
	"github.com/cairn-dev/cairn/internal/pipeline"
	"github.com/cairn-dev/cairn/internal/store/sqlite"
	"github.com/cairn-dev/cairn/internal/telemetry"
	"github.com/cairn-dev/cairn/internal/tlsutil"
)

// Server is a running Cairn: it owns the store, the write pipeline, the listeners and the
// background loops. Create it with New, run it with Run; Run closes everything it owns.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	store   *sqlite.Store
	norm    *genai.Normalizer
	pipe    *pipeline.Pipeline
	metrics *selfMetrics
	ready   atomic.Bool

	httpLn, grpcLn, tlsLn, pprofLn net.Listener
	httpSrv, tlsSrv, pprofSrv      *http.Server
	grpcSrv                        *grpc.Server
	caFile                         string
}

// New opens the store in cfg.DataDir and binds every listener, so that a port in use or a
// bad flag is reported before anything is served. On error nothing is left open.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (_ *Server, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, logger: logger}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()
	if s.norm, err = genai.New(genai.Options{PriceFile: cfg.PriceFile}); err != nil {
		return nil, fmt.Errorf("load prices: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	if s.store, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir), sqlite.Options{Logger: logger}); err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	s.metrics = newSelfMetrics(cfg.Version, s.store)
	s.pipe = pipeline.New(s.store, pipeline.Options{QueueItems: cfg.QueueItems}, s.metrics, logger)
	s.metrics.watchQueue(s.pipe)
	s.metrics.watchWAL(s.store)
	s.metrics.watchTextIndex(s.store)
	if err := s.listen(); err != nil {
		return nil, err
	}
	s.buildServers()
	return s, nil
}

// listen binds the configured addresses.
func (s *Server) listen() error {
	var err error
	if s.httpLn, err = net.Listen("tcp", s.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("listen for HTTP on %s: %w (is another Cairn running? use --http-addr)", s.cfg.HTTPAddr, err)
	}
	if s.cfg.GRPCAddr != "off" {
		if s.grpcLn, err = net.Listen("tcp", s.cfg.GRPCAddr); err != nil {
			return fmt.Errorf("listen for OTLP/gRPC on %s: %w (use --grpc-addr, or off)", s.cfg.GRPCAddr, err)
		}
	}
	if err := s.listenPprof(); err != nil {
		return err
	}
	if s.cfg.TLSAddr == "" {
		return nil
	}
	tlsCfg, err := s.tlsConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.TLSAddr)
	if err != nil {
		return fmt.Errorf("listen for TLS on %s: %w (use --tls-addr)", s.cfg.TLSAddr, err)
	}
	s.tlsLn = tls.NewListener(ln, tlsCfg)
	return nil
}

// tlsConfig loads the user's certificate or the local CA's server certificate.
func (s *Server) tlsConfig() (*tls.Config, error) {
	cert, key := s.cfg.TLSCert, s.cfg.TLSKey
	if cert == "" {
		var err error
		if cert, key, s.caFile, err = tlsutil.EnsureLocalCA(s.cfg.DataDir); err != nil {
			return nil, fmt.Errorf("create the local CA in %s: %w", s.cfg.DataDir, err)
		}
	}
	cfg, err := tlsutil.LoadServerConfig(cert, key)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s: %w", cert, err)
	}
	return cfg, nil
}

// ingest is the consumer every receiver delivers to: bound values, understand GenAI, queue.
func (s *Server) ingest() consumer.Consumer {
	return consumer.Func(func(ctx context.Context, b *telemetry.Batch) error {
		telemetry.Sanitize(b, s.cfg.MaxValueBytes)
		s.norm.Enrich(b)
		return s.pipe.Consume(ctx, b)
	})
}

// HTTPAddr returns the bound HTTP address (useful with port 0).
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// GRPCAddr returns the bound OTLP/gRPC address, or "" when disabled.
func (s *Server) GRPCAddr() string {
	if s.grpcLn == nil {
		return ""
	}
	return s.grpcLn.Addr().String()
}

// TLSAddr returns the bound TLS address, or "" when disabled.
func (s *Server) TLSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// Run serves until ctx ends, then stops accepting requests, drains the write queue into the
// store and closes it. It writes the startup banner to out.
func (s *Server) Run(ctx context.Context, out io.Writer) error {
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	serve := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
				errc <- fmt.Errorf("%s server: %w", name, err)
			}
		}()
	}
	serve("HTTP", func() error { return s.httpSrv.Serve(s.httpLn) })
	if s.grpcLn != nil {
		serve("OTLP/gRPC", func() error { return s.grpcSrv.Serve(s.grpcLn) })
	}
	if s.tlsLn != nil {
		serve("TLS", func() error { return s.tlsSrv.Serve(s.tlsLn) })
	}
	if s.pprofLn != nil {
		serve("pprof", func() error { return s.pprofSrv.Serve(s.pprofLn) })
	}
	loopCtx, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.retentionLoop(loopCtx)
	}()
	s.ready.Store(true)
	s.printBanner(out)
	s.logger.Info("cairn is ready", "http", s.HTTPAddr(), "grpc", s.GRPCAddr(), "tls", s.TLSAddr(), "data", s.cfg.DataDir)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	s.ready.Store(false)
	stopLoops()
	shutErr := s.shutdown()
	wg.Wait()
	return errors.Join(runErr, shutErr)
}

// shutdown stops the listeners gracefully, then drains the pipeline and closes the store.
func (s *Server) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, srv := range []*http.Server{s.httpSrv, s.tlsSrv, s.pprofSrv} {
		if srv == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(ctx); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("stop HTTP server: %w", err))
				mu.Unlock()
			}
		}()
	}
	if s.grpcSrv != nil {
		stopGRPC(ctx, s.grpcSrv)
	}
	wg.Wait()
	if err := s.pipe.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain write queue: %w", err))
	}
	if err := s.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	s.logger.Info("cairn stopped")
	return errors.Join(errs...)
}

// stopGRPC stops gracefully, forcing the stop when ctx ends first.
func stopGRPC(ctx context.Context, g *grpc.Server) {
	done := make(chan struct{})
	go func() {
		g.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		g.Stop()
		<-done
	}
}

// closeAll releases what New acquired when New fails part-way.
func (s *Server) closeAll() {
	for _, ln := range []net.Listener{s.httpLn, s.grpcLn, s.tlsLn, s.pprofLn} {
		if ln != nil {
			_ = ln.Close()
		}
	}
	if s.pipe != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.pipe.Close(ctx)
		cancel()
	}
	if s.store != nil {
		_ = s.store.Close()
	}
}
