package genaihttp_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

// ExampleWrapClient instruments openai-go; any client that takes an
// *http.Client (go-openai, langchaingo, Azure's SDK) is wrapped the same way.
// A real program relies on the global providers from cairn.Setup instead of
// WithTracerProvider.
func ExampleWrapClient() {
	model := httptest.NewServer(standin.New(standin.Options{})) // an OpenAI-compatible endpoint
	defer model.Close()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))

	client := openai.NewClient(
		option.WithBaseURL(model.URL+"/v1"), option.WithAPIKey("sk-..."),
		option.WithHTTPClient(genaihttp.WrapClient(nil, genaihttp.WithTracerProvider(tp))))
	_, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Recommend an easy lakeside hike")},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s := spans.GetSpans()[0]
	fmt.Println(s.Name, s.SpanKind)
	for _, kv := range s.Attributes {
		switch kv.Key {
		case "gen_ai.provider.name", "gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens":
			fmt.Println(kv.Key, kv.Value.String())
		}
	}
	// Output:
	// chat gpt-4o client
	// gen_ai.provider.name openai
	// gen_ai.response.model gpt-4o-2024-08-06
	// gen_ai.usage.input_tokens 14
	// gen_ai.usage.output_tokens 36
}
