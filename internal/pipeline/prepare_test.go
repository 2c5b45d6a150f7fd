package pipeline

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// preparingWriter is a recordingWriter that is also a Preparer.
type preparingWriter struct {
	recordingWriter
	prepared atomic.Int64
	groups   []int // requests per WritePrepared call
	gmu      sync.Mutex
}

type preparedBatch struct{ b *telemetry.Batch }

func (w *preparingWriter) Prepare(b *telemetry.Batch) any {
	w.prepared.Add(1)
	return preparedBatch{b}
}

func (w *preparingWriter) WritePrepared(ctx context.Context, ps []any) error {
	w.gmu.Lock()
	w.groups = append(w.groups, len(ps))
	w.gmu.Unlock()
	merged := &telemetry.Batch{}
	for _, p := range ps {
		merged.Spans = append(merged.Spans, p.(preparedBatch).b.Spans...)
	}
	return w.recordingWriter.Write(ctx, merged)
}

func (w *preparingWriter) Write(context.Context, *telemetry.Batch) error {
	return errors.New("Write called on a Preparer")
}

func TestPreparerGroupCommitAndIsolation(t *testing.T) {
	w := &preparingWriter{recordingWriter: recordingWriter{hold: make(chan struct{}), started: make(chan struct{}, 1), poison: "bad"}}
	var obs countingObserver
	p := New(w, Options{}, &obs, discard())
	defer p.Close(context.Background())

	first := make(chan error, 1)
	go func() { first <- p.Consume(context.Background(), batchOf("first")) }()
	<-w.started
	results := make(map[string]chan error)
	for _, name := range []string{"good1", "bad", "good2"} {
		ch := make(chan error, 1)
		results[name] = ch
		go func(name string) { ch <- p.Consume(context.Background(), batchOf(name, name)) }(name)
	}
	waitFor(t, func() bool { return p.Depth() == 7 })
	if n := w.prepared.Load(); n != 4 {
		t.Fatalf("%d batches prepared before the writer took them; want 4", n)
	}
	close(w.hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-results["bad"]; !errors.Is(err, consumer.ErrUnavailable) {
		t.Fatalf("poisoned request = %v; want ErrUnavailable", err)
	}
	for _, name := range []string{"good1", "good2"} {
		if err := <-results[name]; err != nil {
			t.Fatalf("%s failed with its poisoned neighbour: %v", name, err)
		}
	}
	_, spans := w.snapshot()
	if len(spans) != 5 {
		t.Fatalf("committed %v; want first and the good requests' 4 spans", spans)
	}
	w.gmu.Lock()
	groups := append([]int(nil), w.groups...)
	w.gmu.Unlock()
	// first alone; the three queued requests together (failing); then each alone.
	if len(groups) != 5 || groups[0] != 1 || groups[1] != 3 {
		t.Fatalf("WritePrepared groups = %v; want [1 3 1 1 1]", groups)
	}
	if c := obs.commits.Load(); c != 3 || obs.spans.Load() != 5 {
		t.Fatalf("observer saw %d commits of %d spans; want 3 of 5", c, obs.spans.Load())
	}
	if d := p.Depth(); d != 0 {
		t.Fatalf("Depth after commit = %d; want 0", d)
	}
}

type countingObserver struct {
	commits, spans, failed atomic.Int64
}

func (o *countingObserver) Committed(c Commit) {
	o.commits.Add(1)
	o.spans.Add(int64(c.Spans))
}
func (o *countingObserver) Failed(int)     { o.failed.Add(1) }
func (o *countingObserver) Overloaded(int) {}
