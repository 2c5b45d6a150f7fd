package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// words make prompts that compress like real text rather than like repeated bytes.
var words = strings.Fields(`trail hike mountain ridge forest river lake summit valley weather sunny rain
wind cold warm kilometres miles elevation gain loss difficulty easy moderate hard beginner expert family
dog friendly parking permit season spring summer autumn winter snow ice boots water snacks map compass
recommend suggest route loop out back scenic view waterfall meadow wildflowers wildlife bear deer bird
camp tent stove sleeping bag backpack guide ranger station visitor centre open closed trailhead junction
the a of to and in for with on at from by about near best popular quiet crowded morning afternoon evening`)

// benchGen builds GenAI-shaped traces: 4 spans, the model call carrying a ~2 KB prompt.
type benchGen struct {
	rng   *rand.Rand
	res   []*telemetry.Resource
	next  int
	now   int64 // start of the first trace
	gap   int64 // between trace starts, ns
	early int   // traces numbered up to early may carry oldWord
}

// Words of the text searches: rareWord is in the prompt of one trace in 1,000 (traces numbered
// 1000, 2000, ...), midWord in one in 20, and oldWord in one in 10 of the traces numbered up to
// benchGen.early only (a word that went out of use).
const (
	rareWord = "quokka"
	midWord  = "marmot"
	oldWord  = "glacier"
)

func newBenchGen(seed uint64) *benchGen {
	g := &benchGen{rng: rand.New(rand.NewPCG(seed, 1)), now: time.Now().Add(-24 * time.Hour).UnixNano(), gap: 1e6}
	for i := range 4 {
		g.res = append(g.res, &telemetry.Resource{Attributes: telemetry.Attributes{
			"service.name": fmt.Sprintf("svc-%d", i), "service.version": "1.4.2", "telemetry.sdk.name": "opentelemetry",
			"telemetry.sdk.language": "python", "telemetry.sdk.version": "1.27.0", "host.name": "web-01",
			"process.pid": int64(4242), "cloud.region": "westeurope"}})
	}
	return g
}

func (g *benchGen) text(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[g.rng.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()
}

func (g *benchGen) trace() []*telemetry.Span {
	g.next++
	var tid telemetry.TraceID
	for i := range tid {
		tid[i] = byte(g.rng.Uint32())
	}
	start := g.now + int64(g.next)*g.gap
	res := g.res[g.next%len(g.res)]
	session := "session_" + strconv.Itoa(g.next/3)
	sid := func(k int) telemetry.SpanID {
		var s telemetry.SpanID
		s[0] = byte(k + 1)
		copy(s[1:], tid[:7])
		return s
	}
	mk := func(k, parent int, name string, kind telemetry.SpanKind, dur int64) *telemetry.Span {
		s := &telemetry.Span{TraceID: tid, SpanID: sid(k), Name: name, Kind: kind,
			StartUnixNano: start + int64(k)*1e6, EndUnixNano: start + int64(k)*1e6 + dur, Resource: res,
			Attributes: telemetry.Attributes{"session.id": session, "code.function": name},
			Scope:      telemetry.Scope{Name: "trail_guide", Version: "1.0.0"}, SessionID: session}
		if parent >= 0 {
			s.ParentSpanID = sid(parent)
		}
		return s
	}
	prompt := g.text(2000)
	if g.next%1000 == 0 {
		prompt += rareWord
	}
	if g.next%20 == 0 {
		prompt += " " + midWord
	}
	if g.next <= g.early && g.next%10 == 0 {
		prompt += " " + oldWord
	}
	answer := g.text(300)
	model := []string{"gpt-4o", "gpt-4o-mini", "llama3"}[g.next%3]
	chat := mk(3, 2, "chat "+model, telemetry.SpanKindClient, 400e6+int64(g.rng.IntN(800e6)))
	chat.Attributes["gen_ai.request.model"] = model
	chat.Attributes["gen_ai.operation.name"] = "chat"
	chat.Attributes["gen_ai.usage.input_tokens"] = int64(500)
	chat.Attributes["gen_ai.usage.output_tokens"] = int64(80)
	chat.Attributes["gen_ai.prompt.0.content"] = prompt
	chat.Generation = &telemetry.Generation{Operation: "chat", Provider: "openai", RequestModel: model,
		ResponseModel: model, Usage: telemetry.Usage{InputTokens: ptr(int64(500)), OutputTokens: ptr(int64(80))},
		CostUSD: ptr(0.0021), ContentRecorded: true,
		InputMessages:  []telemetry.Message{{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: prompt}}}},
		OutputMessages: []telemetry.Message{{Role: "assistant", Parts: []telemetry.Part{{Type: "text", Content: answer}}}}}
	if g.next%50 == 0 {
		chat.Status.Code = telemetry.StatusError
	}
	return []*telemetry.Span{
		mk(0, -1, "trail_guide_session", telemetry.SpanKindServer, 1500e6),
		mk(1, 0, "recommend_hike", telemetry.SpanKindInternal, 1400e6),
		mk(2, 1, "recommend_model_call", telemetry.SpanKindInternal, 1300e6),
		chat,
	}
}

func ptr[T any](v T) *T { return &v }

// rawBytes is the uncompressed encoded size of a batch's spans: what SetBytes reports, so
// MB/s is the rate of span data stored.
func rawBytes(b *telemetry.Batch) int64 {
	var n int64
	for _, sp := range b.Spans {
		e := encoder{}
		encodeSpan(&e, sp)
		n += int64(len(e.b))
	}
	return n
}

func (g *benchGen) batch(spans int) *telemetry.Batch {
	b := &telemetry.Batch{}
	for len(b.Spans) < spans {
		b.Spans = append(b.Spans, g.trace()...)
	}
	return b
}

// BenchmarkWrite measures ingest of 1,000-span GenAI-shaped batches.
func BenchmarkWrite(b *testing.B) {
	s := openTest(b)
	g := newBenchGen(1)
	batches := make([]*telemetry.Batch, 50)
	for i := range batches {
		batches[i] = g.batch(1000)
	}
	b.SetBytes(rawBytes(batches[0]))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		if i%len(batches) == 0 && i > 0 {
			b.StopTimer()
			for j := range batches {
				batches[j] = g.batch(1000)
			}
			b.StartTimer()
		}
		if err := s.Write(context.Background(), batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
	}
	el := time.Since(start)
	st, _ := s.Stats(context.Background())
	b.ReportMetric(float64(st.Spans)/el.Seconds(), "spans/s")
	b.ReportMetric(float64(st.DiskBytes)/float64(max(st.Spans, 1)), "disk-B/span")
}

// benchSpans is the prefill size of the read benchmarks: CAIRN_BENCH_SPANS (default 200,000).
func benchSpans() int {
	if v, err := strconv.Atoi(os.Getenv("CAIRN_BENCH_SPANS")); err == nil && v > 0 {
		return v
	}
	return 200_000
}

// The read benchmarks share one prefilled store (filled on first use, removed by TestMain's
// cleanup of the process's temporary directory).
var (
	readStoreOnce sync.Once
	readStore     *Store
	readIDs       []telemetry.TraceID
	readEnd       time.Time
)

func readFixture(b *testing.B) (*Store, []telemetry.TraceID, time.Time) {
	readStoreOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cairn-bench-")
		if err != nil {
			b.Fatal(err)
		}
		s, err := Open(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := benchSpans()
		g := newBenchGen(2)
		g.now = time.Now().Add(-7 * 24 * time.Hour).UnixNano()
		g.gap = int64(7*24*time.Hour) / int64(n/4)
		g.early = n / 40
		start := time.Now()
		for written := 0; written < n; written += 1000 {
			bt := g.batch(1000)
			for i := 0; i < len(bt.Spans); i += 4 {
				readIDs = append(readIDs, bt.Spans[i].TraceID)
			}
			if err := s.Write(context.Background(), bt); err != nil {
				b.Fatal(err)
			}
		}
		st, _ := s.Stats(context.Background())
		b.Logf("prefill: %d spans in %s (%.0f spans/s), %.0f bytes/span on disk", st.Spans, time.Since(start),
			float64(st.Spans)/time.Since(start).Seconds(), float64(st.DiskBytes)/float64(st.Spans))
		readStore, readEnd = s, time.Now()
		benchCleanup = append(benchCleanup, func() { s.Close(); os.RemoveAll(dir) })
	})
	return readStore, readIDs, readEnd
}

var benchCleanup []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range benchCleanup {
		f()
	}
	os.Exit(code)
}

// BenchmarkGetTrace reads whole 4-span traces by id at random. Bytes are the trace's raw spans.
func BenchmarkGetTrace(b *testing.B) {
	s, ids, _ := readFixture(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 3))
	tr, err := s.GetTrace(ctx, ids[0])
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(rawBytes(&telemetry.Batch{Spans: tr.Spans}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetTrace(ctx, ids[rng.IntN(len(ids))]); err != nil {
			b.Fatal(err)
		}
	}
}

// searchCases are the trace searches measured by BenchmarkSearch and TestScale1M.
func searchCases(end time.Time) []struct {
	name string
	q    store.TraceQuery
} {
	return []struct {
		name string
		q    store.TraceQuery
	}{
		{"all", store.TraceQuery{}},
		{"service", store.TraceQuery{Service: "svc-1"}},
		{"session", store.TraceQuery{Session: "session_100"}},
		{"model", store.TraceQuery{Model: "llama3"}},
		{"status=error", store.TraceQuery{Status: "error"}},
		{"name+service", store.TraceQuery{SpanName: "chat gpt-4o", Service: "svc-3"}},
		{"attr", store.TraceQuery{Attributes: []store.AttrFilter{{Key: "gen_ai.operation.name", Value: "chat"}}}},
		{"minDuration", store.TraceQuery{MinDuration: 1400 * time.Millisecond, End: end}},
		{"q=common", store.TraceQuery{Text: "waterfall"}},
		{"q=common2", store.TraceQuery{Text: "waterfall meadow"}},
		{"q=rare", store.TraceQuery{Text: rareWord}},
		{"q=absent", store.TraceQuery{Text: "zanzibar"}},
		{"q=common+filters", store.TraceQuery{Text: "waterfall", Service: "svc-3", Status: "ok"}},
		{"q=mid", store.TraceQuery{Text: midWord}},
		{"q=old", store.TraceQuery{Text: oldWord}},
		{"q=rare+filters", store.TraceQuery{Text: rareWord, Service: "svc-0", Status: "error"}},
		{"q=common+model", store.TraceQuery{Text: "waterfall", Model: "llama3"}},
		{"q=common+session", store.TraceQuery{Text: "waterfall", Session: "session_100"}},
		{"q=common 7d", store.TraceQuery{Text: "waterfall", Start: end.Add(-7 * 24 * time.Hour)}},
		{"q=rare 24h", store.TraceQuery{Text: rareWord, Start: end.Add(-24 * time.Hour)}},
		{"q=common past 2d", store.TraceQuery{Text: "waterfall", Start: end.Add(-5 * 24 * time.Hour),
			End: end.Add(-3 * 24 * time.Hour)}},
	}
}

// BenchmarkSearch runs each trace search (default page of 20).
func BenchmarkSearch(b *testing.B) {
	s, _, end := readFixture(b)
	ctx := context.Background()
	for _, c := range searchCases(end) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SearchTraces(ctx, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGenAISeries is the dashboard: 7 days, step 1h, by model (range edges not on whole
// hours).
func BenchmarkGenAISeries(b *testing.B) {
	s, _, end := readFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GenAISeries(ctx, store.GenAIQuery{Start: end.Add(-7 * 24 * time.Hour), End: end,
			Step: time.Hour, GroupBy: "model"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkModels is the dashboard's model list over 7 days.
func BenchmarkModels(b *testing.B) {
	s, _, end := readFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Models(ctx, store.ModelQuery{Start: end.Add(-7 * 24 * time.Hour), End: end}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessions lists the latest sessions.
func BenchmarkSessions(b *testing.B) {
	s, _, _ := readFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sessions(ctx, store.SessionQuery{}); err != nil {
			b.Fatal(err)
		}
	}
}
