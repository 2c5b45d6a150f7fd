package genaihttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

// handlerTransport serves requests from an in-process handler, so the
// benchmark measures client and instrumentation work, not sockets.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// BenchmarkChat compares one openai-go chat call through the plain and the
// instrumented transport (spans go to a discarding exporter through a
// synchronous processor; metrics to a manual reader).
func BenchmarkChat(b *testing.B) {
	base := handlerTransport{standin.New(standin.Options{})}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	run := func(name string, rt http.RoundTripper, stream bool) {
		b.Run(name, func(b *testing.B) {
			client := openai.NewClient(option.WithBaseURL("http://standin.local/v1/"), option.WithAPIKey("k"),
				option.WithHTTPClient(&http.Client{Transport: rt}), option.WithMaxRetries(0))
			params := chatParams()
			params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
			b.ReportAllocs()
			for b.Loop() {
				if stream {
					s := client.Chat.Completions.NewStreaming(context.Background(), params)
					for s.Next() {
					}
					if err := s.Close(); err != nil || s.Err() != nil {
						b.Fatal(err, s.Err())
					}
					continue
				}
				if _, err := client.Chat.Completions.New(context.Background(), params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, stream := range []bool{false, true} {
		prefix := "unary/"
		if stream {
			prefix = "stream/"
		}
		run(prefix+"plain", base, stream)
		run(prefix+"instrumented", genaihttp.NewTransport(base, genaihttp.WithTracerProvider(tp),
			genaihttp.WithMeterProvider(mp), genaihttp.WithCaptureContent(false)), stream)
		run(prefix+"instrumented+content", genaihttp.NewTransport(base, genaihttp.WithTracerProvider(tp),
			genaihttp.WithMeterProvider(mp), genaihttp.WithCaptureContent(true)), stream)
	}
}
