package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cairn-dev/cairn/internal/loadgen"
)

const loadSummary = `Generates GenAI-shaped trace load against a running Cairn and measures it, so anyone can
reproduce Cairn's performance numbers. Each trace has 4 spans: a session root (POST /chat), a
business span, a model call "chat gpt-4o" with GenAI semantic-convention attributes and a ~2 KB
prompt in gen_ai.input.messages, and a tool call. Every prompt contains "` + loadgen.CommonWord + `"; one trace
in --rare-every contains "` + loadgen.RareWord + `".

Phases, for each --protocol: time the request generator alone; send --spans spans (or for
--duration) with --concurrency senders, retrying 429/RESOURCE_EXHAUSTED after Retry-After
(nothing is dropped); wait until the server's cairn_store_spans counts them all; then time
--queries requests of each API query, one at a time. Progress goes to stderr every --progress;
the report (Markdown, or --json) goes to stdout.

Example:
  cairn serve --data /tmp/cairn-load --grpc-addr 127.0.0.1:14317 --http-addr 127.0.0.1:14318 &
  cairn load --endpoint-grpc 127.0.0.1:14317 --endpoint-http http://127.0.0.1:14318 --protocol grpc --spans 1000000`

// runLoad parses the load flags, runs the load and prints the report.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := loadgen.Config{Log: stderr}
	var protocol, encoding string
	var asJSON bool
	fs := newFlagSet("load", loadSummary, stderr)
	fs.StringVar(&cfg.HTTPEndpoint, "endpoint-http", "http://127.0.0.1:4318", "the server's HTTP base URL: OTLP/HTTP, the API and /metrics")
	fs.StringVar(&cfg.GRPCEndpoint, "endpoint-grpc", "127.0.0.1:4317", "the server's OTLP/gRPC host:port")
	fs.StringVar(&protocol, "protocol", "grpc", "ingest protocol: grpc, http, or both (gRPC, then HTTP, each reported)")
	fs.StringVar(&encoding, "encoding", "protobuf", "OTLP/HTTP body encoding: protobuf or json (gRPC is always protobuf)")
	fs.BoolVar(&cfg.Gzip, "gzip", false, "gzip-compress requests (Content-Encoding over HTTP, the gzip compressor over gRPC)")
	fs.Int64Var(&cfg.Spans, "spans", 1_000_000, "spans to send per protocol, rounded up to whole requests (0: until --duration)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stop sending after this long, e.g. 10m, even if --spans is not reached (0: no limit)")
	fs.IntVar(&cfg.BatchSpans, "batch", 500, "spans per request (a multiple of 4: whole traces)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 4, "concurrent senders (each waits for its request to be stored before the next)")
	fs.IntVar(&cfg.Queries, "queries", 200, "requests of each API query to time (negative: skip queries)")
	fs.BoolVar(&cfg.NoIngest, "no-ingest", false, "send nothing: only time the queries against what the server holds")
	fs.StringVar(&cfg.APIToken, "api-token", "", "bearer token for /api and /metrics (the server's --api-token)")
	fs.StringVar(&cfg.IngestToken, "ingest-token", "", "bearer token for OTLP requests (the server's --ingest-token)")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON instead of Markdown")
	fs.DurationVar(&cfg.Progress, "progress", 5*time.Second, "interval of progress lines on stderr (negative: none)")
	fs.DurationVar(&cfg.WaitTimeout, "wait-timeout", 10*time.Minute, "how long to wait after sending for the server to report every span stored")
	fs.IntVar(&cfg.RareEvery, "rare-every", 1000, "one trace in this many carries the rare word")
	fs.Uint64Var(&cfg.ContentSeed, "seed", 1, "seed of the generated text, durations and token counts (ids are random per run)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch protocol {
	case "grpc", "http":
		cfg.Protocols = []string{protocol}
	case "both":
		cfg.Protocols = []string{"grpc", "http"}
	default:
		return loadFlagError(fs, "--protocol %q: want grpc, http or both", protocol)
	}
	switch strings.ToLower(encoding) {
	case "protobuf", "proto":
		cfg.Encoding = loadgen.Proto
	case "json":
		cfg.Encoding = loadgen.JSON
	default:
		return loadFlagError(fs, "--encoding %q: want protobuf or json", encoding)
	}
	if cfg.BatchSpans < 4 || cfg.BatchSpans%4 != 0 {
		return loadFlagError(fs, "--batch %d: want a positive multiple of 4 (whole traces of 4 spans)", cfg.BatchSpans)
	}
	if cfg.Concurrency < 1 {
		return loadFlagError(fs, "--concurrency %d: want at least 1", cfg.Concurrency)
	}
	if cfg.Queries == 0 {
		cfg.Queries = -1
	}
	if !cfg.NoIngest && cfg.Spans <= 0 && cfg.Duration <= 0 {
		return loadFlagError(fs, "--spans 0 needs --duration")
	}
	rep, err := loadgen.Run(ctx, cfg)
	if rep != nil && len(rep.Phases) > 0 || err == nil {
		var werr error
		if asJSON {
			werr = rep.WriteJSON(stdout)
		} else {
			werr = rep.WriteMarkdown(stdout)
		}
		if err == nil {
			err = werr
		}
	}
	return err
}

// loadFlagError prints a bad flag value and the flags, and reports a usage error (exit status 2).
func loadFlagError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), format+"\n\n", args...)
	fs.Usage()
	return errUsage
}
