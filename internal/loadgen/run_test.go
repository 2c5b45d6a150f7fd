package loadgen

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/server"
)

// startServer runs an in-process Cairn on free ports with a temporary data directory.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, server.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Run(ctx, &bytes.Buffer{}); err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return srv
}

// TestLoadAgainstServer sends 20,000 spans over each protocol to an in-process server and
// checks that every span is stored and every query row is reported without errors.
func TestLoadAgainstServer(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 40,000 spans")
	}
	srv := startServer(t)
	var progress bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Config{
		HTTPEndpoint:   "http://" + srv.HTTPAddr(),
		GRPCEndpoint:   srv.GRPCAddr(),
		Protocols:      []string{"grpc", "http"},
		Spans:          20_000,
		BatchSpans:     400,
		Concurrency:    3,
		Queries:        5,
		Gzip:           true,
		RareEvery:      100,
		Progress:       200 * time.Millisecond,
		GeneratorProbe: 50 * time.Millisecond,
		Log:            &progress,
	})
	if err != nil {
		t.Fatalf("run: %v\nprogress:\n%s", err, progress.String())
	}
	if len(rep.Phases) != 2 {
		t.Fatalf("%d phases, want 2", len(rep.Phases))
	}
	var stored int64
	for _, ph := range rep.Phases {
		in := ph.Ingest
		if in == nil || in.Spans != 20_000 || in.StoredSpans != 20_000 || in.Traces != 5_000 {
			t.Fatalf("%s: ingest %+v, want 20,000 spans sent and stored", ph.Protocol, in)
		}
		stored += in.StoredSpans
		if in.Transactions <= 0 || in.WriterSeconds <= 0 {
			t.Errorf("%s: writer not measured: %+v", ph.Protocol, in)
		}
		if ph.Store.Spans != stored || ph.Store.DiskBytesPerSpan <= 0 || ph.Store.PeakRSSBytes <= 0 {
			t.Fatalf("%s: store %+v, want %d spans, disk and RSS", ph.Protocol, ph.Store, stored)
		}
		if ph.GeneratorSpansPerSec <= 0 {
			t.Errorf("%s: generator rate not measured", ph.Protocol)
		}
		if len(ph.Queries) != len(QueryNames) {
			t.Fatalf("%s: %d query rows, want %d", ph.Protocol, len(ph.Queries), len(QueryNames))
		}
		for i, q := range ph.Queries {
			if q.Name != QueryNames[i] || q.Errors != 0 || q.P50Ms <= 0 || q.MaxMs < q.P99Ms || q.P99Ms < q.P50Ms {
				t.Errorf("%s: query row %+v", ph.Protocol, q)
			}
			if q.MeanItems == 0 {
				t.Errorf("%s: %s returned nothing (%s)", ph.Protocol, q.Name, q.Example)
			}
		}
		if q := ph.Queries[0]; q.MeanItems != SpansPerTrace {
			t.Errorf("trace by id returned %.1f spans, want %d", q.MeanItems, SpansPerTrace)
		}
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range append([]string{"Stored rate", "Disk per span", "Server peak RSS", "Store writer"}, QueryNames...) {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	if !strings.Contains(progress.String(), "sent") {
		t.Errorf("no progress lines: %q", progress.String())
	}
	t.Logf("\n%s", md.String())

	// Queries alone, against what the server now holds.
	rep, err = Run(ctx, Config{HTTPEndpoint: "http://" + srv.HTTPAddr(), NoIngest: true, Queries: 2, Progress: -1})
	if err != nil {
		t.Fatalf("--no-ingest: %v", err)
	}
	for _, q := range rep.Phases[0].Queries {
		if q.Errors != 0 {
			t.Errorf("--no-ingest: %s: %s", q.Name, q.FirstError)
		}
	}
}
