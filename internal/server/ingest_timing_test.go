package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/genai"
	"github.com/cairn-dev/cairn/internal/ingest/breeze"
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
// acknowledged after commit; 4 requests are in flight, as with `cairn load`'s defaults. The
// timing ends when the full-text index holds every document too (it is written beside the
// store's writer, after the acknowledgement). Comparing the two spans/s figures answers what
// understanding GenAI costs at ingest; cpu-ms/op, the process's CPU time per request, is the
// steadier measure of it on a machine whose cores are shared.
func BenchmarkIngestPath(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("genai=%v", on), func(b *testing.B) { benchmarkIngest(b, on) })
	}
}

// benchIngestConsumer is the server's ingest consumer over a real SQLite store in a temporary
// directory; everything it starts is stopped when the benchmark ends.
func benchIngestConsumer(b *testing.B, genaiOn bool) (consumer.Consumer, *sqlite.Store) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	pipe := pipeline.New(st, pipeline.Options{}, nil, logger)
	b.Cleanup(func() {
		if err := pipe.Close(ctx); err != nil {
			b.Error(err)
		}
		if err := st.Close(); err != nil {
			b.Error(err)
		}
	})
	norm, err := genai.New(genai.Options{})
	if err != nil {
		b.Fatal(err)
	}
	maxValue := Config{}.withDefaults().MaxValueBytes
	return consumer.Func(func(ctx context.Context, bt *telemetry.Batch) error {
		telemetry.Sanitize(bt, maxValue)
		if genaiOn {
			norm.Enrich(bt)
		}
		return pipe.Consume(ctx, bt)
	}), st
}

func benchmarkIngest(b *testing.B, genaiOn bool) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	next, st := benchIngestConsumer(b, genaiOn)
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
	b.ResetTimer() // the generator's templates and the store's creation are not ingest
	cpu := loadgen.ProcessCPU()
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
	if err := st.WaitIndexed(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*spans)/b.Elapsed().Seconds(), "spans/s")
	// CPU per request (every goroutine of the process, the full-text indexer's included): on a
	// machine whose cores are all busy, this, not the wall time, decides the rate.
	b.ReportMetric(float64(loadgen.ProcessCPU()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkIngestBreeze measures Application Insights envelopes ingested per second in process:
// requests of 100 copies of the envelopes the real JS exporter sent (internal/ingest/breeze
// fixtures: requests, GenAI dependencies, messages with prompts, exceptions, metrics), each copy
// with its own operation ids, through the Breeze handler, GenAI normalisation, the pipeline and
// a real SQLite store. 4 requests are in flight.
func BenchmarkIngestBreeze(b *testing.B) {
	var copies [][]byte
	for _, name := range []string{"breeze-js-beta47-traces.json", "breeze-js-beta47-logs.json"} {
		raw, err := os.ReadFile("../ingest/breeze/testdata/" + name)
		if err != nil {
			b.Fatal(err)
		}
		copies = append(copies, bytes.Trim(bytes.TrimSpace(raw), "[]"))
	}
	one := bytes.Join(copies, []byte(","))
	envelopes := bytes.Count(one, []byte(`"ver":1,"name":`))
	opIDs := map[string]bool{}
	for _, m := range regexp.MustCompile(`"ai.operation.id":"([0-9a-f]{32})"`).FindAllSubmatch(one, -1) {
		opIDs[string(m[1])] = true
	}
	const perRequest = 100
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	next, st := benchIngestConsumer(b, true)
	breeze.NewHandler(next, breeze.Options{}, logger).Register(mux)
	b.SetBytes(int64(len(one) * perRequest))
	b.ReportAllocs()
	b.SetParallelism(2)
	var n atomic.Uint64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var id [16]byte
		for pb.Next() {
			req := n.Add(1)
			body := []byte{'['}
			for c := range perRequest {
				cp := one
				k := 0
				for old := range opIDs {
					binary.BigEndian.PutUint64(id[:8], req)
					binary.BigEndian.PutUint64(id[8:], uint64(c*len(opIDs)+k+1))
					cp = bytes.ReplaceAll(cp, []byte(old), []byte(hex.EncodeToString(id[:])))
					k++
				}
				if c > 0 {
					body = append(body, ',')
				}
				body = append(body, cp...)
			}
			body = append(body, ']')
			r := httptest.NewRequest(http.MethodPost, "/v2.1/track", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Errorf("track: HTTP %d: %s", rec.Code, rec.Body.Bytes())
				return
			}
		}
	})
	if err := st.WaitIndexed(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*perRequest*envelopes)/b.Elapsed().Seconds(), "envelopes/s")
}
