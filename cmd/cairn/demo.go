package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cairn-dev/cairn/internal/demo"
)

const demoSummary = `Runs the Trail Guide and travel-guide demo apps (the seeds' apps, in Go) against an offline
stand-in model and exports their traces, logs and metrics over OTLP/HTTP to a running Cairn,
with service name trail-guide. Some sessions fail on purpose. Prints a UI link for each trace.`

// runDemo parses the demo flags and runs the demo sessions.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg demo.Config
	endpoint := os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	if endpoint == "" {
		endpoint = "http://127.0.0.1:4318"
	}
	fs := newFlagSet("demo", demoSummary, stderr)
	fs.StringVar(&cfg.Endpoint, "endpoint", endpoint, "Cairn's OTLP/HTTP base URL (default from OTEL_EXPORTER_OTLP_ENDPOINT)")
	fs.StringVar(&cfg.UIBase, "ui", "", "base URL of the printed trace links (default: the endpoint)")
	fs.IntVar(&cfg.TrailSessions, "trail-sessions", 0, "Trail Guide sessions to run (0: all 5)")
	fs.IntVar(&cfg.TravelSessions, "travel-sessions", 0, "travel-guide sessions to run (0: all 3)")
	fs.DurationVar(&cfg.Latency, "latency", 150*time.Millisecond, "the stand-in model's base latency")
	fs.Float64Var(&cfg.ErrorRate, "error-rate", 0.12, "fraction (0 to 1) of the stand-in model's answers that are errors (429/500)")
	fs.BoolVar(&cfg.NoErrors, "no-errors", false, "make every model call succeed (the same as --error-rate 0)")
	fs.Int64Var(&cfg.Seed, "seed", 17, "seed of failures and jitter")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.ErrorRate < 0 || cfg.ErrorRate > 1 {
		return fmt.Errorf("--error-rate %v: want a fraction from 0 to 1, e.g. 0.1", cfg.ErrorRate)
	}
	if cfg.ErrorRate == 0 {
		cfg.NoErrors = true // demo.Config's zero ErrorRate means "the default"
	}
	return demo.Run(ctx, cfg, stdout)
}
