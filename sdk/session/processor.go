package session

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// SpanProcessor returns a span processor that sets session.id and user.id on
// every span whose start context carries them (see WithID, WithUser). It keeps
// no state, so one instance may serve several tracer providers. Attributes the
// code sets itself on the span later win over the stamped ones.
func SpanProcessor() sdktrace.SpanProcessor { return spanProcessor{} }

type spanProcessor struct{}

// OnStart stamps the ids; it runs synchronously inside Tracer.Start.
func (spanProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if id := ID(parent); id != "" {
		s.SetAttributes(attribute.String(IDKey, id))
	}
	if u := User(parent); u != "" {
		s.SetAttributes(attribute.String(UserKey, u))
	}
}

func (spanProcessor) OnEnd(sdktrace.ReadOnlySpan)      {}
func (spanProcessor) Shutdown(context.Context) error   { return nil }
func (spanProcessor) ForceFlush(context.Context) error { return nil }

// LogProcessor returns a log processor that adds session.id and user.id to
// every log record emitted with a context that carries them. Register it
// before the exporting processor: the SDK hands records to processors in
// registration order, and later processors see the added attributes.
func LogProcessor() sdklog.Processor { return logProcessor{} }

type logProcessor struct{}

// Enabled reports true: this processor never filters records.
func (logProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// OnEmit adds the ids unless the record already has them.
func (logProcessor) OnEmit(ctx context.Context, r *sdklog.Record) error {
	id, user := ID(ctx), User(ctx)
	if id == "" && user == "" {
		return nil
	}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		switch kv.Key {
		case IDKey:
			id = ""
		case UserKey:
			user = ""
		}
		return true
	})
	if id != "" {
		r.AddAttributes(attribute.String(IDKey, id))
	}
	if user != "" {
		r.AddAttributes(attribute.String(UserKey, user))
	}
	return nil
}

func (logProcessor) Shutdown(context.Context) error   { return nil }
func (logProcessor) ForceFlush(context.Context) error { return nil }
