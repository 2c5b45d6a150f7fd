// Package server assembles Cairn's receivers, normaliser, pipeline, store, API and UI into one
// running server, and owns every listener and background goroutine it starts.
package server

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Config is everything `cairn serve` can be told. Zero values mean the defaults below.
type Config struct {
	// DataDir holds the SQLite database and the local TLS CA (default ./cairn-data).
	DataDir string
	// GRPCAddr is the OTLP/gRPC listen address (default 127.0.0.1:4317); "off" disables it.
	GRPCAddr string
	// HTTPAddr carries OTLP/HTTP, Application Insights ingestion, the API, the UI, /healthz,
	// /readyz and /metrics (default 127.0.0.1:4318).
	HTTPAddr string
	// TLSAddr serves the HTTP routes over TLS, for exporters that only speak https (the Azure
	// Monitor JS exporter); empty disables it.
	TLSAddr string
	// TLSCert and TLSKey are the user's certificate; empty means a local CA in DataDir/tls.
	TLSCert, TLSKey string

	// APIToken, when set, is required as a bearer token on /api/ (and so by the UI).
	APIToken string
	// IngestToken, when set, is required on OTLP requests: "Authorization: Bearer <token>"
	// over HTTP, the "authorization" metadata over gRPC.
	IngestToken string
	// AllowUnauthenticated permits listening beyond loopback without an API token.
	AllowUnauthenticated bool

	// MaxBodyBytes bounds one ingest request, compressed and decompressed (default 20 MiB).
	MaxBodyBytes int64
	// MaxBodyMemory bounds the ingest request bodies held in memory at once, compressed and
	// decompressed, across OTLP/HTTP, OTLP/gRPC and Application Insights (default 256 MiB or
	// twice MaxBodyBytes, whichever is larger); beyond it requests are refused with 429 /
	// RESOURCE_EXHAUSTED and a retry delay. It must be at least twice MaxBodyBytes: a gzip body
	// is held compressed and decompressed at once.
	MaxBodyMemory int64
	// MaxValueBytes bounds one stored attribute or body value; longer values are cut and
	// marked as truncated (default 1 MiB).
	MaxValueBytes int
	// QueueItems bounds the write queue in spans + logs + points (default 200,000).
	QueueItems int
	// RetentionAge deletes data older than this (0 keeps everything).
	RetentionAge time.Duration
	// RetentionBytes deletes the oldest data beyond this database size (0: unbounded).
	RetentionBytes int64
	// RetentionEvery is how often retention runs (default 5 minutes).
	RetentionEvery time.Duration
	// PriceFile overrides and extends the built-in model price table.
	PriceFile string
	// ShutdownTimeout bounds the drain at stop (default 30s).
	ShutdownTimeout time.Duration

	// PprofAddr, when set, serves Go's profiling endpoints (/debug/pprof/) on this loopback
	// address.
	PprofAddr string

	// Version is reported by /api/v1/info and the self-metrics.
	Version string
}

// Defaults.
const (
	DefaultDataDir         = "cairn-data"
	DefaultGRPCAddr        = "127.0.0.1:4317"
	DefaultHTTPAddr        = "127.0.0.1:4318"
	DefaultMaxBodyBytes    = 20 << 20
	DefaultMaxBodyMemory   = reqbody.DefaultBudget
	DefaultQueueItems      = 200_000
	DefaultRetentionEvery  = 5 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = DefaultGRPCAddr
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxBodyMemory <= 0 {
		c.MaxBodyMemory = max(DefaultMaxBodyMemory, 2*c.MaxBodyBytes)
	}
	if c.MaxValueBytes <= 0 {
		c.MaxValueBytes = telemetry.DefaultMaxValueBytes
	}
	if c.QueueItems <= 0 {
		c.QueueItems = DefaultQueueItems
	}
	if c.RetentionEvery <= 0 {
		c.RetentionEvery = DefaultRetentionEvery
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	return c
}

// validate reports a configuration that cannot work or would expose data, saying how to fix it.
func (c Config) validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together: give both, or neither for a local CA")
	}
	if c.TLSCert != "" && c.TLSAddr == "" {
		return errors.New("--tls-cert was given without --tls-addr: add --tls-addr 127.0.0.1:4319")
	}
	if c.MaxBodyMemory < 2*c.MaxBodyBytes {
		return fmt.Errorf("--max-body-memory (%d bytes) must be at least twice --max-body (%d bytes): a gzip body is held "+
			"compressed and decompressed at once; raise --max-body-memory to %dMiB or more", c.MaxBodyMemory, c.MaxBodyBytes, (2*c.MaxBodyBytes+1<<20-1)>>20)
	}
	addrs := []string{c.HTTPAddr, c.TLSAddr}
	if c.GRPCAddr != "off" {
		addrs = append(addrs, c.GRPCAddr)
	}
	for _, a := range addrs {
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("listen address %q: %w (use host:port, e.g. 127.0.0.1:4318)", a, err)
		}
		if !isLoopback(a) && c.APIToken == "" && !c.AllowUnauthenticated {
			return fmt.Errorf("refusing to listen on %s beyond loopback without an API token: "+
				"set --api-token (CAIRN_API_TOKEN), or pass --allow-unauthenticated if the network is trusted", a)
		}
	}
	return nil
}

// isLoopback reports whether a listen address only accepts local connections.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
