// Package reqbody reads ingest request bodies, plain or gzip-compressed, within a per-request
// size limit, and accounts for every body held in memory in a Budget shared by all receivers
// (OTLP/HTTP, OTLP/gRPC, Application Insights).
//
// A per-request limit alone does not bound memory: 16 concurrent gzip bombs of 1 MiB each, each
// inflating to the 20 MiB limit in a buffer that doubles as it fills, held ~630 MiB. With a
// Budget, a body that would take the server past it is refused at once with a retryable answer
// (HTTP 429 with Retry-After, gRPC RESOURCE_EXHAUSTED with RetryInfo) — never dropped silently —
// and buffers are sized once from what the request declares (Content-Length, the gzip trailer's
// size) instead of doubling.
package reqbody

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

// DefaultBudget is the default server-wide budget: enough for a dozen maximum-size bodies at
// once, or hundreds of typical (≤ 1 MiB) ones.
const DefaultBudget = 256 << 20

// Budget bounds the bytes of request bodies held in memory at once, compressed and
// decompressed, across every receiver that shares it. It is safe for concurrent use.
type Budget struct {
	capacity int64
	used     atomic.Int64
	refused  atomic.Int64
}

// NewBudget returns a budget of capacity bytes (DefaultBudget when capacity <= 0).
func NewBudget(capacity int64) *Budget {
	if capacity <= 0 {
		capacity = DefaultBudget
	}
	return &Budget{capacity: capacity}
}

// Capacity is the budget's size in bytes.
func (b *Budget) Capacity() int64 { return b.capacity }

// InUse is the number of bytes reserved now.
func (b *Budget) InUse() int64 { return b.used.Load() }

// Refused counts the reservations refused so far (each one a request answered 429, 413 or
// RESOURCE_EXHAUSTED).
func (b *Budget) Refused() int64 { return b.refused.Load() }

// tryAcquire reserves n bytes if they fit, without waiting: a client told to retry later is
// better than a server that queues work it cannot hold.
func (b *Budget) tryAcquire(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.capacity {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// Reservation is what one request holds of a Budget. The zero value holds nothing; a
// Reservation is not safe for concurrent use (one request owns it).
type Reservation struct {
	b    *Budget
	held int64
}

// NewReservation returns an empty reservation against b.
func NewReservation(b *Budget) *Reservation { return &Reservation{b: b} }

// Held is the number of bytes the reservation holds.
func (r *Reservation) Held() int64 { return r.held }

// Grow reserves n more bytes. It returns an *Error: 429 when the budget is spent for now (the
// client should retry), 413 when this request would need more than the whole budget (retrying
// cannot help).
func (r *Reservation) Grow(n int64) error {
	if n <= 0 {
		return nil
	}
	if r.b.tryAcquire(n) {
		r.held += n
		return nil
	}
	r.b.refused.Add(1)
	if r.held+n > r.b.capacity {
		return &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf(
			"request body needs %s of memory at once (compressed and decompressed), more than the server's %s for all request bodies; "+
				"send smaller batches, or raise --max-body-memory (CAIRN_MAX_BODY_MEMORY)", mib(r.held+n), mib(r.b.capacity))}
	}
	return &Error{Status: http.StatusTooManyRequests, Msg: fmt.Sprintf(
		"server busy: request bodies being read use %s of its %s budget (--max-body-memory) and this one needs %s more; retry later",
		mib(r.b.InUse()), mib(r.b.capacity), mib(n))}
}

// Set adjusts the reservation to exactly n bytes: it gives back the excess at once, or grows
// as Grow does.
func (r *Reservation) Set(n int64) error {
	if n < r.held {
		r.b.used.Add(n - r.held)
		r.held = n
		return nil
	}
	return r.Grow(n - r.held)
}

// Release gives back everything the reservation holds. It may be called more than once.
func (r *Reservation) Release() {
	if r.held != 0 {
		r.b.used.Add(-r.held)
		r.held = 0
	}
}

// mib formats a byte count for messages.
func mib(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
