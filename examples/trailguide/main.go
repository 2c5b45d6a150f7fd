// Command trailguide runs the Trail Guide AI Assistant from the seeds and
// sends its traces to Cairn (OTEL_EXPORTER_OTLP_ENDPOINT, default
// http://127.0.0.1:4318).
//
//	go run ./examples/trailguide "easy, lakes, family friendly"
//
// It calls the OpenAI-compatible endpoint in OPENAI_BASE_URL (with
// OPENAI_API_KEY and MODEL), or an offline stand-in model when OPENAI_BASE_URL
// is unset. Set OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true to
// record prompts and completions.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/cairn-dev/cairn/examples/modelclient"
	"github.com/cairn-dev/cairn/examples/trailguide/trailguide"
	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/cairn"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, strings.Join(os.Args[1:], " ")); err != nil {
		fmt.Fprintln(os.Stderr, "trailguide:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, preferences string) (err error) {
	if preferences == "" {
		preferences = "moderate difficulty, mountain views, wildflowers"
	}
	shutdown, err := cairn.Setup(ctx, cairn.WithServiceName("trail-guide"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, shutdown(context.WithoutCancel(ctx))) }()

	cfg, stopModel, err := modelclient.FromEnv(standin.Options{Latency: 300 * time.Millisecond, Jitter: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopModel(context.WithoutCancel(ctx))) }()

	app := &trailguide.App{Client: modelclient.New(cfg), Model: cfg.Model, Out: os.Stdout,
		CaptureToolContent: genaihttp.CaptureContentFromEnv()}
	sessionID := fmt.Sprintf("session_%d", time.Now().Unix())
	res, err := app.Session(ctx, sessionID, preferences)
	if err != nil {
		return fmt.Errorf("session %s (trace %s): %w", sessionID, res.TraceID, err)
	}
	fmt.Println("trace id:", res.TraceID)
	return nil
}
