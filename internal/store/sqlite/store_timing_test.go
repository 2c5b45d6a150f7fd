package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
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
	rng  *rand.Rand
	res  []*telemetry.Resource
	next int
	now  int64
}

func newBenchGen(seed uint64) *benchGen {
	g := &benchGen{rng: rand.New(rand.NewPCG(seed, 1)), now: time.Now().Add(-24 * time.Hour).UnixNano()}
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
	start := g.now + int64(g.next)*1e6
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

// prefilled is a store filled with n GenAI-shaped spans, and the trace ids written.
func prefilled(b *testing.B, n int) (*Store, []telemetry.TraceID, time.Duration) {
	s := openTest(b)
	g := newBenchGen(2)
	var ids []telemetry.TraceID
	start := time.Now()
	for written := 0; written < n; written += 1000 {
		bt := g.batch(1000)
		for i := 0; i < len(bt.Spans); i += 4 {
			ids = append(ids, bt.Spans[i].TraceID)
		}
		if err := s.Write(context.Background(), bt); err != nil {
			b.Fatal(err)
		}
	}
	return s, ids, time.Since(start)
}

// latencies runs f n times and reports p50 and p99.
func latencies(b *testing.B, n int, f func(i int) error) {
	d := make([]time.Duration, 0, n)
	for i := range n {
		t0 := time.Now()
		if err := f(i); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
}

// benchSpans is the prefill size: CAIRN_BENCH_SPANS (default 200,000).
func benchSpans() int {
	if v, err := strconv.Atoi(os.Getenv("CAIRN_BENCH_SPANS")); err == nil && v > 0 {
		return v
	}
	return 200_000
}

// BenchmarkReads fills a store, then measures trace-by-id and search latencies.
func BenchmarkReads(b *testing.B) {
	n := benchSpans()
	s, ids, fill := prefilled(b, n)
	st, _ := s.Stats(context.Background())
	b.Logf("prefill: %d spans in %s (%.0f spans/s), %.0f bytes/span on disk", st.Spans, fill,
		float64(st.Spans)/fill.Seconds(), float64(st.DiskBytes)/float64(st.Spans))
	ctx := context.Background()
	end := time.Now()
	queries := []store.TraceQuery{
		{},
		{Service: "svc-1"},
		{Status: "error"},
		{Model: "llama3"},
		{Session: "session_100"},
		{SpanName: "chat gpt-4o", Service: "svc-2"},
		{Attributes: []store.AttrFilter{{Key: "gen_ai.operation.name", Value: "chat"}}},
		{MinDuration: 1400 * time.Millisecond, End: end},
		{Text: "waterfall meadow"},
		{Text: "waterfall", Service: "svc-3", Status: "ok"},
	}
	for _, q := range queries {
		b.Run(fmt.Sprintf("Search/%+v", q)[:min(60, len(fmt.Sprintf("Search/%+v", q)))], func(b *testing.B) {
			for b.Loop() {
				latencies(b, 50, func(int) error { _, err := s.SearchTraces(ctx, q); return err })
			}
		})
	}
	b.Run("GetTrace", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(3, 3))
		for b.Loop() {
			latencies(b, 1000, func(int) error {
				_, err := s.GetTrace(ctx, ids[rng.IntN(len(ids))])
				return err
			})
		}
	})
	b.Run("Sessions", func(b *testing.B) {
		for b.Loop() {
			latencies(b, 50, func(int) error { _, err := s.Sessions(ctx, store.SessionQuery{}); return err })
		}
	})
	b.Run("GenAISeries", func(b *testing.B) {
		for b.Loop() {
			latencies(b, 20, func(int) error {
				_, err := s.GenAISeries(ctx, store.GenAIQuery{Start: end.Add(-25 * time.Hour), End: end,
					Step: time.Hour, GroupBy: "model"})
				return err
			})
		}
	})
}
