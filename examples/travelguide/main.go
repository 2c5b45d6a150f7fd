// Command travelguide runs the camping-supplies travel guide from the seeds
// and sends its traces to Cairn (OTEL_EXPORTER_OTLP_ENDPOINT, default
// http://127.0.0.1:4318). Like the seed, it turns content recording on
// (AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED=true) unless already set.
//
//	go run ./examples/travelguide ["question"]
//
// It calls OPENAI_BASE_URL (with OPENAI_API_KEY and MODEL), or an offline
// stand-in model when OPENAI_BASE_URL is unset.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-dev/cairn/examples/modelclient"
	"github.com/cairn-dev/cairn/examples/travelguide/travelguide"
	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/cairn"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, strings.Join(os.Args[1:], " ")); err != nil {
		fmt.Fprintln(os.Stderr, "travelguide:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, question string) (err error) {
	if question == "" {
		question = travelguide.DefaultQuestion
	}
	if _, set := os.LookupEnv(genaihttp.EnvAzureCaptureContent); !set {
		os.Setenv(genaihttp.EnvAzureCaptureContent, "true") // as the seed does, before instrumenting
	}
	shutdown, err := cairn.Setup(ctx, cairn.WithServiceName("travel-guide"))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, shutdown(context.WithoutCancel(ctx))) }()

	cfg, stopModel, err := modelclient.FromEnv(standin.Options{Latency: 300 * time.Millisecond})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopModel(context.WithoutCancel(ctx))) }()

	guide := &travelguide.Guide{Client: modelclient.New(cfg), Model: cfg.Model, SessionID: uuid.NewString()}
	res, err := guide.GenerateCompletion(ctx, question)
	if err != nil {
		return fmt.Errorf("session %s (trace %s): %w", guide.SessionID, res.TraceID, err)
	}
	fmt.Println(res.Answer)
	fmt.Println("trace id:", res.TraceID)
	return nil
}
