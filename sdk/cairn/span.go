package cairn

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of spans started by Span and SpanValue.
const ScopeName = "github.com/cairn-dev/cairn/sdk/cairn"

// Span runs fn inside a new span named name, a child of the span in ctx, and
// ends it when fn returns. A returned error is recorded the way the seeds'
// try/except does: an exception event (span.RecordError) and status Error
// with the error's message; the error is returned unchanged. A panic is
// recorded likewise, with a stack trace, and then re-panicked.
func Span(ctx context.Context, name string, fn func(ctx context.Context, span trace.Span) error, opts ...trace.SpanStartOption) error {
	_, err := SpanValue(ctx, name, func(ctx context.Context, span trace.Span) (struct{}, error) {
		return struct{}{}, fn(ctx, span)
	}, opts...)
	return err
}

// SpanValue is Span for functions that return a value.
func SpanValue[T any](ctx context.Context, name string, fn func(ctx context.Context, span trace.Span) (T, error), opts ...trace.SpanStartOption) (result T, err error) {
	ctx, span := otel.Tracer(ScopeName).Start(ctx, name, opts...)
	panicked := true
	defer func() {
		if panicked {
			r := recover()
			if r == nil { // runtime.Goexit (t.FailNow): not a failure of this span
				span.End()
				return
			}
			perr := fmt.Errorf("panic: %v", r)
			span.RecordError(perr, trace.WithStackTrace(true))
			span.SetStatus(codes.Error, perr.Error())
			span.End()
			panic(r)
		}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	result, err = fn(ctx, span)
	panicked = false
	return result, err
}
