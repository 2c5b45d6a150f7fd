package travelguide_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cairn-dev/cairn/examples/modelclient"
	"github.com/cairn-dev/cairn/examples/travelguide/travelguide"
	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/cairn"
)

type nopLogs struct{}

func (nopLogs) Export(context.Context, []sdklog.Record) error { return nil }
func (nopLogs) Shutdown(context.Context) error                { return nil }
func (nopLogs) ForceFlush(context.Context) error              { return nil }

func TestGenerateCompletion(t *testing.T) {
	f := func(errorRate float64, wantStatus codes.Code) {
		t.Helper()
		spans := tracetest.NewInMemoryExporter()
		shutdown, err := cairn.Setup(context.Background(), cairn.WithSpanExporter(spans),
			cairn.WithMetricReader(sdkmetric.NewManualReader()), cairn.WithLogExporter(nopLogs{}))
		if err != nil {
			t.Fatal(err)
		}
		defer shutdown(context.Background())
		srv := httptest.NewServer(standin.New(standin.Options{ErrorRate: errorRate}))
		defer srv.Close()
		g := &travelguide.Guide{Client: modelclient.New(modelclient.Config{BaseURL: srv.URL + "/v1"}), SessionID: "sess-uuid"}
		res, err := g.GenerateCompletion(context.Background(), travelguide.DefaultQuestion)
		if (err != nil) != (wantStatus == codes.Error) {
			t.Fatalf("errorRate %v: err = %v", errorRate, err)
		}
		if err == nil && !strings.Contains(res.Answer, "Mountain extras") {
			t.Errorf("answer %q", res.Answer)
		}
		got := spans.GetSpans()
		if len(got) != 2 || got[1].Name != "generate_completion" || got[0].Name != "chat gpt-4o" {
			t.Fatalf("spans %v", got)
		}
		root := got[1]
		if root.Status.Code != wantStatus || got[0].Parent.SpanID() != root.SpanContext.SpanID() {
			t.Errorf("errorRate %v: root status %v, chat parent %v", errorRate, root.Status, got[0].Parent.SpanID())
		}
		if wantStatus == codes.Error && (len(root.Events) != 1 || root.Events[0].Name != "exception") {
			t.Errorf("failure not recorded as an exception: %v", root.Events)
		}
		for _, s := range got {
			found := false
			for _, kv := range s.Attributes {
				found = found || (kv.Key == "session.id" && kv.Value.AsString() == "sess-uuid")
			}
			if !found {
				t.Errorf("%s lacks session.id", s.Name)
			}
		}
	}
	f(0, codes.Unset)
	f(1, codes.Error)
}
