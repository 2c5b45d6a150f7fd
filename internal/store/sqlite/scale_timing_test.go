package sqlite

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// openScaleStore skips the test unless CAIRN_SCALE=1; otherwise it opens the store in
// CAIRN_SCALE_DIR (default: a temporary directory), closed when the test ends, and returns it
// with the number of items to write: the variable countVar (default 1,000,000).
func openScaleStore(t *testing.T, countVar string) (*Store, int) {
	t.Helper()
	if os.Getenv("CAIRN_SCALE") != "1" {
		t.Skip("set CAIRN_SCALE=1 to run (writes 1M items, a few minutes)")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv(countVar)); err == nil && v > 0 {
		n = v
	}
	dir := os.Getenv("CAIRN_SCALE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, n
}

// TestScale1M measures the store at scale; it is skipped unless CAIRN_SCALE=1:
//
//	CAIRN_SCALE=1 go test ./internal/store/sqlite -run TestScale1M -v -timeout 60m
//
// It writes CAIRN_SCALE_SPANS (default 1,000,000) GenAI-shaped spans (4-span traces, a ~2 KB
// prompt on the model call, spread over 7 days) in batches of 1,000, one Write at a time, then
// measures p50/p99 of each query and prints a table. CAIRN_SCALE_DIR keeps the database in a
// directory of your choice (default: a temporary directory, removed afterwards).
func TestScale1M(t *testing.T) {
	s, n := openScaleStore(t, "CAIRN_SCALE_SPANS")
	ctx := context.Background()

	// Batches are generated one ahead by another goroutine (as a receiver would decode them),
	// so generation is not counted in the store's time but does compete for the CPU.
	g := newBenchGen(7)
	g.now = time.Now().Add(-7 * 24 * time.Hour).UnixNano()
	g.gap = int64(7*24*time.Hour) / int64(n/4)
	g.early = n / 40
	type gen struct {
		b   *telemetry.Batch
		ids []telemetry.TraceID
	}
	next := make(chan gen, 2)
	go func() {
		for written := 0; written < n; written += 1000 {
			b := g.batch(1000)
			var ids []telemetry.TraceID
			for i := 0; i < len(b.Spans); i += 4 {
				ids = append(ids, b.Spans[i].TraceID)
			}
			next <- gen{b, ids}
		}
		close(next)
	}()
	var ids []telemetry.TraceID
	var writeTime, window time.Duration
	var windowSpans int
	var writeLat []time.Duration
	start := time.Now()
	var out strings.Builder
	fmt.Fprintf(&out, "\ningest, batches of 1000 spans, one writer:\n%10s %12s %12s %10s %10s\n",
		"spans", "window sp/s", "total sp/s", "RSS MB", "disk B/sp")
	written := 0
	for x := range next {
		t0 := time.Now()
		if err := s.Write(ctx, x.b); err != nil {
			t.Fatal(err)
		}
		d := time.Since(t0)
		writeTime += d
		window += d
		writeLat = append(writeLat, d)
		written += len(x.b.Spans)
		windowSpans += len(x.b.Spans)
		ids = append(ids, x.ids...)
		if written%100_000 == 0 || written >= n {
			fmt.Fprintf(&out, "%10d %12.0f %12.0f %10.0f %10.0f\n", written, float64(windowSpans)/window.Seconds(),
				float64(written)/writeTime.Seconds(), rssMB(), float64(s.DiskBytes())/float64(written))
			window, windowSpans = 0, 0
		}
	}
	wall := time.Since(start)
	slices.Sort(writeLat)
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "stored %d spans, %d traces; %.0f spans/s in Write (%.0f spans/s wall incl. generation); "+
		"Write p50 %s p99 %s max %s\n", st.Spans, st.Traces, float64(st.Spans)/writeTime.Seconds(),
		float64(st.Spans)/wall.Seconds(), pct(writeLat, 50), pct(writeLat, 99), writeLat[len(writeLat)-1])
	fmt.Fprintf(&out, "disk: %d bytes (%.0f bytes/span), RSS %.0f MB (peak %.0f MB)\n", st.DiskBytes,
		float64(st.DiskBytes)/float64(st.Spans), rssMB(), peakRSSMB())
	if st.Spans != int64(n) {
		t.Errorf("stored %d spans, want %d", st.Spans, n)
	}

	end := time.Now()
	rng := rand.New(rand.NewPCG(9, 9))
	fmt.Fprintf(&out, "\nqueries at %d spans (%d runs each, after one warm-up run):\n%-22s %10s %10s %10s %8s\n",
		st.Spans, 200, "query", "p50 ms", "p99 ms", "max ms", "results")
	row := func(name string, runs int, f func() (int, error)) { timeQuery(t, &out, 22, name, runs, f) }
	row("GetTrace", 2000, func() (int, error) {
		tr, err := s.GetTrace(ctx, ids[rng.IntN(len(ids))])
		if err != nil {
			return 0, err
		}
		return len(tr.Spans), nil
	})
	for _, c := range searchCases(end) {
		row("search "+c.name, 200, func() (int, error) {
			p, err := s.SearchTraces(ctx, c.q)
			return len(p.Traces), err
		})
	}
	row("search q=common p2", 200, func() (int, error) {
		p, err := s.SearchTraces(ctx, store.TraceQuery{Text: "waterfall"})
		if err != nil || p.NextCursor == "" {
			return 0, err
		}
		p, err = s.SearchTraces(ctx, store.TraceQuery{Text: "waterfall", Cursor: p.NextCursor})
		return len(p.Traces), err
	})
	row("GenAISeries 7d/1h/model", 50, func() (int, error) {
		ser, err := s.GenAISeries(ctx, store.GenAIQuery{Start: end.Add(-7 * 24 * time.Hour), End: end,
			Step: time.Hour, GroupBy: "model"})
		if err != nil {
			return 0, err
		}
		return len(ser.Groups), nil
	})
	row("Sessions", 200, func() (int, error) {
		p, err := s.Sessions(ctx, store.SessionQuery{})
		return len(p.Sessions), err
	})
	row("Session", 200, func() (int, error) {
		d, err := s.Session(ctx, "session_"+strconv.Itoa(rng.IntN(len(ids)/3)+1))
		if err != nil {
			return 0, err
		}
		return len(d.Traces), nil
	})
	row("Models 7d", 50, func() (int, error) {
		m, err := s.Models(ctx, store.ModelQuery{Start: end.Add(-7 * 24 * time.Hour), End: end})
		return len(m), err
	})
	fmt.Fprintf(&out, "RSS after queries %.0f MB (peak %.0f MB), GOMAXPROCS %d\n", rssMB(), peakRSSMB(), runtime.GOMAXPROCS(0))
	fmt.Print(out.String())
}

func pct(d []time.Duration, p int) time.Duration { return d[min(len(d)-1, len(d)*p/100)] }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// rssMB and peakRSSMB read VmRSS and VmHWM from /proc (0 elsewhere).
func rssMB() float64     { return procStatusMB("VmRSS:") }
func peakRSSMB() float64 { return procStatusMB("VmHWM:") }

func procStatusMB(field string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// TestScaleDashboard measures the dashboard reads (GenAISeries, Models) over 7 days holding
// CAIRN_SCALE_GENERATIONS (default 1,000,000) model calls; it is skipped unless CAIRN_SCALE=1:
//
//	CAIRN_SCALE=1 go test ./internal/store/sqlite -run TestScaleDashboard -v -timeout 60m
//
// Only generation spans are written (batches of 1,000: 10 traces of 100 chat spans, no message
// content), spread evenly over the 7 days up to now, over 4 services × 3 models, so every
// minute of every (service, model) has rollups: the dashboard's cost depends on those, not on
// the spans around the calls. CAIRN_SCALE_DIR keeps the database.
func TestScaleDashboard(t *testing.T) {
	s, n := openScaleStore(t, "CAIRN_SCALE_GENERATIONS")
	ctx := context.Background()
	end := time.Now()
	first := end.Add(-7 * 24 * time.Hour).UnixNano()
	gap := int64(7*24*time.Hour) / int64(n)
	rng := rand.New(rand.NewPCG(5, 5))
	var res []*telemetry.Resource
	for i := range 4 {
		res = append(res, &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": fmt.Sprintf("svc-%d", i)}})
	}
	models := []string{"gpt-4o", "gpt-4o-mini", "llama3"}
	t0 := time.Now()
	for k := 0; k < n; {
		b := &telemetry.Batch{}
		var tid telemetry.TraceID
		for i := 0; i < 1000 && k < n; i, k = i+1, k+1 {
			if i%100 == 0 {
				for j := range tid {
					tid[j] = byte(rng.Uint32())
				}
			}
			var sid telemetry.SpanID
			binary.BigEndian.PutUint64(sid[:], uint64(k+1))
			model := models[(k/4)%3]
			start := first + int64(k)*gap
			sp := &telemetry.Span{TraceID: tid, SpanID: sid, Name: "chat " + model, Kind: telemetry.SpanKindClient,
				StartUnixNano: start, EndUnixNano: start + 200e6 + int64(rng.IntN(2000e6)), Resource: res[k%4],
				Generation: &telemetry.Generation{Operation: "chat", Provider: "openai", RequestModel: model,
					Usage:   telemetry.Usage{InputTokens: ptr(int64(400 + k%200)), OutputTokens: ptr(int64(80))},
					CostUSD: ptr(0.0021)}}
			if k%50 == 0 {
				sp.Status.Code = telemetry.StatusError
			}
			b.Spans = append(b.Spans, sp)
		}
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\nwrote %d generation spans over 7 days in %s (%.0f spans/s), disk %d bytes\n", n,
		time.Since(t0).Round(time.Second), float64(n)/time.Since(t0).Seconds(), s.DiskBytes())
	// Fold the WAL of the bulk write into the file first: the checkpointer doing it during the
	// first queries would be timed with them.
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&out, "%-34s %10s %10s %10s %8s\n", "query", "p50 ms", "p99 ms", "max ms", "groups")
	row := func(name string, runs int, f func() (int, error)) { timeQuery(t, &out, 34, name, runs, f) }
	hour := end.Truncate(time.Hour)
	for _, c := range []struct {
		name string
		q    store.GenAIQuery
	}{
		{"GenAISeries 7d/1h/model", store.GenAIQuery{Start: end.Add(-7 * 24 * time.Hour), End: end, Step: time.Hour, GroupBy: "model"}},
		{"GenAISeries 7d/1h/model aligned", store.GenAIQuery{Start: hour.Add(-7 * 24 * time.Hour), End: hour, Step: time.Hour, GroupBy: "model"}},
		{"GenAISeries 7d/168m/model (UI)", store.GenAIQuery{Start: end.Add(-7 * 24 * time.Hour), End: end, Step: 168 * time.Minute, GroupBy: "model"}},
		{"GenAISeries 7d/1h/service", store.GenAIQuery{Start: end.Add(-7 * 24 * time.Hour), End: end, Step: time.Hour, GroupBy: "service"}},
		{"GenAISeries 7d/1h model=llama3", store.GenAIQuery{Start: end.Add(-7 * 24 * time.Hour), End: end, Step: time.Hour, Model: "llama3"}},
		{"GenAISeries 7d/5m/operation", store.GenAIQuery{Start: end.Add(-7 * 24 * time.Hour), End: end, Step: 5 * time.Minute, GroupBy: "operation"}},
		{"GenAISeries 24h/24m/model (UI)", store.GenAIQuery{Start: end.Add(-24 * time.Hour), End: end, Step: 24 * time.Minute, GroupBy: "model"}},
		{"GenAISeries 1h/1m/model (UI)", store.GenAIQuery{Start: end.Add(-time.Hour), End: end, Step: time.Minute, GroupBy: "model"}},
	} {
		row(c.name, 50, func() (int, error) {
			ser, err := s.GenAISeries(ctx, c.q)
			if err != nil {
				return 0, err
			}
			return len(ser.Groups), nil
		})
	}
	row("Models 7d", 50, func() (int, error) {
		m, err := s.Models(ctx, store.ModelQuery{Start: end.Add(-7 * 24 * time.Hour), End: end})
		return len(m), err
	})
	row("Models 24h", 50, func() (int, error) {
		m, err := s.Models(ctx, store.ModelQuery{Start: end.Add(-24 * time.Hour), End: end})
		return len(m), err
	})
	fmt.Fprintf(&out, "RSS %.0f MB (peak %.0f MB), GOMAXPROCS %d\n", rssMB(), peakRSSMB(), runtime.GOMAXPROCS(0))
	fmt.Print(out.String())
}

// TestScaleLive measures text search on live traffic; it is skipped unless CAIRN_SCALE=1:
//
//	CAIRN_SCALE=1 go test ./internal/store/sqlite -run TestScaleLive -v -timeout 60m
//
// It writes CAIRN_SCALE_SPANS (default 1,000,000) spans shaped as in TestScale1M, but as
// `cairn load` sends them: the traces arrive over one minute up to now, in batches of 752
// spans (the writer's average transaction under that load), and each trace ends as its batch
// arrives (a few microseconds apart) after a duration spread over 0.1–10 s. So traces of many
// recent batches overlap in start time, and a document's arrival order says little about its
// trace's start. It then measures p50/p99 of each trace search.
func TestScaleLive(t *testing.T) {
	s, n := openScaleStore(t, "CAIRN_SCALE_SPANS")
	ctx := context.Background()
	const batchSpans = 752
	batches := (n + batchSpans - 1) / batchSpans
	end := time.Now()
	first := end.Add(-time.Minute).UnixNano()
	g := newBenchGen(7)
	g.early = n / 40
	rng := rand.New(rand.NewPCG(13, 13))
	t0 := time.Now()
	for i := range batches {
		arrival := first + int64(i+1)*int64(time.Minute)/int64(batches)
		b := g.batch(batchSpans)
		for k := 0; k < len(b.Spans); k += 4 {
			liveTimes(b.Spans[k:k+4], arrival-int64(k/4)*1e3, 1e8+rng.Int64N(99e8))
		}
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\nlive: wrote %d spans, %d traces in %s (%.0f spans/s)\n", st.Spans, st.Traces,
		time.Since(t0).Round(time.Second), float64(st.Spans)/time.Since(t0).Seconds())
	fmt.Fprintf(&out, "%-22s %10s %10s %10s %8s\n", "query", "p50 ms", "p99 ms", "max ms", "results")
	for _, c := range searchCases(end) {
		timeQuery(t, &out, 22, "search "+c.name, 200, func() (int, error) {
			p, err := s.SearchTraces(ctx, c.q)
			return len(p.Traces), err
		})
	}
	for _, limit := range []int{50, 200} {
		timeQuery(t, &out, 22, fmt.Sprintf("search q=common l=%d", limit), 200, func() (int, error) {
			p, err := s.SearchTraces(ctx, store.TraceQuery{Text: "waterfall", Limit: limit})
			return len(p.Traces), err
		})
	}
	timeQuery(t, &out, 22, "search q=common p2", 200, func() (int, error) {
		p, err := s.SearchTraces(ctx, store.TraceQuery{Text: "waterfall", Limit: 50})
		if err != nil || p.NextCursor == "" {
			return 0, err
		}
		p, err = s.SearchTraces(ctx, store.TraceQuery{Text: "waterfall", Limit: 50, Cursor: p.NextCursor})
		return len(p.Traces), err
	})
	fmt.Print(out.String())
}

// liveTimes moves a benchGen trace (root, then three nested spans) to end at end after dur ns.
func liveTimes(spans []*telemetry.Span, end, dur int64) {
	start := end - dur
	for k, sp := range spans {
		sp.StartUnixNano = start + int64(k)*1e6
		sp.EndUnixNano = end - int64(k)*1e6
	}
}

// timeQuery runs f once to warm up, then runs times, and adds a row of its p50, p99 and
// maximum latency to out, the name padded to width.
func timeQuery(t *testing.T, out *strings.Builder, width int, name string, runs int, f func() (int, error)) {
	t.Helper()
	if _, err := f(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	d := make([]time.Duration, 0, runs)
	res := 0
	for range runs {
		t0 := time.Now()
		k, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d = append(d, time.Since(t0))
		res = k
	}
	slices.Sort(d)
	fmt.Fprintf(out, "%-*s %10.2f %10.2f %10.2f %8d\n", width, name, ms(pct(d, 50)), ms(pct(d, 99)), ms(d[len(d)-1]), res)
}
