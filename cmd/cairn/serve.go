package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/cairn-dev/cairn/internal/server"
)

const serveSummary = `Runs Cairn: OTLP/gRPC on --grpc-addr; OTLP/HTTP (/v1/traces, /v1/logs, /v1/metrics),
Application Insights ingestion (/v2.1/track), the JSON API (/api/v1), the web UI (/), /healthz,
/readyz and Prometheus self-metrics (/metrics) on --http-addr. Data is kept in --data.
Every address is loopback by default; listening beyond it requires --api-token.`

// runServe parses the serve flags and runs the server until interrupted.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := server.Config{Version: version}
	var logLevel slog.Level
	maxBody := byteSize(server.DefaultMaxBodyBytes)
	var maxBodyMemory byteSize // 0: the server's default, which follows --max-body
	maxValue := byteSize(1 << 20)
	var retainBytes byteSize
	fs := newFlagSet("serve", serveSummary, stderr)
	fs.StringVar(&cfg.DataDir, "data", server.DefaultDataDir, "directory for the database and the local TLS CA")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", server.DefaultHTTPAddr, "HTTP listen address: OTLP/HTTP, Application Insights, API, UI, health and metrics")
	fs.StringVar(&cfg.GRPCAddr, "grpc-addr", server.DefaultGRPCAddr, `OTLP/gRPC listen address, or "off"`)
	fs.StringVar(&cfg.TLSAddr, "tls-addr", "", "HTTPS listen address serving the HTTP routes (for the Azure Monitor JS exporter), e.g. 127.0.0.1:4319")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate for --tls-addr; without it Cairn creates a local CA in --data/tls")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key for --tls-cert")
	fs.StringVar(&cfg.APIToken, "api-token", "", "bearer token required by the API, the UI and /metrics; required to listen beyond loopback")
	fs.StringVar(&cfg.IngestToken, "ingest-token", "", "token required on ingest: OTLP requests send it as a bearer token (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20<token>), Application Insights exporters as the connection string's InstrumentationKey=<token>")
	fs.BoolVar(&cfg.AllowUnauthenticated, "allow-unauthenticated", false, "allow listening beyond loopback without --api-token (trusted networks only)")
	fs.Var(&maxBody, "max-body", "largest ingest request, compressed or decompressed (bytes, or with KiB/MiB/GiB)")
	fs.Var(&maxBodyMemory, "max-body-memory", "memory for all ingest request bodies being read at once; beyond it clients get 429 and retry "+
		"(default 256MiB or twice --max-body, whichever is larger)")
	fs.Var(&maxValue, "max-value", "largest stored attribute or log body; longer values are cut and marked truncated")
	fs.IntVar(&cfg.QueueItems, "queue-items", server.DefaultQueueItems, "write queue capacity in spans + logs + points; beyond it clients get 429 and retry")
	fs.DurationVar(&cfg.RetentionAge, "retention", 0, "delete data older than this, e.g. 168h (0 keeps everything)")
	fs.Var(&retainBytes, "retention-size", "delete the oldest data beyond this size of cairn.db, e.g. 10GiB (0: unbounded; the full-text index, text.db, comes on top)")
	fs.StringVar(&cfg.PriceFile, "prices", "", "JSON file of model prices that overrides and extends the built-in table")
	fs.StringVar(&cfg.PprofAddr, "pprof-addr", "", "serve Go profiles (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg.MaxBodyBytes = int64(maxBody)
	cfg.MaxBodyMemory = int64(maxBodyMemory)
	cfg.MaxValueBytes = int(maxValue)
	cfg.RetentionBytes = int64(retainBytes)

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel}))
	srv, err := server.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	if err := srv.Run(ctx, stdout); err != nil {
		return fmt.Errorf("server stopped with an error: %w", err)
	}
	return nil
}
