package cairn_test

import (
	"context"
	"errors"
	"fmt"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/sdk/cairn"
	"github.com/cairn-dev/cairn/sdk/session"
)

// ExampleSetup shows the usual start of a traced program. Here spans go to an
// in-memory exporter so the example can print them; a real program passes no
// exporter options and its telemetry goes to Cairn at http://127.0.0.1:4318
// (or wherever OTEL_EXPORTER_OTLP_ENDPOINT points).
func ExampleSetup() {
	ctx := context.Background()
	spans := tracetest.NewInMemoryExporter()
	shutdown, err := cairn.Setup(ctx, cairn.WithServiceName("trail-guide"),
		cairn.WithSpanExporter(spans), cairn.WithMetricReader(sdkmetric.NewManualReader()), cairn.WithLogExporter(&logSink{}))
	if err != nil {
		fmt.Println("setup:", err)
		return
	}
	defer func() {
		if err := shutdown(ctx); err != nil {
			fmt.Println("shutdown:", err)
		}
	}()

	ctx = session.WithID(ctx, "session_1730000000")
	_ = cairn.Span(ctx, "trail_guide_session", func(ctx context.Context, span trace.Span) error {
		return cairn.Span(ctx, "recommend_hike", func(ctx context.Context, span trace.Span) error {
			return nil
		})
	})
	for _, s := range spans.GetSpans() {
		sid, _ := attributeOf(s.Attributes, "session.id")
		fmt.Println(s.Name, "session.id="+sid)
	}
	// Output:
	// recommend_hike session.id=session_1730000000
	// trail_guide_session session.id=session_1730000000
}

// ExampleSpan shows an error recorded the way the seeds' try/except does.
func ExampleSpan() {
	ctx := context.Background()
	spans := tracetest.NewInMemoryExporter()
	shutdown, _ := cairn.Setup(ctx, cairn.WithSpanExporter(spans),
		cairn.WithMetricReader(sdkmetric.NewManualReader()), cairn.WithLogExporter(&logSink{}))
	defer shutdown(ctx)

	err := cairn.Span(ctx, "generate_completion", func(ctx context.Context, span trace.Span) error {
		return errors.New("429 Too Many Requests")
	})
	s := spans.GetSpans()[0]
	fmt.Println(err)
	fmt.Println(s.Name, s.Status.Code, s.Status.Description, s.Events[0].Name)
	// Output:
	// 429 Too Many Requests
	// generate_completion Error 429 Too Many Requests exception
}
