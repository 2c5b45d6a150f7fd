package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one `cairn load` run.
type Config struct {
	// HTTPEndpoint is the base URL of the server's HTTP port: OTLP/HTTP, the API and /metrics.
	HTTPEndpoint string
	// GRPCEndpoint is the server's OTLP/gRPC host:port.
	GRPCEndpoint string
	// Protocols to run, in order: "grpc", "http". Each is a phase of ingest then queries.
	Protocols []string
	// Encoding of OTLP/HTTP requests (gRPC is always protobuf).
	Encoding Encoding
	// Gzip compresses requests (gzip over HTTP, the gzip compressor over gRPC).
	Gzip bool
	// Spans to send per phase (rounded up to whole requests); 0 means until Duration.
	Spans int64
	// Duration bounds each phase's ingest; 0 means until Spans.
	Duration time.Duration
	// BatchSpans is the number of spans per request, rounded down to whole traces (default 500).
	BatchSpans int
	// Concurrency is the number of concurrent senders (default 4).
	Concurrency int
	// Queries is the number of requests of each query kind (default 200; negative skips them).
	Queries int
	// NoIngest skips ingest: only queries, against whatever the server holds.
	NoIngest bool
	// APIToken is sent to /api and /metrics; IngestToken to the OTLP receivers.
	APIToken, IngestToken string
	// ContentSeed makes the generated text reproducible; IDSeed the ids (0: random).
	ContentSeed, IDSeed uint64
	// RareEvery puts RareWord in one trace in RareEvery (default 1000).
	RareEvery int
	// Progress is the interval of progress lines on Log (default 5s; negative: none).
	Progress time.Duration
	// WaitTimeout bounds the wait for the server to report every sent span stored (default 10m).
	WaitTimeout time.Duration
	// GeneratorProbe is how long the generator is timed alone before ingest (default 1s;
	// negative skips it).
	GeneratorProbe time.Duration
	// Log receives progress lines; nil discards.
	Log io.Writer
}

func (c *Config) setDefaults() error {
	if c.HTTPEndpoint == "" {
		c.HTTPEndpoint = "http://127.0.0.1:4318"
	}
	if !strings.Contains(c.HTTPEndpoint, "://") {
		c.HTTPEndpoint = "http://" + c.HTTPEndpoint
	}
	if c.GRPCEndpoint == "" {
		c.GRPCEndpoint = "127.0.0.1:4317"
	}
	if len(c.Protocols) == 0 {
		c.Protocols = []string{"grpc"}
	}
	for _, p := range c.Protocols {
		if p != "grpc" && p != "http" {
			return fmt.Errorf("protocol %q: want grpc or http", p)
		}
	}
	if c.BatchSpans <= 0 {
		c.BatchSpans = 500
	}
	if c.BatchSpans < SpansPerTrace {
		c.BatchSpans = SpansPerTrace
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
	if c.Queries == 0 {
		c.Queries = 200
	}
	if c.RareEvery <= 0 {
		c.RareEvery = 1000
	}
	if c.Progress == 0 {
		c.Progress = 5 * time.Second
	}
	if c.WaitTimeout <= 0 {
		c.WaitTimeout = 10 * time.Minute
	}
	if c.GeneratorProbe == 0 {
		c.GeneratorProbe = time.Second
	}
	if c.IDSeed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.IDSeed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if !c.NoIngest && c.Spans <= 0 && c.Duration <= 0 {
		return errors.New("give --spans or --duration (or both; ingest stops at the first reached)")
	}
	return nil
}

// Run runs every phase and returns the report. A phase that fails stops the run; the report
// then holds the phases before it.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	api := newAPIClient(cfg.HTTPEndpoint, cfg.APIToken)
	rep := &Report{Machine: machine(), Config: reportConfig(cfg)}
	rep.Server = serverInfo(ctx, api)
	for i, proto := range cfg.Protocols {
		ph, err := runPhase(ctx, cfg, api, proto, uint64(i))
		if ph != nil {
			rep.Phases = append(rep.Phases, *ph)
		}
		if err != nil {
			return rep, fmt.Errorf("%s phase: %w", proto, err)
		}
	}
	return rep, nil
}

// runPhase ingests over one protocol, waits for the store, and times the queries.
func runPhase(ctx context.Context, cfg Config, api *apiClient, proto string, index uint64) (*Phase, error) {
	enc := Proto
	if proto == "http" {
		enc = cfg.Encoding
	}
	ph := &Phase{Protocol: proto, Encoding: enc.String(), Gzip: cfg.Gzip, Concurrency: cfg.Concurrency}
	if cfg.NoIngest {
		ph.Protocol = "none (--no-ingest)"
		ph.Encoding = ""
	}
	gen, err := NewGenerator(GenOptions{
		TracesPerRequest: max(cfg.BatchSpans/SpansPerTrace, 1),
		Encoding:         enc,
		ContentSeed:      cfg.ContentSeed,
		IDSeed:           mix(cfg.IDSeed + index),
		RareEvery:        cfg.RareEvery,
	})
	if err != nil {
		return nil, fmt.Errorf("build requests: %w", err)
	}
	ph.BatchSpans = gen.SpansPerRequest()
	before, err := api.metrics(ctx)
	if err != nil {
		return nil, err
	}
	if !before.HasStoreSpans {
		return nil, fmt.Errorf("%s/metrics has no cairn_store_spans: is this a Cairn server?", cfg.HTTPEndpoint)
	}
	var tracesSent uint64
	if !cfg.NoIngest {
		if cfg.GeneratorProbe > 0 {
			ph.GeneratorSpansPerSec = probeGenerator(ctx, gen, cfg, proto)
			fmt.Fprintf(cfg.Log, "%s: generator alone: %s spans/s\n", proto, commas(ph.GeneratorSpansPerSec))
		}
		ing, err := ingest(ctx, cfg, api, gen, proto, before)
		ph.Ingest = ing
		if err != nil {
			return ph, err
		}
		tracesSent = uint64(ing.Traces)
	}
	after, err := api.metrics(ctx)
	if err != nil {
		return ph, err
	}
	ph.Store = storeStats(after)
	if cfg.Queries > 0 {
		fmt.Fprintf(cfg.Log, "%s: timing queries, %d of each kind\n", proto, cfg.Queries)
		ph.Queries, err = runQueries(ctx, cfg, api, gen, tracesSent)
		if err != nil {
			return ph, err
		}
	}
	if final, err := api.metrics(ctx); err == nil {
		ph.Store.PeakRSSBytes = final.PeakRSS
		ph.Store.RSSBytes = final.RSS
	}
	return ph, nil
}

func storeStats(m serverMetrics) StoreStats {
	s := StoreStats{Spans: int64(m.StoreSpans), Traces: int64(m.StoreTraces), DiskBytes: int64(m.DiskBytes),
		PeakRSSBytes: m.PeakRSS, RSSBytes: m.RSS}
	if m.StoreSpans > 0 {
		s.DiskBytesPerSpan = m.DiskBytes / m.StoreSpans
	}
	return s
}

// probeGenerator times building (and, over HTTP with gzip, compressing) requests with as many
// goroutines as senders, sending nothing.
func probeGenerator(ctx context.Context, gen *Generator, cfg Config, proto string) float64 {
	var built atomic.Int64
	deadline := time.Now().Add(cfg.GeneratorProbe)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			z := newGzipper()
			for n := uint64(w); time.Now().Before(deadline) && ctx.Err() == nil; n += uint64(cfg.Concurrency) {
				buf = gen.Build(buf, n, time.Now())
				if cfg.Gzip && proto == "http" {
					_, _ = z.compress(buf)
				}
				built.Add(int64(gen.SpansPerRequest()))
			}
		}()
	}
	wg.Wait()
	return float64(built.Load()) / time.Since(start).Seconds()
}

// ingest sends requests with cfg.Concurrency senders until cfg.Spans or cfg.Duration, then
// waits until the server reports them stored.
func ingest(ctx context.Context, cfg Config, api *apiClient, gen *Generator, proto string, before serverMetrics) (*IngestResult, error) {
	var snd sender
	switch proto {
	case "grpc":
		s, err := newGRPCSender(cfg.GRPCEndpoint, cfg.IngestToken, cfg.Gzip)
		if err != nil {
			return nil, err
		}
		snd = s
	default:
		snd = newHTTPSender(cfg.HTTPEndpoint, cfg.IngestToken, gen.Options().Encoding, cfg.Gzip, cfg.Concurrency)
	}
	defer snd.close()

	per := int64(gen.SpansPerRequest())
	total := uint64(1<<63 - 1)
	if cfg.Spans > 0 {
		total = uint64((cfg.Spans + per - 1) / per)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next     atomic.Uint64
		requests atomic.Int64
		retries  atomic.Int64
		wireSize atomic.Int64
		wg       sync.WaitGroup
	)
	cpu0 := ProcessCPU()
	load0 := loadAverage()
	start := time.Now()
	walMax, stopWAL := sampleWAL(ctx, api)
	defer stopWAL()
	var deadline time.Time
	if cfg.Duration > 0 {
		deadline = start.Add(cfg.Duration)
	}
	stopProgress := startProgress(ctx, cfg, api, proto, start, before, per, &requests, &retries)
	for range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			var z *gzipper
			if cfg.Gzip && proto == "http" {
				z = newGzipper()
			}
			for ctx.Err() == nil {
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				n := next.Add(1) - 1
				if n >= total {
					return
				}
				buf = gen.Build(buf, n, time.Now())
				body := buf
				if z != nil {
					var err error
					if body, err = z.compress(buf); err != nil {
						cancel(err)
						return
					}
				}
				if err := sendWithRetry(ctx, snd, body, &retries); err != nil {
					cancel(err)
					return
				}
				wireSize.Add(int64(len(body)))
				requests.Add(1)
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	cpu1 := ProcessCPU()
	load1 := loadAverage()
	stopProgress()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	res := &IngestResult{
		Requests: requests.Load(),
		Retries:  retries.Load(),
		Seconds:  end.Sub(start).Seconds(),
	}
	res.Spans = res.Requests * per
	res.Traces = res.Spans / SpansPerTrace
	if res.Requests > 0 {
		res.RequestBytes = wireSize.Load() / res.Requests
	}
	res.SentSpansPerSec = float64(res.Spans) / res.Seconds
	res.LoadCPUSeconds = (cpu1 - cpu0).Seconds()
	fmt.Fprintf(cfg.Log, "%s: sent %s spans in %.1fs (%s spans/s); waiting for the store\n",
		proto, commas(float64(res.Spans)), res.Seconds, commas(res.SentSpansPerSec))

	// Wait until the server reports every span stored.
	want := before.StoreSpans + float64(res.Spans)
	waitCtx, waitCancel := context.WithTimeout(ctx, cfg.WaitTimeout)
	defer waitCancel()
	var m serverMetrics
	for {
		var err error
		if m, err = api.metrics(waitCtx); err == nil && m.StoreSpans >= want {
			break
		}
		select {
		case <-waitCtx.Done():
			return res, fmt.Errorf("the server stores %.0f of %.0f spans after waiting %s: spans were lost or the store is slow (raise --wait-timeout)",
				m.StoreSpans-before.StoreSpans, float64(res.Spans), cfg.WaitTimeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
	stopWAL()
	res.StoredSpans = int64(m.StoreSpans - before.StoreSpans)
	res.StoredSeconds = m.ScrapedAt.Sub(start).Seconds()
	res.StoredSpansPerSec = float64(res.StoredSpans) / res.StoredSeconds
	res.ServerCPUSeconds = m.CPUSeconds - before.CPUSeconds
	res.QueueRefusedItems = int64(m.QueueRefused - before.QueueRefused)
	res.Transactions = int64(m.WriteCount - before.WriteCount)
	res.WriterSeconds = m.WriteSeconds - before.WriteSeconds
	res.WriterCPUSeconds = m.WriteCPU - before.WriteCPU
	res.MaxWALBytes = max(*walMax, m.WALBytes)
	res.WALResets = int64(m.WALResets - before.WALResets)
	res.WALPauseSeconds = m.WALPause - before.WALPause
	res.LoadAverage = [2]float64{load0, load1}
	return res, nil
}

// sampleWAL records the largest cairn_store_wal_bytes the server reports, every second, until
// stop is called (after which the result is final).
func sampleWAL(ctx context.Context, api *apiClient) (maxBytes *float64, stop func()) {
	maxBytes = new(float64)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if m, err := api.metrics(ctx); err == nil {
					*maxBytes = max(*maxBytes, m.WALBytes)
				}
			}
		}
	}()
	var once sync.Once
	return maxBytes, func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

// sendWithRetry sends body until the server takes it, waiting as a refusal asks.
func sendWithRetry(ctx context.Context, snd sender, body []byte, retries *atomic.Int64) error {
	for {
		err := snd.send(ctx, body)
		var re *retryError
		if !errors.As(err, &re) {
			if err != nil && ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return err
		}
		retries.Add(1)
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-time.After(re.after):
		}
	}
}

// startProgress prints a line every cfg.Progress until the returned function is called.
func startProgress(ctx context.Context, cfg Config, api *apiClient, proto string, start time.Time,
	before serverMetrics, per int64, requests, retries *atomic.Int64) func() {
	if cfg.Progress < 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(cfg.Progress)
		defer t.Stop()
		last, lastAt := int64(0), start
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-t.C:
				sent := requests.Load() * per
				rate := float64(sent-last) / now.Sub(lastAt).Seconds()
				last, lastAt = sent, now
				line := fmt.Sprintf("%s [%5.0fs] sent %s spans, %s/s now, %s/s average, %d retries",
					proto, now.Sub(start).Seconds(), commas(float64(sent)), commas(rate),
					commas(float64(sent)/now.Sub(start).Seconds()), retries.Load())
				mctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				if m, err := api.metrics(mctx); err == nil {
					line += fmt.Sprintf(", server queue %s items, stored %s spans",
						commas(m.QueueItems), commas(m.StoreSpans-before.StoreSpans))
				}
				cancel()
				fmt.Fprintln(cfg.Log, line)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// serverInfo reads /api/v1/info for the report.
func serverInfo(ctx context.Context, api *apiClient) ServerInfo {
	info := ServerInfo{HTTP: api.base}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	code, body, err := api.get(ctx, "/api/v1/info")
	if err == nil && code == http.StatusOK {
		var v struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(body, &v) == nil {
			info.Version = v.Version
		}
	}
	return info
}

func machine() Machine {
	return Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), CPUModel: cpuModel(), Go: runtime.Version()}
}
