package session_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cairn-dev/cairn/sdk/session"
)

func TestContextValues(t *testing.T) {
	member := func(k, v string) baggage.Member {
		m, err := baggage.NewMember(k, v)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	bag, err := baggage.New(member("session.id", "from-baggage"), member("user.id", "u-baggage"))
	if err != nil {
		t.Fatal(err)
	}
	withBaggage := baggage.ContextWithBaggage(context.Background(), bag)

	f := func(name string, ctx context.Context, wantID, wantUser string) {
		t.Helper()
		if got := session.ID(ctx); got != wantID {
			t.Errorf("%s: ID = %q, want %q", name, got, wantID)
		}
		if got := session.User(ctx); got != wantUser {
			t.Errorf("%s: User = %q, want %q", name, got, wantUser)
		}
	}
	f("empty", context.Background(), "", "")
	f("set", session.WithUser(session.WithID(context.Background(), "s1"), "u1"), "s1", "u1")
	f("overridden", session.WithID(session.WithID(context.Background(), "s1"), "s2"), "s2", "")
	f("baggage", withBaggage, "from-baggage", "u-baggage")
	f("value beats baggage", session.WithID(withBaggage, "s3"), "s3", "u-baggage")
}

func TestSpanProcessorStampsEverySpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(session.SpanProcessor()), sdktrace.WithSyncer(exp))
	tr := tp.Tracer("test")

	ctx := session.WithUser(session.WithID(context.Background(), "session_42"), "hiker")
	ctx, root := tr.Start(ctx, "trail_guide_session")
	_, child := tr.Start(ctx, "recommend_hike")
	child.End()
	root.End()
	_, other := tr.Start(context.Background(), "unrelated")
	other.End()

	want := map[string][2]string{
		"trail_guide_session": {"session_42", "hiker"},
		"recommend_hike":      {"session_42", "hiker"},
		"unrelated":           {"", ""},
	}
	for _, s := range exp.GetSpans() {
		var got [2]string
		for _, kv := range s.Attributes {
			switch kv.Key {
			case session.IDKey:
				got[0] = kv.Value.AsString()
			case session.UserKey:
				got[1] = kv.Value.AsString()
			}
		}
		if got != want[s.Name] {
			t.Errorf("span %s: session/user = %v, want %v", s.Name, got, want[s.Name])
		}
	}
	if n := len(exp.GetSpans()); n != 3 {
		t.Errorf("%d spans, want 3", n)
	}
}

// recordingExporter keeps exported log records.
type recordingExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *recordingExporter) Export(_ context.Context, rs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		e.records = append(e.records, r.Clone())
	}
	return nil
}
func (e *recordingExporter) Shutdown(context.Context) error   { return nil }
func (e *recordingExporter) ForceFlush(context.Context) error { return nil }

func TestLogProcessorStampsRecords(t *testing.T) {
	exp := &recordingExporter{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(session.LogProcessor()),
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	logger := lp.Logger("test")
	emit := func(ctx context.Context, attrs ...attribute.KeyValue) {
		var r otellog.Record
		r.SetBody(attribute.StringValue("hello"))
		r.AddAttributes(attrs...)
		logger.Emit(ctx, r)
	}
	ctx := session.WithUser(session.WithID(context.Background(), "s-log"), "u-log")
	emit(ctx)
	emit(ctx, attribute.String("session.id", "explicit"))
	emit(context.Background())

	f := func(i int, wantID, wantUser string) {
		t.Helper()
		got := map[string][]string{}
		exp.records[i].WalkAttributes(func(kv attribute.KeyValue) bool {
			got[string(kv.Key)] = append(got[string(kv.Key)], kv.Value.AsString())
			return true
		})
		if wantID == "" {
			if len(got) != 0 {
				t.Errorf("record %d: unexpected attributes %v", i, got)
			}
			return
		}
		if len(got["session.id"]) != 1 || got["session.id"][0] != wantID || got["user.id"][0] != wantUser {
			t.Errorf("record %d: attributes %v, want session %q user %q once each", i, got, wantID, wantUser)
		}
	}
	if len(exp.records) != 3 {
		t.Fatalf("%d records", len(exp.records))
	}
	f(0, "s-log", "u-log")
	f(1, "explicit", "u-log")
	f(2, "", "")
}

func ExampleWithID() {
	ctx := session.WithID(context.Background(), "session_1730000000")
	ctx = session.WithUser(ctx, "user-42")
	fmt.Println(session.ID(ctx), session.User(ctx))
	// Output: session_1730000000 user-42
}
