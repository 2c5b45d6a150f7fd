package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// textFixture writes traces whose spans and log records arrive in an order unlike their start
// times: spans of a trace split over batches, the root (which starts first) often last, log
// records before any span of their trace, traces that never get a span, and a batch of old
// traces written last. It returns the words of each trace that has spans.
func textFixture(t *testing.T, s *Store, rng *rand.Rand, n int) map[telemetry.TraceID]map[string]bool {
	base := time.Now().Add(-3 * time.Hour).UnixNano()
	vocab := func() string {
		var w []string
		for _, x := range []struct {
			word string
			in   int // one in
		}{{"alpha", 1}, {"beta", 3}, {"gamma", 40}, {"delta", 2}} {
			if rng.IntN(x.in) == 0 {
				w = append(w, x.word)
			}
		}
		return strings.Join(w, " ") + " filler"
	}
	words := make(map[telemetry.TraceID]map[string]bool)
	type item struct {
		span *telemetry.Span
		log  *telemetry.LogRecord
	}
	var early, late []item // early: written first (shuffled); late: the old traces, written last
	for i := range n {
		var tid telemetry.TraceID
		tid[0], tid[1], tid[2], tid[15] = 9, byte(i>>8), byte(i), byte(rng.Uint32())
		start := base + rng.Int64N(int64(2*time.Hour))
		if i%10 == 0 {
			start -= int64(24 * time.Hour) // an old trace, arriving last
		}
		service := []string{"svc-a", "svc-b"}[rng.IntN(2)]
		res := &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": service}}
		ws := map[string]bool{}
		var items []item
		root := &telemetry.Span{TraceID: tid, SpanID: telemetry.SpanID{1, byte(i >> 8), byte(i)}, Name: "root",
			StartUnixNano: start, EndUnixNano: start + 5e9, Resource: res}
		if rng.IntN(5) == 0 {
			root.Status.Code = telemetry.StatusError
		}
		for g := range 1 + rng.IntN(3) {
			text := vocab()
			for _, w := range strings.Fields(text) {
				ws[w] = true
			}
			sp := &telemetry.Span{TraceID: tid, SpanID: telemetry.SpanID{2, byte(i >> 8), byte(i), byte(g)},
				ParentSpanID: root.SpanID, Name: "chat", StartUnixNano: start + int64(g+1)*1e8,
				EndUnixNano: start + int64(g+2)*1e8, Resource: res,
				Generation: &telemetry.Generation{Operation: "chat", RequestModel: []string{"m1", "m2"}[g%2],
					InputMessages: []telemetry.Message{{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: text}}}}}}
			items = append(items, item{span: sp})
		}
		if rng.IntN(4) == 0 {
			// A log record, written before the trace's spans.
			w := []string{"kappa", "alpha"}[rng.IntN(2)]
			ws[w] = true
			items = append([]item{{log: &telemetry.LogRecord{TraceID: tid, TimeUnixNano: start + 1e6, Body: w + " logged",
				Resource: res}}}, items...)
		}
		items = append(items, item{span: root})
		if i%17 == 0 {
			// Log records only: never a summary, never a result.
			items = []item{{log: &telemetry.LogRecord{TraceID: tid, TimeUnixNano: start, Body: "alpha kappa orphan", Resource: res}}}
			ws = nil
		}
		if ws != nil {
			words[tid] = ws
		}
		if i%10 == 0 {
			late = append(late, items...)
		} else {
			early = append(early, items...)
		}
	}
	// Shuffle early items in chunks, keeping each trace's log record ahead of its spans.
	write := func(items []item) {
		for lo := 0; lo < len(items); {
			hi := min(len(items), lo+1+rng.IntN(150))
			b := &telemetry.Batch{}
			for _, it := range items[lo:hi] {
				if it.span != nil {
					b.Spans = append(b.Spans, it.span)
				} else {
					b.Logs = append(b.Logs, it.log)
				}
			}
			if err := s.Write(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			lo = hi
		}
	}
	// Roots arrive after their trace's other spans: move each root behind a random later item.
	for i := len(early) - 1; i >= 0; i-- {
		if it := early[i]; it.span != nil && it.span.Name == "root" {
			j := min(len(early)-1, i+rng.IntN(300))
			copy(early[i:j], early[i+1:j+1])
			early[j] = it
		}
	}
	write(early)
	write(late)
	return words
}

// allPages pages through a search with the given page size and returns every trace.
func allPages(t *testing.T, s *Store, q store.TraceQuery, limit int) []store.TraceSummary {
	t.Helper()
	var out []store.TraceSummary
	q.Limit = limit
	for range 10_000 {
		p, err := s.SearchTraces(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Traces...)
		if p.NextCursor == "" {
			return out
		}
		q.Cursor = p.NextCursor
	}
	t.Fatal("too many pages")
	return nil
}

func traceIDs(ts []store.TraceSummary) []telemetry.TraceID {
	out := make([]telemetry.TraceID, len(ts))
	for i, t := range ts {
		out[i] = t.TraceID
	}
	return out
}

// TestTextSearchWalk checks text search by document walk against the trace walk it replaced
// and against the words written: every matching trace exactly once, newest first, with a
// cursor, whatever the arrival order of spans and log records, alone and with other filters.
func TestTextSearchWalk(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(11, 12))
	words := textFixture(t, s, rng, 500)
	defer func(w bool, m, b int) { textWalk, textWalkEndMax, textWalkBudget = w, m, b }(textWalk, textWalkEndMax, textWalkBudget)
	textWalkEndMax = 1 << 30
	now := time.Now()
	filters := []store.TraceQuery{
		{},
		{Service: "svc-a"},
		{Status: "error"},
		{Model: "m2"},
		{Start: now.Add(-2 * time.Hour)},
		{Start: now.Add(-150 * time.Minute), End: now.Add(-90 * time.Minute)},
		{End: now.Add(-20 * time.Hour)},
	}
	for _, text := range []string{"alpha", "beta", "gamma", "alpha beta", "kappa", "orphan", "zeta"} {
		// Expected without filters, from the words written.
		var want []telemetry.TraceID
		for id, ws := range words {
			all := true
			for _, w := range strings.Fields(text) {
				all = all && ws[w]
			}
			if all {
				want = append(want, id)
			}
		}
		for fi, f := range filters {
			q := f
			q.Text = text
			textWalk = false
			ref := allPages(t, s, q, 1000)
			for i := 1; i < len(ref); i++ {
				a, b := ref[i-1], ref[i]
				if a.StartUnixNano < b.StartUnixNano || a.StartUnixNano == b.StartUnixNano && bytes.Compare(a.TraceID[:], b.TraceID[:]) < 0 {
					t.Fatalf("%+v: reference not newest first", q)
				}
			}
			if fi == 0 { // no filter: exactly the traces written with the words
				got := traceIDs(ref)
				slices.SortFunc(got, func(a, b telemetry.TraceID) int { return bytes.Compare(a[:], b[:]) })
				slices.SortFunc(want, func(a, b telemetry.TraceID) int { return bytes.Compare(a[:], b[:]) })
				if !slices.Equal(got, want) {
					t.Fatalf("%q: %d traces, want the %d written with the words", text, len(got), len(want))
				}
			}
			textWalk = true
			if walk, err := s.walkText(context.Background(), q, ftsQuery(q.Text)); err != nil || !walk {
				t.Fatalf("%+v: walkText = %v, %v; want a document walk", q, walk, err)
			}
			for _, limit := range []int{1, 7, 50, 1000} {
				if limit == 1 && len(ref) > 30 {
					continue // every page walks from the newest: quadratic
				}
				// A budget of 50 documents gives way to the trace walk on some pages.
				for _, budget := range []int{1 << 30, 50} {
					textWalkBudget = budget
					got := allPages(t, s, q, limit)
					if !slices.Equal(traceIDs(got), traceIDs(ref)) {
						t.Fatalf("%+v, pages of %d, budget %d: %d traces, want %d (the same, in the same order)", q, limit,
							budget, len(got), len(ref))
					}
					if fmt.Sprint(got) != fmt.Sprint(ref) {
						t.Fatalf("%+v, pages of %d: summaries differ", q, limit)
					}
				}
			}
		}
	}
}

// TestTextOfLogsBeforeSpans: a trace found only by its log record's words, written before its
// spans, is found once the spans arrive; documents of traces that only ever had log records
// are deleted with their last log record.
func TestTextOfLogsBeforeSpans(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Now()
	res := &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": "svc"}}
	logOf := func(id byte, at time.Time, body string) *telemetry.LogRecord {
		return &telemetry.LogRecord{TraceID: telemetry.TraceID{id}, TimeUnixNano: at.UnixNano(), Body: body, Resource: res}
	}
	if err := s.Write(ctx, &telemetry.Batch{Logs: []*telemetry.LogRecord{
		logOf(1, now.Add(-48*time.Hour), "wombat burrow"), // never gets spans
		logOf(2, now.Add(-time.Minute), "dingo howl"),     // gets spans below
	}}); err != nil {
		t.Fatal(err)
	}
	count := func(query string) int {
		var n int
		if err := s.w.QueryRow(query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	countRead := func(query string) int { // fts is in text.db, which readers attach
		var n int
		if err := s.r.QueryRow(query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	search := func(text string) int {
		p, err := s.SearchTraces(ctx, store.TraceQuery{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Traces)
	}
	if n := count("SELECT count(*) FROM fts_pending"); n != 2 {
		t.Errorf("%d documents waiting for spans, want 2", n)
	}
	if n := search("dingo"); n != 0 {
		t.Errorf("dingo before its spans: %d traces, want 0", n)
	}
	// Many other traces, so the dingo document sits in a block far below the newest.
	for i := range 10 {
		var spans []*telemetry.Span
		for j := range 100 {
			k := i*100 + j
			start := now.Add(-time.Duration(k) * time.Millisecond).UnixNano()
			spans = append(spans, &telemetry.Span{TraceID: telemetry.TraceID{3, byte(k >> 8), byte(k)}, SpanID: telemetry.SpanID{1},
				Name: "chat", StartUnixNano: start, EndUnixNano: start + 1e6, Resource: res,
				Generation: &telemetry.Generation{Operation: "chat", InputMessages: []telemetry.Message{{Role: "user",
					Parts: []telemetry.Part{{Type: "text", Content: "koala"}}}}}})
		}
		if err := s.Write(ctx, &telemetry.Batch{Spans: spans}); err != nil {
			t.Fatal(err)
		}
	}
	start := now.Add(-2 * time.Minute).UnixNano()
	if err := s.Write(ctx, &telemetry.Batch{Spans: []*telemetry.Span{{TraceID: telemetry.TraceID{2}, SpanID: telemetry.SpanID{1},
		Name: "root", StartUnixNano: start, EndUnixNano: start + 1e9, Resource: res}}}); err != nil {
		t.Fatal(err)
	}
	if n := search("dingo"); n != 1 {
		t.Errorf("dingo after its spans: %d traces, want 1", n)
	}
	if n := count("SELECT count(*) FROM fts_pending"); n != 1 {
		t.Errorf("%d documents waiting for spans, want 1 (wombat)", n)
	}
	if _, err := s.Retain(ctx, store.Retention{MaxAge: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	if n := count("SELECT count(*) FROM fts_pending"); n != 0 {
		t.Errorf("after retention, %d documents waiting, want 0", n)
	}
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRead(`SELECT count(*) FROM fts WHERE fts MATCH '"wombat"'`); n != 0 {
		t.Errorf("after retention, wombat still indexed in %d documents", n)
	}
	if n := count("SELECT count(*) FROM fts_docs"); n != 1001 {
		t.Errorf("after retention, %d documents, want 1001 (koala ×1000, dingo)", n)
	}
	if n := search("dingo"); n != 1 {
		t.Errorf("dingo after retention: %d traces, want 1", n)
	}
}

// TestTextSearchLive checks the text walk on live-shaped traffic: traces end as their batch
// arrives but started up to 10 s earlier, so the start order of recent traces is unlike their
// documents' order, and the walk must read past many blocks that may hold a better trace.
// Written last: a new trace with an old start, a late generation of an old trace, and a root
// span that moves an indexed trace's start earlier. Every page must match the trace walk,
// whether the document walk finishes, is cut off by its budget, or reads past the budget with
// its page full.
func TestTextSearchLive(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(21, 22))
	base := time.Now().Add(-time.Hour).UnixNano()
	res := []*telemetry.Resource{
		{Attributes: telemetry.Attributes{"service.name": "svc-a"}},
		{Attributes: telemetry.Attributes{"service.name": "svc-b"}},
	}
	gen := func(tid telemetry.TraceID, sid byte, start, end int64, text string) *telemetry.Span {
		return &telemetry.Span{TraceID: tid, SpanID: telemetry.SpanID{sid}, Name: "chat", StartUnixNano: start,
			EndUnixNano: end, Resource: res[int(tid[1])%2], Generation: &telemetry.Generation{Operation: "chat",
				InputMessages: []telemetry.Message{{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: text}}}}}}
	}
	text := func(k int) string {
		w := "alpha filler"
		if k%3 == 0 {
			w += " beta"
		}
		if k%97 == 0 {
			w += " gamma"
		}
		return w
	}
	const batches, perBatch = 30, 20
	tid := func(k int) telemetry.TraceID { return telemetry.TraceID{7, byte(k >> 8), byte(k)} }
	starts := map[int]int64{}
	for i := range batches {
		arrival := base + int64(i)*int64(300*time.Millisecond)
		b := &telemetry.Batch{}
		for j := range perBatch {
			k := i*perBatch + j
			end := arrival - int64(j)*1e3
			starts[k] = end - 1e8 - rng.Int64N(99e8)
			b.Spans = append(b.Spans, gen(tid(k), 1, starts[k], end, text(k)))
		}
		if err := s.Write(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	const old = batches * perBatch
	if err := s.Write(ctx, &telemetry.Batch{Spans: []*telemetry.Span{
		gen(tid(old), 1, base-int64(30*time.Minute), base, "alpha beta gamma late"), // new, old start
		gen(tid(5), 2, starts[5]+1e6, starts[5]+2e6, "alpha beta gamma late"),       // late generation
		{TraceID: tid(400), SpanID: telemetry.SpanID{3}, Name: "root", StartUnixNano: starts[400] - int64(20*time.Second),
			EndUnixNano: base, Resource: res[0]}, // its start moves earlier
	}}); err != nil {
		t.Fatal(err)
	}
	defer func(w bool, b int) { textWalk, textWalkBudget = w, b }(textWalk, textWalkBudget)
	for _, q := range []store.TraceQuery{
		{Text: "alpha"}, {Text: "beta"}, {Text: "gamma"}, {Text: "late"}, {Text: "alpha", Service: "svc-b"},
		{Text: "beta", Start: time.Unix(0, base-int64(5*time.Second))},
	} {
		textWalk = false
		ref := allPages(t, s, q, 1000)
		textWalk = true
		for _, limit := range []int{1, 7, 50} {
			if limit == 1 && len(ref) > 30 {
				continue
			}
			// Budgets: unlimited; the least SearchTraces allows, which the walk exceeds on some
			// pages before its page is full (giving way to the trace walk) and on others after.
			for _, budget := range []int{1 << 30, 1} {
				textWalkBudget = budget
				if got := allPages(t, s, q, limit); fmt.Sprint(got) != fmt.Sprint(ref) {
					t.Fatalf("%+v, pages of %d, budget %d: %d traces, want %d; first difference at %d", q, limit,
						budget, len(got), len(ref), firstDiff(got, ref))
				}
			}
		}
		// The first page, from the document walk alone.
		b := &sqlBuilder{}
		if err := traceConds(b, q); err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int{7, 50} {
			got, ok, err := s.searchText(ctx, b, q.Start, ftsQuery(q.Text), limit, -1)
			if err != nil || !ok {
				t.Fatalf("%+v: searchText = %v, %v", q, ok, err)
			}
			want := ref[:min(len(ref), limit+1)]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%+v, limit %d: walk found %d traces, want %d; first difference at %d", q, limit, len(got),
					len(want), firstDiff(got, want))
			}
		}
	}
	// The late documents are found at their traces' places.
	p, err := s.SearchTraces(ctx, store.TraceQuery{Text: "late", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := traceIDs(p.Traces); !slices.Equal(got, []telemetry.TraceID{tid(5), tid(old)}) {
		t.Errorf("late: %v, want trace 5 then the old trace", got)
	}
}

// firstDiff returns the index of the first summary that differs between a and b.
func firstDiff(a, b []store.TraceSummary) int {
	for i := range min(len(a), len(b)) {
		if fmt.Sprint(a[i]) != fmt.Sprint(b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}
