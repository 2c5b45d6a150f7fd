package loadgen

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/genai"
	"github.com/cairn-dev/cairn/internal/ingest/otlp"
	"github.com/cairn-dev/cairn/internal/store/sqlite"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// The benchmarks below split the server's ingest CPU into its stages, on the requests `cairn
// load` sends (500 spans each): decoding and normalisation (the receiver's goroutine), Prepare
// (also the request's goroutine) and the store transaction (the single writer goroutine).
// Reported per span; the writer's µs/span bounds the server's rate at 1e6/µs spans/s.
//
//	go test ./internal/loadgen -run XXX -bench 'Ingest' -benchtime 100x

// decoder turns generated requests into normalised batches through the OTLP/HTTP receiver.
type decoder struct {
	gen  *Generator
	h    http.Handler
	norm *genai.Normalizer
	got  *telemetry.Batch
	buf  []byte
}

func newDecoder(tb testing.TB, seed uint64) *decoder {
	gen, err := NewGenerator(GenOptions{IDSeed: seed, ContentSeed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	norm, err := genai.New(genai.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	d := &decoder{gen: gen, norm: norm}
	d.h = otlp.NewHTTPHandler(consumer.Func(func(_ context.Context, b *telemetry.Batch) error {
		telemetry.Sanitize(b, 1<<20)
		norm.Enrich(b)
		d.got = b
		return nil
	}), otlp.Options{}, nil).Handler(otlp.SignalTraces)
	return d
}

// batch decodes request n.
func (d *decoder) batch(tb testing.TB, n uint64) *telemetry.Batch {
	d.buf = d.gen.Build(d.buf, n, time.Now())
	req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(d.buf))
	req.Header.Set("Content-Type", "application/x-protobuf")
	rec := httptest.NewRecorder()
	d.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || d.got == nil {
		tb.Fatalf("decode request %d: HTTP %d %s", n, rec.Code, rec.Body.String())
	}
	b := d.got
	d.got = nil
	return b
}

func perSpan(b *testing.B, spans int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N)/float64(spans), "µs/span")
}

// BenchmarkIngestDecode is the receiver's share: protobuf decode, conversion, Sanitize, Enrich.
func BenchmarkIngestDecode(b *testing.B) {
	d := newDecoder(b, 1)
	n := uint64(0)
	for b.Loop() {
		d.batch(b, n)
		n++
	}
	perSpan(b, d.gen.SpansPerRequest())
}

// BenchmarkIngestPrepare is the store's Prepare of one request (encoding, compression,
// full-text words).
func BenchmarkIngestPrepare(b *testing.B) {
	d := newDecoder(b, 2)
	st, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	batch := d.batch(b, 0)
	for b.Loop() {
		st.Prepare(batch)
	}
	perSpan(b, d.gen.SpansPerRequest())
}

// BenchmarkIngestWrite is the writer's share: one transaction of two prepared requests (1,000
// spans, about the group commit of `cairn load`'s defaults; CAIRN_BENCH_GROUP=n for n
// requests), on a store growing by that much per iteration.
func BenchmarkIngestWrite(b *testing.B) {
	d := newDecoder(b, 3)
	st, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	n := uint64(0)
	size := 2
	if v, err := strconv.Atoi(os.Getenv("CAIRN_BENCH_GROUP")); err == nil && v > 0 {
		size = v
	}
	group := make([]any, size)
	for b.Loop() {
		b.StopTimer()
		for i := range group {
			group[i] = st.Prepare(d.batch(b, n))
			n++
		}
		b.StartTimer()
		if err := st.WritePrepared(ctx, group); err != nil {
			b.Fatal(err)
		}
	}
	perSpan(b, size*d.gen.SpansPerRequest())
}
