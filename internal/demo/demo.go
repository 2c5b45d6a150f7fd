// Package demo runs the seeds' apps against an offline stand-in model and
// sends their telemetry to a running Cairn, so a new user sees traces,
// sessions, failures and dashboards within a minute (`cairn demo`).
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-dev/cairn/examples/modelclient"
	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/cairn"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

// Config tunes a demo run. The zero value is a sensible demo.
type Config struct {
	// Endpoint is Cairn's OTLP/HTTP base URL; default OTEL_EXPORTER_OTLP_ENDPOINT,
	// else http://127.0.0.1:4318.
	Endpoint string
	// UIBase prefixes the printed trace links ({UIBase}/traces/{traceId});
	// default Endpoint.
	UIBase string
	// TrailSessions and TravelSessions cap how many preset sessions run
	// (0 means all: 5 and 3).
	TrailSessions, TravelSessions int
	// Latency is the stand-in's base latency (default 150ms, plus up to 250ms jitter).
	Latency time.Duration
	// ErrorRate is the fraction of model calls that fail (default 0.12, so a
	// few sessions fail); set NoErrors to disable failures.
	ErrorRate float64
	NoErrors  bool
	// Seed makes failures and jitter reproducible (default 17: four failures at different depths).
	Seed int64
}

func (c *Config) defaults() {
	if c.Endpoint == "" {
		c.Endpoint = os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	}
	if c.Endpoint == "" {
		c.Endpoint = cairn.DefaultHTTPEndpoint
	}
	if c.UIBase == "" {
		c.UIBase = c.Endpoint
	}
	c.UIBase = strings.TrimSuffix(c.UIBase, "/")
	if c.Latency == 0 {
		c.Latency = 150 * time.Millisecond
	}
	if c.ErrorRate == 0 {
		c.ErrorRate = 0.12
	}
	if c.NoErrors {
		c.ErrorRate = 0
	}
	if c.Seed == 0 {
		c.Seed = 17
	}
}

// traceRecord is one finished interaction, for the links and the summary.
type traceRecord struct {
	service, session, what, traceID string
	err                             error
}

// Run starts the stand-in model, runs the Trail Guide sessions (service
// trail-guide) and the travel-guide sessions (service travel-guide) with
// content capture on, flushes their telemetry to cfg.Endpoint and prints a
// link per trace and a summary to out. Failed model calls are part of the
// demo; Run fails only when telemetry cannot be set up or delivered.
func Run(ctx context.Context, cfg Config, out io.Writer) (err error) {
	cfg.defaults()
	if err := reachable(ctx, cfg.Endpoint); err != nil {
		return err
	}
	model, err := standin.Start(standin.Options{Latency: cfg.Latency, Jitter: 250 * time.Millisecond,
		ChunkDelay: 10 * time.Millisecond, ErrorRate: cfg.ErrorRate, Seed: cfg.Seed})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, model.Close(context.WithoutCancel(ctx))) }()
	fmt.Fprintf(out, "Stand-in model at %s (latency %v, error rate %.0f%%); sending telemetry to %s\n",
		model.BaseURL, cfg.Latency, cfg.ErrorRate*100, cfg.Endpoint)

	mc := modelclient.Config{BaseURL: model.BaseURL, APIKey: "standin", Model: modelclient.DefaultModel,
		Transport: []genaihttp.Option{genaihttp.WithCaptureContent(true)}}
	var records []traceRecord
	phases := []struct {
		service string
		run     func(context.Context, modelclient.Config, Config, io.Writer) []traceRecord
	}{
		{"trail-guide", runTrailGuide},
		{"travel-guide", runTravelGuide},
	}
	for _, p := range phases {
		recs, err := withTelemetry(ctx, cfg.Endpoint, p.service, func() []traceRecord { return p.run(ctx, mc, cfg, out) })
		records = append(records, recs...)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	summarize(out, cfg.UIBase, records)
	return nil
}

// withTelemetry installs the global providers for one service, runs fn and
// flushes. The apps use the global providers, as the seeds do, so the two
// services run one after the other.
func withTelemetry(ctx context.Context, endpoint, service string, fn func() []traceRecord) ([]traceRecord, error) {
	shutdown, err := cairn.Setup(ctx, cairn.WithServiceName(service), cairn.WithEndpoint(endpoint),
		cairn.WithProtocol(cairn.ProtocolHTTP),
		cairn.WithResourceAttributes(deploymentEnv("demo")))
	if err != nil {
		return nil, fmt.Errorf("demo: set up telemetry for %s: %w", service, err)
	}
	recs := fn()
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := shutdown(flushCtx); err != nil {
		return recs, fmt.Errorf("demo: deliver %s telemetry to %s: %w", service, endpoint, err)
	}
	return recs, nil
}

// reachable fails fast, with the fix, when nothing listens at the endpoint:
// the OTLP exporters would otherwise retry for a minute.
func reachable(ctx context.Context, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("demo: endpoint %q is not a URL like %s", endpoint, cairn.DefaultHTTPEndpoint)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[bool]string{true: "443", false: "80"}[u.Scheme == "https"])
	}
	d := net.Dialer{Timeout: 3 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("demo: no OTLP receiver at %s (%v): start `cairn serve` first or set OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, err)
	}
	return conn.Close()
}

func newSessionID(prefix string) string {
	if prefix == "" {
		return uuid.NewString()
	}
	return fmt.Sprintf("%s_%d_%s", prefix, time.Now().Unix(), uuid.NewString()[:8])
}

// summarize prints a link per trace and the totals.
func summarize(out io.Writer, uiBase string, recs []traceRecord) {
	fmt.Fprintf(out, "\nTraces:\n")
	failed := 0
	sessions := map[string]bool{}
	failedSessions := map[string]bool{}
	for _, r := range recs {
		status := "ok"
		if r.err != nil {
			status = "error"
			failed++
			failedSessions[r.session] = true
		}
		sessions[r.session] = true
		fmt.Fprintf(out, "  %-5s %-12s %-10s %s/traces/%s\n", status, r.service, r.what, uiBase, r.traceID)
	}
	fmt.Fprintf(out, "\n%d traces (%d failed) in %d sessions (%d with a failure). Open %s to explore them.\n",
		len(recs), failed, len(sessions), len(failedSessions), uiBase)
}
