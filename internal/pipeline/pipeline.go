// Package pipeline is the write path between normalisation and the store: a bounded queue of
// decoded batches drained by one writer goroutine that commits several requests in one store
// transaction (group commit). Consume returns only after the caller's batch is committed, so
// receivers acknowledge nothing that could still be lost; a full queue is refused at once with
// consumer.ErrOverloaded rather than buffered without bound.
//
// The writer goroutine is the bottleneck of ingest, so it does as little as possible: with a
// store that implements Preparer, each request's CPU-heavy encoding runs on the request's own
// goroutine (in parallel with the writer and with other requests) before it is queued, and the
// writer only runs the transaction.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Options bound the queue and the transactions.
type Options struct {
	// QueueItems caps the spans + log records + metric points waiting to be written (default
	// 200,000). A request that would pass it is refused with consumer.ErrOverloaded, unless the
	// queue is empty: one request larger than the queue is still accepted, or it could never be.
	QueueItems int
	// MaxBatchItems caps the items written in one store transaction (default 20,000).
	MaxBatchItems int
	// WriteTimeout bounds one store transaction (default 30s).
	WriteTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.QueueItems <= 0 {
		o.QueueItems = 200_000
	}
	if o.MaxBatchItems <= 0 {
		o.MaxBatchItems = 20_000
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 30 * time.Second
	}
}

// Preparer is a store.Writer that splits a write in two. Prepare does the part that needs no
// lock (encoding, compression, text extraction) and is safe for concurrent use; WritePrepared
// commits the results of several Prepare calls in one transaction, or nothing.
type Preparer interface {
	store.Writer
	Prepare(b *telemetry.Batch) any
	WritePrepared(ctx context.Context, prepared []any) error
}

// Observer is told what the pipeline does, for self-metrics. Implementations must be safe for
// concurrent use.
type Observer interface {
	// Committed reports one store transaction of the group's batches.
	Committed(c Commit)
	// Failed reports a store transaction that failed.
	Failed(n int)
	// Overloaded reports a request of n items refused because the queue was full.
	Overloaded(n int)
}

// Commit describes one store transaction.
type Commit struct {
	Requests                  int
	Spans, Logs, MetricPoints int
	// Took is the transaction's wall time; CPU the writer thread's CPU time in it (0 where it
	// cannot be measured). Their difference is time spent waiting: for the disk, for a
	// checkpoint, or for a core on a busy machine.
	Took, CPU time.Duration
}

// request is one Consume call waiting for its batch to be committed.
type request struct {
	batch    *telemetry.Batch
	prepared any        // the store's Prepare(batch), when the store is a Preparer
	done     chan error // buffered(1): the writer never blocks on a caller that left
}

// Pipeline implements consumer.Consumer in front of a store.Writer.
type Pipeline struct {
	w      store.Writer
	prep   Preparer // w, when it is one
	opts   Options
	obs    Observer
	logger *slog.Logger

	queued atomic.Int64 // items accepted and not yet committed or failed
	queue  chan *request
	cpu    func() time.Duration // the writer goroutine's CPU time so far

	mu     sync.RWMutex // guards closed against Consume racing Close
	closed bool
	done   chan struct{} // closed when the writer goroutine has drained the queue and exited
}

// New starts a pipeline writing to w. The caller owns it and must call Close, which drains
// the queue. obs may be nil.
func New(w store.Writer, opts Options, obs Observer, logger *slog.Logger) *Pipeline {
	opts.setDefaults()
	p := &Pipeline{
		w:      w,
		opts:   opts,
		obs:    obs,
		logger: logger,
		// Admission is by item count (queued); the channel only needs room for the requests
		// that count can hold, and one-item requests are the worst case.
		queue: make(chan *request, opts.QueueItems),
		done:  make(chan struct{}),
	}
	p.prep, _ = w.(Preparer)
	go p.run()
	return p
}

// Depth returns the number of items waiting to be written.
func (p *Pipeline) Depth() int64 { return p.queued.Load() }

// Capacity returns the queue's capacity in items.
func (p *Pipeline) Capacity() int64 { return int64(p.opts.QueueItems) }

// Consume queues b and waits until it is committed. It returns an error wrapping
// consumer.ErrOverloaded when the queue is full, consumer.ErrUnavailable when the pipeline is
// closed or the store failed, or ctx.Err() when the caller gave up waiting (the batch may still
// be committed; the store's idempotence makes a retry safe).
func (p *Pipeline) Consume(ctx context.Context, b *telemetry.Batch) error {
	n := b.Len()
	if n == 0 {
		return nil
	}
	req := &request{batch: b, done: make(chan error, 1)}
	if err := p.enqueue(req, n); err != nil {
		return err
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("waiting for the write of %d items: %w", n, ctx.Err())
	}
}

// enqueue admits req (n items) or refuses it without blocking. An admitted request is
// prepared (on the caller's goroutine; its items already count against the queue) and queued.
func (p *Pipeline) enqueue(req *request, n int) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return fmt.Errorf("pipeline is shutting down: %w", consumer.ErrUnavailable)
	}
	for {
		cur := p.queued.Load()
		if cur > 0 && cur+int64(n) > int64(p.opts.QueueItems) {
			if p.obs != nil {
				p.obs.Overloaded(n)
			}
			return fmt.Errorf("%d items queued, %d more would pass the limit of %d (--queue-items): %w",
				cur, n, p.opts.QueueItems, consumer.ErrOverloaded)
		}
		if p.queued.CompareAndSwap(cur, cur+int64(n)) {
			break
		}
	}
	if p.prep != nil {
		req.prepared = p.prep.Prepare(req.batch)
	}
	select {
	case p.queue <- req:
		return nil
	default:
		p.queued.Add(-int64(n))
		if p.obs != nil {
			p.obs.Overloaded(n)
		}
		return fmt.Errorf("%d requests queued: %w", cap(p.queue), consumer.ErrOverloaded)
	}
}

// Close stops accepting batches, writes everything already queued, and returns when the
// writer has finished or ctx ends.
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("draining the write queue (%d items left): %w", p.Depth(), ctx.Err())
	}
}

// run is the single writer: it takes the first waiting request, gathers whatever else is
// already queued up to MaxBatchItems, and commits them together.
func (p *Pipeline) run() {
	defer close(p.done)
	p.cpu = writerCPU()
	for first := range p.queue {
		group := []*request{first}
		items := first.batch.Len()
	gather:
		for items < p.opts.MaxBatchItems {
			select {
			case r, ok := <-p.queue:
				if !ok {
					break gather
				}
				group = append(group, r)
				items += r.batch.Len()
			default:
				break gather
			}
		}
		p.commit(group, items)
	}
}

// commit writes a group in one transaction. If that fails, each request is retried alone so
// one bad batch cannot fail the requests it happened to share a transaction with. The queue
// depth drops before any caller is answered, so Depth never counts an acknowledged request.
func (p *Pipeline) commit(group []*request, items int) {
	errs := make([]error, len(group))
	if err := p.write(group); err != nil {
		if len(group) == 1 {
			errs[0] = err
		} else {
			for i := range group {
				errs[i] = p.write(group[i : i+1])
			}
		}
	}
	p.queued.Add(-int64(items))
	for i, r := range group {
		r.done <- errs[i]
	}
}

// merge concatenates the batches of a group.
func merge(group []*request) *telemetry.Batch {
	if len(group) == 1 {
		return group[0].batch
	}
	merged := &telemetry.Batch{}
	for _, r := range group {
		merged.Spans = append(merged.Spans, r.batch.Spans...)
		merged.Logs = append(merged.Logs, r.batch.Logs...)
		merged.Metrics = append(merged.Metrics, r.batch.Metrics...)
	}
	return merged
}

// write commits a group's batches in one transaction with the write timeout, reporting to the
// observer.
func (p *Pipeline) write(group []*request) error {
	c := Commit{Requests: len(group)}
	for _, r := range group {
		c.Spans += len(r.batch.Spans)
		c.Logs += len(r.batch.Logs)
		c.MetricPoints += len(r.batch.Metrics)
	}
	n := c.Spans + c.Logs + c.MetricPoints
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.WriteTimeout)
	defer cancel()
	start, cpu0 := time.Now(), p.cpu()
	var err error
	if p.prep != nil {
		prepared := make([]any, len(group))
		for i, r := range group {
			prepared[i] = r.prepared
		}
		err = p.prep.WritePrepared(ctx, prepared)
	} else {
		err = p.w.Write(ctx, merge(group))
	}
	if err != nil {
		if p.obs != nil {
			p.obs.Failed(n)
		}
		p.logger.Error("store write failed", "items", n, "err", err)
		return fmt.Errorf("store write of %d items: %v: %w", n, err, consumer.ErrUnavailable)
	}
	if p.obs != nil {
		c.Took, c.CPU = time.Since(start), p.cpu()-cpu0
		p.obs.Committed(c)
	}
	return nil
}
