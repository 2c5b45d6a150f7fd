package genaihttp_test

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/codes"

	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

func goMessages() []goopenai.ChatCompletionMessage {
	return []goopenai.ChatCompletionMessage{
		{Role: goopenai.ChatMessageRoleSystem, Content: "You are an AI assistant that acts as a travel guide."},
		{Role: goopenai.ChatMessageRoleUser, Content: "What are some recommended supplies for a camping trip in the mountains?"},
	}
}

func TestGoOpenAIChat(t *testing.T) {
	h := newHarness(t, standin.Options{}, genaihttp.WithCaptureContent(true))
	resp, err := h.goopenai().CreateChatCompletion(context.Background(), goopenai.ChatCompletionRequest{
		Model: "gpt-4o", Messages: goMessages(), MaxCompletionTokens: 300, PresencePenalty: 0.5, FrequencyPenalty: 0.25})
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if !strings.Contains(resp.Choices[0].Message.Content, "Mountain extras") {
		t.Errorf("answer %q", resp.Choices[0].Message.Content)
	}
	span := h.onlySpan(t)
	a := attrs(span)
	if span.Name != "chat gpt-4o" || a["gen_ai.request.max_tokens"].AsInt64() != 300 ||
		a["gen_ai.request.presence_penalty"].AsFloat64() != 0.5 || a["gen_ai.request.frequency_penalty"].AsFloat64() != 0.25 {
		t.Errorf("span %q attributes %v", span.Name, span.Attributes)
	}
	if a["gen_ai.usage.input_tokens"].AsInt64() != int64(resp.Usage.PromptTokens) ||
		a["gen_ai.usage.output_tokens"].AsInt64() != int64(resp.Usage.CompletionTokens) {
		t.Errorf("usage attrs %v %v, response %+v", a["gen_ai.usage.input_tokens"].String(), a["gen_ai.usage.output_tokens"].String(), resp.Usage)
	}
	out := jsonAttr(t, span, "gen_ai.output.messages")
	want := []any{map[string]any{"role": "assistant", "finish_reason": "stop",
		"parts": []any{map[string]any{"type": "text", "content": resp.Choices[0].Message.Content}}}}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("output messages %v", out)
	}
}

func TestGoOpenAIStreamWithoutUsage(t *testing.T) {
	h := newHarness(t, standin.Options{}, genaihttp.WithCaptureContent(true))
	stream, err := h.goopenai().CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model: "gpt-4o", Messages: goMessages(), Stream: true})
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	var text strings.Builder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		if len(chunk.Choices) > 0 {
			text.WriteString(chunk.Choices[0].Delta.Content)
		}
	}
	stream.Close()
	span := h.onlySpan(t)
	a := attrs(span)
	if _, ok := a["gen_ai.response.time_to_first_chunk"]; !ok {
		t.Error("no time_to_first_chunk")
	}
	if _, ok := a["gen_ai.usage.input_tokens"]; ok {
		t.Error("usage recorded although the stream carried none (no include_usage)")
	}
	got := jsonAttr(t, span, "gen_ai.output.messages").([]any)[0].(map[string]any)["parts"].([]any)[0].(map[string]any)["content"]
	if got != text.String() || text.Len() == 0 {
		t.Errorf("accumulated %q, client saw %q", got, text.String())
	}
}

func TestGoOpenAIEmbeddings(t *testing.T) {
	h := newHarness(t, standin.Options{})
	resp, err := h.goopenai().CreateEmbeddings(context.Background(), goopenai.EmbeddingRequestStrings{
		Input: []string{"trail mix"}, Model: goopenai.SmallEmbedding3})
	if err != nil {
		t.Fatalf("embeddings: %v", err)
	}
	a := attrs(h.onlySpan(t))
	if a["gen_ai.operation.name"].AsString() != "embeddings" || a["gen_ai.usage.input_tokens"].AsInt64() != int64(resp.Usage.PromptTokens) {
		t.Errorf("attributes %v", a)
	}
}

func TestGoOpenAIAzure(t *testing.T) {
	h := newHarness(t, standin.Options{})
	cfg := goopenai.DefaultAzureConfig("azure-key", strings.TrimSuffix(h.baseURL, "/v1/"))
	cfg.HTTPClient = h.client
	resp, err := goopenai.NewClientWithConfig(cfg).CreateChatCompletion(context.Background(),
		goopenai.ChatCompletionRequest{Model: "gpt-4o", Messages: goMessages()})
	if err != nil {
		t.Fatalf("azure chat: %v", err)
	}
	if resp.Model != "gpt-4o-2024-08-06" {
		t.Errorf("model %q", resp.Model)
	}
	span := h.onlySpan(t)
	a := attrs(span)
	if span.Name != "chat gpt-4o" || a["gen_ai.provider.name"].AsString() != "azure.ai.openai" {
		t.Errorf("span %q provider %q", span.Name, a["gen_ai.provider.name"].AsString())
	}
}

func TestGoOpenAIRateLimited(t *testing.T) {
	h := newHarness(t, standin.Options{ErrorRate: 1, Seed: 3})
	_, err := h.goopenai().CreateChatCompletion(context.Background(),
		goopenai.ChatCompletionRequest{Model: "gpt-4o", Messages: goMessages()})
	var apiErr *goopenai.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an API error, got %v", err)
	}
	span := h.onlySpan(t)
	if et := attrs(span)["error.type"].AsString(); et != "429" && et != "500" || span.Status.Code != codes.Error {
		t.Errorf("error.type %q status %v", et, span.Status)
	}
	if apiErr.Message == "" {
		t.Error("the client no longer sees the error body")
	}
}
