package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/genai"
	"github.com/cairn-dev/cairn/internal/ingest/otlp"
	"github.com/cairn-dev/cairn/internal/loadgen"
	"github.com/cairn-dev/cairn/internal/pipeline"
	"github.com/cairn-dev/cairn/internal/store/sqlite"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// BenchmarkIngestPath measures the server's ingest path in process, with and without GenAI
// normalisation: OTLP/HTTP protobuf requests of 500 GenAI-shaped spans (the load generator's
// traces: a ~2 KB prompt per model call) through the OTLP handler, value bounds, genai.Enrich
// (genai=on only), the pipeline and a real SQLite store on disk. Each iteration is one request,
// acknowledged after commit; 4 requests are in flight, as with `cairn load`'s defaults.
// Comparing the two spans/s figures answers what understanding GenAI costs at ingest.
func BenchmarkIngestPath(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("genai=%v", on), func(b *testing.B) { benchmarkIngest(b, on) })
	}
}

func benchmarkIngest(b *testing.B, genaiOn bool) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pipe := pipeline.New(st, pipeline.Options{}, nil, logger)
	defer pipe.Close(ctx)
	norm, err := genai.New(genai.Options{})
	if err != nil {
		b.Fatal(err)
	}
	maxValue := Config{}.withDefaults().MaxValueBytes
	next := consumer.Func(func(ctx context.Context, bt *telemetry.Batch) error {
		telemetry.Sanitize(bt, maxValue)
		if genaiOn {
			norm.Enrich(bt)
		}
		return pipe.Consume(ctx, bt)
	})
	h := otlp.NewHTTPHandler(next, otlp.Options{}, logger).Handler(otlp.SignalTraces)
	gen, err := loadgen.NewGenerator(loadgen.GenOptions{IDSeed: uint64(time.Now().UnixNano())})
	if err != nil {
		b.Fatal(err)
	}
	spans := gen.SpansPerRequest()
	b.SetBytes(int64(gen.TemplateBytes(0)))
	b.ReportAllocs()
	b.SetParallelism(2) // 2 × GOMAXPROCS(2) = 4 senders
	var n atomic.Uint64
	end := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var body []byte
		for pb.Next() {
			body = gen.Build(body, n.Add(1), end)
			req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-protobuf")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("export: HTTP %d: %s", rec.Code, rec.Body.Bytes())
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
}
