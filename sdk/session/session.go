// Package session carries a conversation's session id and user id in a
// context.Context and stamps them on every span and log record started in that
// context, so that a whole conversation can be followed across traces (the
// seeds' "include session ID in all spans").
//
// Install SpanProcessor on the tracer provider and LogProcessor on the logger
// provider (cairn.Setup does both), then:
//
//	ctx = session.WithID(ctx, "session_1730000000")
//	ctx = session.WithUser(ctx, "user-42")
//
// Every span started from ctx, or from a context derived from it, carries
// session.id and user.id.
package session

import (
	"context"

	"go.opentelemetry.io/otel/baggage"
)

// Attribute keys stamped on spans and log records. They are the keys the
// OpenTelemetry semantic conventions (session.id, user.id) and Cairn's session
// views use.
const (
	IDKey   = "session.id"
	UserKey = "user.id"
)

type idKey struct{}
type userKey struct{}

// WithID returns a copy of ctx that carries the session id. An empty id
// leaves the session unset for that context.
func WithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// WithUser returns a copy of ctx that carries the end user's id.
func WithUser(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, userKey{}, id)
}

// ID returns the session id carried by ctx: the one set by WithID, or else a
// "session.id" W3C baggage member, so a session started in an upstream service
// follows the request. It returns "" when there is none.
func ID(ctx context.Context) string {
	return lookup(ctx, idKey{}, IDKey)
}

// User returns the user id carried by ctx (WithUser, else a "user.id" baggage
// member), or "".
func User(ctx context.Context) string {
	return lookup(ctx, userKey{}, UserKey)
}

func lookup(ctx context.Context, key any, baggageKey string) string {
	if ctx == nil {
		return ""
	}
	if v, ok := ctx.Value(key).(string); ok && v != "" {
		return v
	}
	return baggage.FromContext(ctx).Member(baggageKey).Value()
}
