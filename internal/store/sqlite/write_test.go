package sqlite

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// distinctWordsRef is the plain-map reference for distinctWords (exact comparison of
// ASCII-folded words instead of hashes).
func distinctWordsRef(text string) string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) }) {
		k := []byte(w)
		for i, c := range k {
			if 'A' <= c && c <= 'Z' {
				k[i] = c + 'a' - 'A'
			}
		}
		if !seen[string(k)] {
			seen[string(k)] = true
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func TestDistinctWordsMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := append([]string(nil), words...)
	vocab = append(vocab, "Trail", "TRAIL", "café", "Ünïcode", "x1", "2026", "½")
	for n := range 300 {
		var b strings.Builder
		// From empty to far more distinct words than the set's first size (256 slots).
		for range n * 7 {
			b.WriteString(vocab[rng.IntN(len(vocab))])
			if rng.IntN(5) == 0 {
				b.WriteString(string(rune('a' + rng.IntN(26))))
				b.WriteString(string(rune('0' + rng.IntN(10))))
			}
			b.WriteString([]string{" ", ", ", "\n", "-", " ... "}[rng.IntN(5)])
		}
		in := b.String()
		if got, want := distinctWords(in), distinctWordsRef(in); got != want {
			t.Fatalf("distinctWords of %d bytes:\n got %q\nwant %q", len(in), got, want)
		}
	}
}

func BenchmarkDistinctWords(b *testing.B) {
	g := newBenchGen(3)
	text := g.trace()[3].ContentText()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		distinctWords(text)
	}
}

// BenchmarkPrepare is the CPU work done per 1,000-span batch before the write transaction
// (on the request's goroutine in the server).
func BenchmarkPrepare(b *testing.B) {
	s := openTest(b)
	batch := newBenchGen(5).batch(1000)
	for b.Loop() {
		s.prepare(batch, false)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "µs/span")
}

// TestWritePreparedGroup writes several prepared batches in one transaction: retries within the
// group and of stored spans count once, and summaries merge across batches.
func TestWritePreparedGroup(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now().UnixNano()
	a, b := testTrace(1, now), testTrace(2, now)
	// The first write stores trace 1's root only.
	if err := s.Write(ctx, &telemetry.Batch{Spans: a[:1]}); err != nil {
		t.Fatal(err)
	}
	group := []any{
		s.Prepare(&telemetry.Batch{Spans: a}),       // root again (stored) and child (new)
		s.Prepare(&telemetry.Batch{Spans: b}),       // a new trace
		s.Prepare(&telemetry.Batch{Spans: b[1:]}),   // a retry within the group
		s.Prepare(&telemetry.Batch{Spans: a[1:2]}),  // and another
		s.Prepare(&telemetry.Batch{}),               // nothing
		s.Prepare(&telemetry.Batch{Spans: b[:1:1]}), // and one more
	}
	if err := s.WritePrepared(ctx, group); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Spans != 4 || st.Traces != 2 {
		t.Errorf("stats = %d spans, %d traces; want 4, 2", st.Spans, st.Traces)
	}
	for _, tr := range [][]*telemetry.Span{a, b} {
		got, err := s.GetTrace(ctx, tr[0].TraceID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Spans) != 2 || got.Summary.SpanCount != 2 || got.Summary.RootName != "root" {
			t.Errorf("trace %s: %d spans, summary %+v", tr[0].TraceID, len(got.Spans), got.Summary)
		}
	}
	if err := s.WritePrepared(ctx, []any{"not prepared"}); err == nil {
		t.Error("WritePrepared of a foreign value: want an error")
	}
}

// TestWriteManyRows crosses every multi-row statement size and the IN-list chunk: a batch of
// many traces, then the same spans again (every one already stored) plus new ones.
func TestWriteManyRows(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	g := newBenchGen(11)
	first := g.batch(4 * 157) // 157 traces: 64+64+16+4+4+4+1 rows
	if err := s.Write(ctx, first); err != nil {
		t.Fatal(err)
	}
	again := &telemetry.Batch{Spans: append(append([]*telemetry.Span(nil), first.Spans...), g.batch(4*3).Spans...)}
	if err := s.Write(ctx, again); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Spans != 4*160 || st.Traces != 160 {
		t.Errorf("stats = %d spans, %d traces; want %d, 160", st.Spans, st.Traces, 4*160)
	}
	tr, err := s.GetTrace(ctx, first.Spans[4*100].TraceID)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Summary.SpanCount != 4 || len(tr.Spans) != 4 {
		t.Errorf("trace 100: %d spans, summary count %d; want 4", len(tr.Spans), tr.Summary.SpanCount)
	}
}

// TestWALStaysBounded writes far more than the WAL limit and checks the log was reset rather
// than grown, then emptied once writes stopped.
func TestWALStaysBounded(t *testing.T) {
	l, e, i := walLimit, ckptEvery, ckptIdle
	t.Cleanup(func() { walLimit, ckptEvery, ckptIdle = l, e, i }) // after the store's Close
	walLimit, ckptEvery, ckptIdle = 1<<20, 10*time.Millisecond, 200*time.Millisecond
	s := openTest(t)
	ctx := context.Background()
	g := newBenchGen(13)
	maxWAL := int64(0)
	for range 40 { // ~40 × 1 MB of WAL
		if err := s.Write(ctx, g.batch(400)); err != nil {
			t.Fatal(err)
		}
		maxWAL = max(maxWAL, s.WALBytes())
		time.Sleep(5 * time.Millisecond)
	}
	// The log passes its limit by what is written between two checkpoint rounds (a few MB
	// here), unless PASSIVE checkpoints kept up and SQLite restarted it by itself.
	t.Logf("largest WAL %d bytes, %d resets", maxWAL, s.Checkpoints().Resets.Load())
	if maxWAL > 12<<20 {
		t.Errorf("WAL reached %d bytes with a limit of 1 MB", maxWAL)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.WALBytes() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := s.WALBytes(); n > 0 {
		t.Errorf("WAL is %d bytes after writes stopped; want it truncated", n)
	}
	if st, err := s.Stats(ctx); err != nil || st.Spans != 40*400 {
		t.Errorf("Stats = %+v, %v; want %d spans", st, err, 40*400)
	}
}

// TestUpgradeFromVersion2 opens a version 2 file: its data stays readable and it becomes
// version 3.
func TestUpgradeFromVersion2(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	spans := testTrace(1, time.Now().UnixNano())
	if err := s.Write(ctx, &telemetry.Batch{Spans: spans}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec("PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("open a version 2 file: %v", err)
	}
	defer s.Close()
	var v int
	if err := s.w.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion {
		t.Errorf("user_version = %d, %v; want %d", v, err, schemaVersion)
	}
	if tr, err := s.GetTrace(ctx, spans[0].TraceID); err != nil || len(tr.Spans) != 2 {
		t.Errorf("GetTrace after upgrade: %v", err)
	}
}
