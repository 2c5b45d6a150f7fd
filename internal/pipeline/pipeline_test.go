package pipeline

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// recordingWriter is a store.Writer that records committed spans and can be held or failed.
type recordingWriter struct {
	mu      sync.Mutex
	writes  int
	spans   []string
	hold    chan struct{} // when non-nil, Write waits for it to be closed
	poison  string        // a span name whose batch fails
	started chan struct{} // signalled on each Write start
}

func (w *recordingWriter) Write(ctx context.Context, b *telemetry.Batch) error {
	if w.started != nil {
		select {
		case w.started <- struct{}{}:
		default:
		}
	}
	if w.hold != nil {
		<-w.hold
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range b.Spans {
		if w.poison != "" && s.Name == w.poison {
			return errors.New("poisoned batch")
		}
	}
	w.writes++
	for _, s := range b.Spans {
		w.spans = append(w.spans, s.Name)
	}
	return nil
}

func (w *recordingWriter) snapshot() (writes int, spans []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes, append([]string(nil), w.spans...)
}

func batchOf(names ...string) *telemetry.Batch {
	b := &telemetry.Batch{}
	for _, n := range names {
		b.Spans = append(b.Spans, &telemetry.Span{Name: n})
	}
	return b
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestConsumeReturnsAfterCommit(t *testing.T) {
	w := &recordingWriter{}
	p := New(w, Options{}, nil, discard())
	defer p.Close(context.Background())

	if err := p.Consume(context.Background(), batchOf("a", "b")); err != nil {
		t.Fatalf("Consume: %v", err)
	}
	_, spans := w.snapshot()
	if len(spans) != 2 {
		t.Fatalf("after Consume returned, %d spans committed; want 2", len(spans))
	}
	if d := p.Depth(); d != 0 {
		t.Fatalf("Depth after commit = %d; want 0", d)
	}
}

func TestEmptyBatchIsSuccess(t *testing.T) {
	w := &recordingWriter{}
	p := New(w, Options{}, nil, discard())
	defer p.Close(context.Background())
	if err := p.Consume(context.Background(), &telemetry.Batch{}); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	if writes, _ := w.snapshot(); writes != 0 {
		t.Fatalf("empty batch caused %d writes; want 0", writes)
	}
}

func TestGroupCommitAndOverload(t *testing.T) {
	w := &recordingWriter{hold: make(chan struct{}), started: make(chan struct{}, 1)}
	p := New(w, Options{QueueItems: 10}, nil, discard())
	defer p.Close(context.Background())

	var wg sync.WaitGroup
	errs := make(chan error, 10)
	consume := func(names ...string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- p.Consume(context.Background(), batchOf(names...))
		}()
	}
	consume("first")
	<-w.started // the writer now holds "first" inside Write
	// Four more 2-span requests fill the queue to 9 of 10 items while the writer is held.
	for i := 0; i < 4; i++ {
		consume("x", "y")
	}
	waitFor(t, func() bool { return p.Depth() == 9 })

	err := p.Consume(context.Background(), batchOf("too", "many"))
	if !errors.Is(err, consumer.ErrOverloaded) {
		t.Fatalf("Consume on a full queue = %v; want ErrOverloaded", err)
	}

	close(w.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("queued request failed: %v", err)
		}
	}
	writes, spans := w.snapshot()
	if len(spans) != 9 {
		t.Fatalf("%d spans committed; want 9", len(spans))
	}
	// "first" alone, then the four queued requests gathered into one transaction.
	if writes != 2 {
		t.Fatalf("%d store writes; want 2 (group commit)", writes)
	}
}

func TestPoisonedBatchFailsOnlyItsRequest(t *testing.T) {
	w := &recordingWriter{hold: make(chan struct{}), started: make(chan struct{}, 1), poison: "bad"}
	p := New(w, Options{}, nil, discard())
	defer p.Close(context.Background())

	go p.Consume(context.Background(), batchOf("warmup"))
	<-w.started
	results := make(map[string]chan error)
	for _, name := range []string{"good1", "bad", "good2"} {
		ch := make(chan error, 1)
		results[name] = ch
		go func(name string) { ch <- p.Consume(context.Background(), batchOf(name)) }(name)
	}
	waitFor(t, func() bool { return p.Depth() == 4 })
	close(w.hold)

	if err := <-results["bad"]; !errors.Is(err, consumer.ErrUnavailable) {
		t.Fatalf("poisoned request = %v; want ErrUnavailable", err)
	}
	for _, name := range []string{"good1", "good2"} {
		if err := <-results[name]; err != nil {
			t.Fatalf("%s failed with its poisoned neighbour: %v", name, err)
		}
	}
	_, spans := w.snapshot()
	want := map[string]bool{"warmup": true, "good1": true, "good2": true}
	if len(spans) != len(want) {
		t.Fatalf("committed %v; want %v", spans, want)
	}
	for _, s := range spans {
		if !want[s] {
			t.Fatalf("committed %v; want %v", spans, want)
		}
	}
}

func TestCloseDrainsQueueAndRefusesNewWork(t *testing.T) {
	w := &recordingWriter{hold: make(chan struct{}), started: make(chan struct{}, 1)}
	p := New(w, Options{}, nil, discard())

	errs := make(chan error, 3)
	go func() { errs <- p.Consume(context.Background(), batchOf("a")) }()
	<-w.started
	go func() { errs <- p.Consume(context.Background(), batchOf("b")) }()
	go func() { errs <- p.Consume(context.Background(), batchOf("c")) }()
	waitFor(t, func() bool { return p.Depth() == 3 })

	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	waitFor(t, func() bool {
		p.mu.RLock()
		defer p.mu.RUnlock()
		return p.closed
	})
	if err := p.Consume(context.Background(), batchOf("late")); !errors.Is(err, consumer.ErrUnavailable) {
		t.Fatalf("Consume after Close = %v; want ErrUnavailable", err)
	}
	close(w.hold)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("queued request lost at Close: %v", err)
		}
	}
	if _, spans := w.snapshot(); len(spans) != 3 {
		t.Fatalf("after Close %d spans committed; want 3", len(spans))
	}
}

func TestCallerGivingUpGetsContextError(t *testing.T) {
	w := &recordingWriter{hold: make(chan struct{})}
	p := New(w, Options{}, nil, discard())
	defer func() { close(w.hold); p.Close(context.Background()) }()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := p.Consume(ctx, batchOf("slow"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Consume with an expiring context = %v; want DeadlineExceeded", err)
	}
}

// waitFor polls cond until it holds, failing the test after 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
