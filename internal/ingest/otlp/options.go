// Package otlp receives OpenTelemetry Protocol data (traces, logs, metrics) over HTTP
// (protobuf and JSON) and gRPC, decodes it with the OpenTelemetry Collector's pdata packages
// and hands Cairn's internal model to the next consumer. Items with unusable ids are rejected
// one by one through OTLP partial success; the rest of a request is kept.
package otlp

import (
	"log/slog"
	"time"

	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
)

// DefaultMaxBodyBytes bounds a request body, compressed and decompressed (20 MiB), and a gRPC
// message: grpc-go's own 4 MiB default is too small for batches carrying prompts.
const DefaultMaxBodyBytes = 20 << 20

// DefaultRetryAfter is what 429/503 answers (Retry-After) and gRPC RetryInfo tell exporters to wait.
const DefaultRetryAfter = time.Second

// Signal names passed to Observer.
const (
	SignalTraces  = "traces"
	SignalLogs    = "logs"
	SignalMetrics = "metrics"
)

// Observer is told how many items each request delivered or rejected, per signal
// (SignalTraces, SignalLogs, SignalMetrics). Implementations must be safe for concurrent use.
type Observer interface {
	// Received counts items the consumer accepted (committed).
	Received(signal string, n int)
	// Rejected counts items refused as invalid and reported through partial success; the
	// exporter does not send them again. Requests refused as a whole (overload, bad encoding)
	// are not counted here.
	Rejected(signal string, n int)
}

// Options configure the receivers. The zero value is usable.
type Options struct {
	// MaxBodyBytes bounds a request body before and after decompression, and a gRPC message;
	// larger gets HTTP 413 or gRPC RESOURCE_EXHAUSTED. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RetryAfter is sent with HTTP 429/503 (rounded up to whole seconds) and as gRPC RetryInfo.
	// 0 means DefaultRetryAfter.
	RetryAfter time.Duration
	// Observer, when set, is told what each request delivered and rejected.
	Observer Observer
	// Budget bounds the request bodies held in memory at once, shared with the other
	// receivers of a server; a request that would exceed it gets HTTP 429 with Retry-After or
	// gRPC RESOURCE_EXHAUSTED with RetryInfo. nil means a budget of this receiver's own, of
	// reqbody.DefaultBudget or twice MaxBodyBytes, whichever is larger.
	Budget *reqbody.Budget
}

// withDefaults fills zero fields so that handlers never check them again.
func (o Options) withDefaults() Options {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.Budget == nil {
		o.Budget = reqbody.NewBudget(max(reqbody.DefaultBudget, 2*o.MaxBodyBytes))
	}
	return o
}

// retryAfterSeconds rounds RetryAfter up to whole seconds, at least 1, for the HTTP header.
func (o Options) retryAfterSeconds() int {
	s := int((o.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

func discardIfNil(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
