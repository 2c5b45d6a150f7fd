// Package consumer defines the one interface between the stages of Cairn's ingest path:
// receivers hand decoded batches to a Consumer (normalisation), which hands them to the next
// Consumer (the write pipeline). The sentinel errors tell receivers how to answer a client.
package consumer

import (
	"context"
	"errors"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Consumer accepts a decoded batch. Consume returns nil only when every item of the batch is
// committed to storage, so a receiver may acknowledge the request.
type Consumer interface {
	Consume(ctx context.Context, b *telemetry.Batch) error
}

// Func adapts a function to Consumer.
type Func func(ctx context.Context, b *telemetry.Batch) error

// Consume calls f.
func (f Func) Consume(ctx context.Context, b *telemetry.Batch) error { return f(ctx, b) }

// ErrOverloaded (wrapped) means the write queue is full: the client should retry later
// (HTTP 429 with Retry-After, gRPC RESOURCE_EXHAUSTED with RetryInfo). Nothing was stored.
var ErrOverloaded = errors.New("write queue is full")

// ErrUnavailable (wrapped) means the server is shutting down or the store failed: the client
// should retry later (HTTP 503, gRPC UNAVAILABLE). Nothing was stored.
var ErrUnavailable = errors.New("storage unavailable")
