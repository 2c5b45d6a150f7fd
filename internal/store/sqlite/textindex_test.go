package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// textSearches are the text searches compared before and after damage to the index.
var textSearches = []store.TraceQuery{
	{Text: "alpha"}, {Text: "gamma"}, {Text: "kappa"}, {Text: "beta delta"}, {Text: "alpha", Service: "svc-b"},
}

// searchAll runs textSearches and renders their results, checking that each found something.
func searchAll(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for _, q := range textSearches {
		got := allPages(t, s, q, 7)
		if len(got) == 0 {
			t.Errorf("search %q found nothing", q.Text)
		}
		out = append(out, fmt.Sprint(traceIDs(got)))
	}
	return out
}

// execText runs statements on text.db in dir while no store has it open.
func execText(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "text.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, st := range stmts {
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// TestTextIndexCatchUp checks that content committed to cairn.db but missing from text.db (a
// crash between the two, or text.db deleted) is indexed again at the next Open, so that every
// search finds what it found before.
func TestTextIndexCatchUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	textFixture(t, s, rand.New(rand.NewPCG(5, 6)), 400)
	want := searchAll(t, s)
	lastDoc := s.lastDoc
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f := func(name string, damage func()) {
		t.Run(name, func(t *testing.T) {
			damage()
			var logs lockedBuffer
			s, err := Open(ctx, dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.WaitIndexed(ctx); err != nil {
				t.Fatal(err)
			}
			for i, got := range searchAll(t, s) {
				if got != want[i] {
					t.Errorf("search %+v after catch-up: %d traces, want %d; first difference at byte %d",
						textSearches[i], strings.Count(got, " ")+1, strings.Count(want[i], " ")+1, firstByteDiff(got, want[i]))
				}
			}
			var indexed, owner int64
			if err := s.text.db.QueryRow(textQueries["text_indexed"]).Scan(&indexed, &owner); err != nil || indexed != lastDoc {
				t.Errorf("recorded progress %d (%v), want %d", indexed, err, lastDoc)
			}
			if err := s.Close(); err != nil { // the indexer has logged all it will
				t.Fatal(err)
			}
			if !strings.Contains(logs.String(), "indexing stored content") || !strings.Contains(logs.String(), "full-text index complete") {
				t.Errorf("catch-up not logged:\n%s", logs.String())
			}
		})
	}
	// A crash after cairn.db committed the second half of the documents, before text.db did.
	f("crash", func() {
		half := lastDoc / 2
		execText(t, dir, fmt.Sprintf("DELETE FROM fts WHERE rowid > %d", half),
			fmt.Sprintf("UPDATE text_progress SET indexed = %d", half))
	})
	f("deleted", func() {
		if err := removeDB(filepath.Join(dir, "text.db")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTextIndexBackpressure checks that a writer waits while the indexer cannot keep up, with
// an error naming the indexer when its context ends, and that everything is indexed once the
// indexer can write again.
func TestTextIndexBackpressure(t *testing.T) {
	defer func(b int64, d time.Duration) { textQueueBytes, textBatchDelay = b, d }(textQueueBytes, textBatchDelay)
	textQueueBytes, textBatchDelay = 1, 0
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	batch := func(i int) *telemetry.Batch {
		start := time.Now().UnixNano()
		return &telemetry.Batch{Spans: []*telemetry.Span{{TraceID: telemetry.TraceID{7, byte(i)}, SpanID: telemetry.SpanID{1},
			Name: "chat", StartUnixNano: start, EndUnixNano: start + 1e6,
			Generation: &telemetry.Generation{Operation: "chat", InputMessages: []telemetry.Message{{Role: "user",
				Parts: []telemetry.Part{{Type: "text", Content: fmt.Sprintf("wombat%d numbat", i)}}}}}}}}
	}
	// Another connection holds text.db's write lock: the indexer cannot commit.
	lock, err := sql.Open("sqlite", filepath.Join(dir, "text.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	lock.SetMaxOpenConns(1)
	if _, err := lock.Exec("BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if err := s.WritePrepared(ctx, []any{s.Prepare(batch(0))}); err != nil {
		t.Fatalf("first write: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err = s.WritePrepared(short, []any{s.Prepare(batch(1))})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "full-text indexer") {
		t.Fatalf("write with the indexer stuck: %v, want a deadline error naming the indexer", err)
	}
	var wg sync.WaitGroup
	for i := 1; i <= 20; i++ {
		wg.Go(func() {
			if err := s.WritePrepared(ctx, []any{s.Prepare(batch(i))}); err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := lock.Exec("ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := s.SearchTraces(ctx, store.TraceQuery{Text: "numbat", Limit: 100})
	if err != nil || len(p.Traces) != 21 {
		t.Fatalf("numbat: %d traces (%v), want 21", len(p.Traces), err)
	}
	p, err = s.SearchTraces(ctx, store.TraceQuery{Text: "wombat17"})
	if err != nil || len(p.Traces) != 1 || p.Traces[0].TraceID != (telemetry.TraceID{7, 17}) {
		t.Fatalf("wombat17: %+v (%v), want trace 07 11 00…", p.Traces, err)
	}
}

// firstByteDiff returns the index of the first byte where a and b differ.
func firstByteDiff(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// TestUpgradeFromVersion4 turns a store back into the version 4 layout (the full-text index in
// cairn.db, documents that do not know their source), reopens it, and checks that the index is
// rebuilt in text.db and finds what it found before.
func TestUpgradeFromVersion4(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	textFixture(t, s, rand.New(rand.NewPCG(7, 8)), 300)
	// One word per search: a version 4 document is rebuilt from its whole trace, so words of
	// two documents of one trace now match together.
	searches := textSearches[:3]
	var want []string
	for _, q := range searches {
		want = append(want, fmt.Sprint(traceIDs(allPages(t, s, q, 7))))
	}
	for _, stmt := range []string{version4Text, "ALTER TABLE fts_docs DROP COLUMN src", "PRAGMA user_version = 4"} {
		if _, err := s.w.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("open version 4: %v", err)
	}
	defer s.Close()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	for i, q := range searches {
		if got := fmt.Sprint(traceIDs(allPages(t, s, q, 7))); got != want[i] {
			t.Errorf("search %q after upgrade differs: %d traces, want %d", q.Text, strings.Count(got, " ")+1,
				strings.Count(want[i], " ")+1)
		}
	}
	var inMain int
	if err := s.w.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'fts'").Scan(&inMain); err != nil || inMain != 0 {
		t.Errorf("fts still in cairn.db after upgrade (%d, %v)", inMain, err)
	}
}

// TestTextIndexOfAnotherStore checks that a text.db left from another cairn.db (a backup of
// cairn.db restored without its text.db) is rebuilt rather than trusted: its document ids
// would name other content.
func TestTextIndexOfAnotherStore(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	write := func(dir, word string) {
		s, err := Open(ctx, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		start := time.Now().UnixNano()
		var spans []*telemetry.Span
		for i := range 50 {
			spans = append(spans, &telemetry.Span{TraceID: telemetry.TraceID{5, byte(i)}, SpanID: telemetry.SpanID{1},
				Name: "chat", StartUnixNano: start, EndUnixNano: start + 1e6,
				Generation: &telemetry.Generation{Operation: "chat", InputMessages: []telemetry.Message{{Role: "user",
					Parts: []telemetry.Part{{Type: "text", Content: word}}}}}})
		}
		if err := s.Write(ctx, &telemetry.Batch{Spans: spans}); err != nil {
			t.Fatal(err)
		}
	}
	write(dirA, "aardvark")
	write(dirB, "bandicoot")
	// dirB's cairn.db with dirA's text.db.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(dirB, "text.db"+suffix))
		if b, err := os.ReadFile(filepath.Join(dirA, "text.db"+suffix)); err == nil {
			if err := os.WriteFile(filepath.Join(dirB, "text.db"+suffix), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	var logs lockedBuffer
	s, err := Open(ctx, dirB, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	for word, want := range map[string]int{"aardvark": 0, "bandicoot": 50} {
		p, err := s.SearchTraces(ctx, store.TraceQuery{Text: word, Limit: 100})
		if err != nil || len(p.Traces) != want {
			t.Errorf("%s: %d traces (%v), want %d", word, len(p.Traces), err, want)
		}
	}
	if !strings.Contains(logs.String(), "belongs to another cairn.db") {
		t.Errorf("rebuild not logged:\n%s", logs.String())
	}
}

// lockedBuffer is a log sink the indexer goroutine may write while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
