package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// testTrace returns a small trace numbered n.
func testTrace(n int, start int64) []*telemetry.Span {
	var id telemetry.TraceID
	id[0], id[14], id[15] = 1, byte(n>>8), byte(n)
	res := &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": "svc"}}
	root := &telemetry.Span{TraceID: id, SpanID: telemetry.SpanID{1, byte(n)}, Name: "root",
		StartUnixNano: start, EndUnixNano: start + 1e6, Resource: res}
	child := &telemetry.Span{TraceID: id, SpanID: telemetry.SpanID{2, byte(n)}, ParentSpanID: root.SpanID,
		Name: "child", StartUnixNano: start + 10, EndUnixNano: start + 1e5, Resource: res,
		Attributes: telemetry.Attributes{"k": "v"}}
	return []*telemetry.Span{root, child}
}

func TestReopenKeepsData(t *testing.T) {
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
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	tr, err := s.GetTrace(ctx, spans[0].TraceID)
	if err != nil {
		t.Fatalf("GetTrace after reopen: %v", err)
	}
	if len(tr.Spans) != 2 || tr.Summary.SpanCount != 2 {
		t.Errorf("after reopen: %d spans, summary count %d; want 2", len(tr.Spans), tr.Summary.SpanCount)
	}
	// A retry after reopen is still recognised as a duplicate.
	if err := s.Write(ctx, &telemetry.Batch{Spans: spans}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st.Spans != 2 {
		t.Errorf("spans after retry across reopen = %d, want 2", st.Spans)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(fmt.Sprintf("PRAGMA user_version = %d", schemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "upgrade Cairn") {
		t.Errorf("Open of a newer file: %v, want an error saying to upgrade Cairn", err)
	}
}

func TestNotACairnFileRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, "cairn.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE other (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), dir, Options{}); err == nil {
		t.Errorf("Open of a foreign database: want an error")
	}
}

func TestCancelledWriteCommitsNothing(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	spans := testTrace(1, time.Now().UnixNano())
	err := s.Write(ctx, &telemetry.Batch{Spans: spans})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := s.GetTrace(context.Background(), spans[0].TraceID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("trace after cancelled write: %v, want ErrNotFound", err)
	}
	if st, _ := s.Stats(context.Background()); st.Spans != 0 {
		t.Errorf("spans after cancelled write = %d, want 0", st.Spans)
	}
	// The writer is still usable and the caches were not poisoned.
	if err := s.Write(context.Background(), &telemetry.Batch{Spans: spans}); err != nil {
		t.Fatal(err)
	}
	if ops, _ := s.Operations(context.Background(), "svc"); len(ops) != 2 {
		t.Errorf("operations after a retried write: %v, want root and child", ops)
	}
}

// TestConcurrentReadersDuringWrites checks readers never see a partly written batch: every
// trace read has both its spans and a summary counting both.
func TestConcurrentReadersDuringWrites(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now().UnixNano()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				page, err := s.SearchTraces(ctx, store.TraceQuery{Limit: 5})
				if err != nil {
					if ctx.Err() == nil {
						errs <- err
					}
					return
				}
				for _, sum := range page.Traces {
					tr, err := s.GetTrace(ctx, sum.TraceID)
					if err != nil {
						if ctx.Err() == nil {
							errs <- err
						}
						return
					}
					if len(tr.Spans) != 2 || tr.Summary.SpanCount != 2 {
						errs <- fmt.Errorf("trace %s: %d spans, count %d", sum.TraceID, len(tr.Spans), tr.Summary.SpanCount)
						return
					}
				}
			}
		})
	}
	for n := range 200 {
		if err := s.Write(context.Background(), &telemetry.Batch{Spans: testTrace(n, now+int64(n))}); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if st, _ := s.Stats(context.Background()); st.Traces != 200 {
		t.Errorf("traces = %d, want 200", st.Traces)
	}
}

func TestRetainBySize(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Hour).UnixNano()
	for b := range 20 {
		var spans []*telemetry.Span
		for n := range 100 {
			tr := testTrace(b*100+n, start+int64(b*100+n)*1e6)
			tr[1].Attributes["payload"] = strings.Repeat(fmt.Sprintf("%d-%d ", b, n), 300)
			spans = append(spans, tr...)
		}
		if err := s.Write(ctx, &telemetry.Batch{Spans: spans}); err != nil {
			t.Fatal(err)
		}
	}
	before := s.mainBytes() // retention bounds cairn.db (see mainBytes)
	limit := before / 3
	res, err := s.Retain(ctx, store.Retention{MaxBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	after := s.mainBytes()
	if after > limit || res.DeletedSpans == 0 {
		t.Errorf("Retain(MaxBytes %d): %d bytes before, %d after, deleted %+v", limit, before, after, res)
	}
	st, _ := s.Stats(ctx)
	page, err := s.SearchTraces(ctx, store.TraceQuery{Limit: 1})
	if err != nil || st.Traces == 0 || len(page.Traces) == 0 {
		t.Fatalf("newest traces should survive: %v, %+v", err, st)
	}
	if last := page.Traces[0].StartUnixNano; last != start+1999*1e6 {
		t.Errorf("the newest trace was deleted")
	}
}

// FuzzWrite writes a span (and a log) with attribute keys, values and ids taken from fuzz bytes
// and checks the write succeeds and reading back returns what was written.
func FuzzWrite(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), "gen_ai.prompt", "Recommend a hike", int64(42), 0.5, []byte{0, 1})
	f.Add([]byte{}, "", "", int64(-1), math.Copysign(0, -1), []byte(nil))
	f.Add([]byte("\xff\xfe"), "k\n=v", "a\nb=c\x00", int64(1)<<62, 1e300, []byte("\x00\x00"))
	s := openTest(f)
	n := 0
	f.Fuzz(func(t *testing.T, idBytes []byte, key, val string, i int64, fl float64, raw []byte) {
		n++
		var tid telemetry.TraceID
		copy(tid[:8], idBytes)
		// The counter makes every iteration a new trace: a repeated id would (rightly) be
		// ignored as a retry.
		binary.BigEndian.PutUint64(tid[8:], uint64(n))
		var sid telemetry.SpanID
		copy(sid[:], idBytes)
		span := &telemetry.Span{TraceID: tid, SpanID: sid, Name: val, StartUnixNano: i, EndUnixNano: i,
			Attributes: telemetry.Attributes{key: val, key + ".i": i, key + ".f": fl, key + ".b": raw,
				key + ".a": []any{val, i}, key + ".m": map[string]any{key: val}},
			Resource:  &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": key}},
			Events:    []telemetry.Event{{Name: key, Attributes: telemetry.Attributes{val: key}}},
			SessionID: val, UserID: key,
		}
		log := &telemetry.LogRecord{TraceID: tid, SpanID: sid, TimeUnixNano: i, Body: val,
			Attributes: telemetry.Attributes{key: raw}}
		b := &telemetry.Batch{Spans: []*telemetry.Span{span}, Logs: []*telemetry.LogRecord{log}}
		if err := s.Write(context.Background(), b); err != nil {
			t.Fatalf("Write: %v", err)
		}
		tr, err := s.GetTrace(context.Background(), tid)
		if err != nil {
			t.Fatalf("GetTrace: %v", err)
		}
		var got *telemetry.Span
		for _, sp := range tr.Spans {
			if sp.SpanID == sid {
				got = sp
			}
		}
		if got == nil || !reflect.DeepEqual(got, span) {
			t.Fatalf("read back\n got %#v\nwant %#v", got, span)
		}
		if _, err := s.SearchTraces(context.Background(), store.TraceQuery{Text: val,
			Attributes: []store.AttrFilter{{Key: key, Value: val}}, Service: key, SpanName: val}); err != nil {
			t.Fatalf("SearchTraces: %v", err)
		}
	})
}

func TestDistinctWords(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"The cat, the CAT; a cat!":   "The cat a",
		"Ünïcode ünïcode Ünïcode x1": "Ünïcode ünïcode x1",
		"  -- ":                      "",
		"a½b café café":              "a½b café",
	} {
		if got := distinctWords(in); got != want {
			t.Errorf("distinctWords(%q) = %q, want %q", in, got, want)
		}
	}
}
