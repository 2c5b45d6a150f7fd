// Package store defines what Cairn's storage backends provide: writing batches of spans, log
// records and metric points, and the reads the API is built on. Backends (sqlite, clickhouse)
// implement Store; storetest holds the conformance suite every backend must pass.
//
// The contract, for every backend:
//   - Write returns nil only after every item of the batch is durably committed.
//   - Writing a span twice (same trace id and span id) stores it once and counts it once.
//   - A trace's summary is right whatever order its spans arrive in, across any number of writes.
//   - Reads never see a partly written batch.
package store

import (
	"context"
	"errors"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// ErrNotFound is returned (wrapped) by reads of a single item that does not exist.
var ErrNotFound = errors.New("not found")

// Writer stores batches.
type Writer interface {
	// Write commits every item of b, or none of them, before returning.
	Write(ctx context.Context, b *telemetry.Batch) error
}

// TraceReader answers trace queries.
type TraceReader interface {
	// SearchTraces returns trace summaries matching q, newest first (by trace start).
	SearchTraces(ctx context.Context, q TraceQuery) (TracePage, error)
	// GetTrace returns every span and log record of a trace, or an error wrapping ErrNotFound.
	GetTrace(ctx context.Context, id telemetry.TraceID) (*Trace, error)
	// Services lists the service names seen, sorted.
	Services(ctx context.Context) ([]string, error)
	// Operations lists the span names seen for a service ("" for every service), sorted.
	Operations(ctx context.Context, service string) ([]Operation, error)
}

// MetricReader answers metric queries.
type MetricReader interface {
	// MetricSeries returns the points of metric q.Name grouped into series by their attributes.
	MetricSeries(ctx context.Context, q MetricQuery) ([]MetricSeries, error)
}

// GenAIReader answers the GenAI-specific reads: sessions, dashboard series and models.
type GenAIReader interface {
	// Sessions lists sessions matching q, most recently active first.
	Sessions(ctx context.Context, q SessionQuery) (SessionPage, error)
	// Session returns one session with its traces in time order, or an error wrapping ErrNotFound.
	Session(ctx context.Context, id string) (*SessionDetail, error)
	// GenAISeries returns dashboard time series from per-minute rollups.
	GenAISeries(ctx context.Context, q GenAIQuery) (*GenAISeries, error)
	// Models lists the models seen in [q.Start, q.End) with totals.
	Models(ctx context.Context, q ModelQuery) ([]ModelStats, error)
}

// Maintainer applies retention and reports the store's size.
type Maintainer interface {
	// Retain deletes data older than r.MaxAge and, oldest first, data beyond r.MaxBytes.
	Retain(ctx context.Context, r Retention) (RetentionResult, error)
	// Stats reports counts and size for health and self-metrics.
	Stats(ctx context.Context) (Stats, error)
}

// Store is a complete storage backend.
type Store interface {
	Writer
	TraceReader
	MetricReader
	GenAIReader
	Maintainer
	// Close flushes and releases the backend; it must be called once, after the last Write.
	Close() error
}
