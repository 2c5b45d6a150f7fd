// Package pipeline is the write path between normalisation and the store: a bounded queue of
// decoded batches drained by one writer goroutine that commits several requests in one store
// transaction (group commit). Consume returns only after the caller's batch is committed, so
// receivers acknowledge nothing that could still be lost; a full queue is refused at once with
// consumer.ErrOverloaded rather than buffered without bound.
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

// Observer is told what the pipeline does, for self-metrics. Implementations must be safe for
// concurrent use.
type Observer interface {
	// Committed reports one store transaction of n items that took d.
	Committed(b *telemetry.Batch, d time.Duration)
	// Failed reports a store transaction that failed.
	Failed(n int)
	// Overloaded reports a request of n items refused because the queue was full.
	Overloaded(n int)
}

// request is one Consume call waiting for its batch to be committed.
type request struct {
	batch *telemetry.Batch
	done  chan error // buffered(1): the writer never blocks on a caller that left
}

// Pipeline implements consumer.Consumer in front of a store.Writer.
type Pipeline struct {
	w      store.Writer
	opts   Options
	obs    Observer
	logger *slog.Logger

	queued atomic.Int64 // items accepted and not yet committed or failed
	queue  chan *request

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

// enqueue admits req (n items) or refuses it without blocking.
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
	if len(group) == 1 {
		errs[0] = p.write(group[0].batch)
	} else if err := p.write(merge(group)); err != nil {
		for i, r := range group {
			errs[i] = p.write(r.batch)
		}
	}
	p.queued.Add(-int64(items))
	for i, r := range group {
		r.done <- errs[i]
	}
}

// merge concatenates the batches of a group.
func merge(group []*request) *telemetry.Batch {
	merged := &telemetry.Batch{}
	for _, r := range group {
		merged.Spans = append(merged.Spans, r.batch.Spans...)
		merged.Logs = append(merged.Logs, r.batch.Logs...)
		merged.Metrics = append(merged.Metrics, r.batch.Metrics...)
	}
	return merged
}

// write commits one batch with the write timeout, reporting to the observer.
func (p *Pipeline) write(b *telemetry.Batch) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.WriteTimeout)
	defer cancel()
	start := time.Now()
	err := p.w.Write(ctx, b)
	if err != nil {
		if p.obs != nil {
			p.obs.Failed(b.Len())
		}
		p.logger.Error("store write failed", "items", b.Len(), "err", err)
		return fmt.Errorf("store write of %d items: %v: %w", b.Len(), err, consumer.ErrUnavailable)
	}
	if p.obs != nil {
		p.obs.Committed(b, time.Since(start))
	}
	return nil
}
