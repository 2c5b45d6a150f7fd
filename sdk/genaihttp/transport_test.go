package genaihttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
	"github.com/cairn-dev/cairn/sdk/session"
)

const (
	systemPrompt = "You are an expert hiking trail recommender."
	userPrompt   = "Recommend a named hiking trail. Preferences: easy, lakes, family friendly"
)

func chatParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:       "gpt-4o",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(systemPrompt), openai.UserMessage(userPrompt)},
		Temperature: openai.Float(0.2),
		TopP:        openai.Float(0.9),
		MaxTokens:   openai.Int(200),
		Seed:        openai.Int(42),
		Stop:        openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"\n\n"}},
	}
}

func TestChatNonStreamingWithContent(t *testing.T) {
	h := newHarness(t, standin.Options{}, genaihttp.WithCaptureContent(true))
	ctx := session.WithID(context.Background(), "session-1")
	resp, err := h.openai().Chat.Completions.New(ctx, chatParams())
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	answer := resp.Choices[0].Message.Content
	if !strings.HasPrefix(answer, "Emerald Lake Trail") {
		t.Errorf("stand-in answer %q: the request body did not reach the server intact", answer)
	}

	span := h.onlySpan(t)
	if span.Name != "chat gpt-4o" || span.SpanKind != trace.SpanKindClient {
		t.Errorf("span = %q kind %v, want \"chat gpt-4o\" CLIENT", span.Name, span.SpanKind)
	}
	if span.Status.Code != codes.Unset {
		t.Errorf("status = %v, want Unset", span.Status)
	}
	a := attrs(span)
	port, _ := strconv.Atoi(h.server.URL[strings.LastIndexByte(h.server.URL, ':')+1:])
	want := map[string]attribute.Value{
		"gen_ai.operation.name":                attribute.StringValue("chat"),
		"gen_ai.provider.name":                 attribute.StringValue("openai"),
		"gen_ai.request.model":                 attribute.StringValue("gpt-4o"),
		"gen_ai.request.temperature":           attribute.Float64Value(0.2),
		"gen_ai.request.top_p":                 attribute.Float64Value(0.9),
		"gen_ai.request.max_tokens":            attribute.IntValue(200),
		"gen_ai.request.seed":                  attribute.IntValue(42),
		"gen_ai.request.stop_sequences":        attribute.StringSliceValue([]string{"\n\n"}),
		"gen_ai.response.model":                attribute.StringValue("gpt-4o-2024-08-06"),
		"gen_ai.response.id":                   attribute.StringValue(resp.ID),
		"gen_ai.response.finish_reasons":       attribute.StringSliceValue([]string{"stop"}),
		"gen_ai.usage.input_tokens":            attribute.IntValue(int(resp.Usage.PromptTokens)),
		"gen_ai.usage.output_tokens":           attribute.IntValue(int(resp.Usage.CompletionTokens)),
		"gen_ai.usage.cache_read.input_tokens": attribute.IntValue(0),
		"gen_ai.usage.reasoning.output_tokens": attribute.IntValue(0),
		"gen_ai.conversation.id":               attribute.StringValue("session-1"),
		"server.address":                       attribute.StringValue("127.0.0.1"),
		"server.port":                          attribute.IntValue(port),
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %v, want %v", k, a[k].String(), v.String())
		}
	}
	if _, ok := a["error.type"]; ok {
		t.Errorf("error.type set on a successful call: %v", a["error.type"].String())
	}

	f := func(key, wantJSON string) {
		t.Helper()
		if got := jsonAttr(t, span, key); !reflect.DeepEqual(got, mustJSON(t, wantJSON)) {
			t.Errorf("%s =\n%v\nwant\n%s", key, a[key].AsString(), wantJSON)
		}
	}
	f("gen_ai.system_instructions", `[{"type":"text","content":"`+systemPrompt+`"}]`)
	f("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"`+userPrompt+`"}]}]`)
	f("gen_ai.output.messages", `[{"role":"assistant","parts":[{"type":"text","content":`+strconv.Quote(answer)+`}],"finish_reason":"stop"}]`)
}

func TestContentOffByDefault(t *testing.T) {
	t.Setenv(genaihttp.EnvCaptureContent, "")
	t.Setenv(genaihttp.EnvAzureCaptureContent, "")
	h := newHarness(t, standin.Options{})
	if _, err := h.openai().Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatalf("chat: %v", err)
	}
	a := attrs(h.onlySpan(t))
	for _, k := range []string{"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions"} {
		if v, ok := a[k]; ok {
			t.Errorf("content attribute %s recorded without opt-in: %s", k, v.AsString())
		}
	}
	if a["gen_ai.usage.output_tokens"].AsInt64() == 0 {
		t.Errorf("usage missing without content capture: %v", a)
	}
}

func TestCaptureContentFromEnv(t *testing.T) {
	f := func(otelValue, azureValue string, want bool) {
		t.Helper()
		t.Setenv(genaihttp.EnvCaptureContent, otelValue)
		t.Setenv(genaihttp.EnvAzureCaptureContent, azureValue)
		if got := genaihttp.CaptureContentFromEnv(); got != want {
			t.Errorf("OTEL=%q AZURE=%q: capture = %v, want %v", otelValue, azureValue, got, want)
		}
	}
	f("", "", false)
	f("true", "", true)
	f("TRUE", "", true)
	f("SPAN_ONLY", "", true)
	f("span_and_event", "", true)
	f("NO_CONTENT", "", false)
	f("false", "", false)
	f("", "true", true)
	f("false", "True", true)
	f("", "false", false)
}

func TestCaptureContentFromEnvAtNewTransport(t *testing.T) {
	t.Setenv(genaihttp.EnvCaptureContent, "true")
	h := newHarness(t, standin.Options{})
	if _, err := h.openai().Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatalf("chat: %v", err)
	}
	if _, ok := attrs(h.onlySpan(t))["gen_ai.output.messages"]; !ok {
		t.Error("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true did not enable content capture")
	}
}

func TestStreamingChat(t *testing.T) {
	h := newHarness(t, standin.Options{}, genaihttp.WithCaptureContent(true))
	params := chatParams()
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := h.openai().Chat.Completions.NewStreaming(context.Background(), params)
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
		if chunks == 2 && len(h.spans.GetSpans()) != 0 {
			t.Error("span ended before the stream was consumed")
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if err := stream.Close(); err != nil {
		t.Fatalf("close stream: %v", err)
	}
	text := acc.Choices[0].Message.Content
	if chunks < 5 || !strings.HasPrefix(text, "Emerald Lake Trail") {
		t.Fatalf("stream gave %d chunks, text %q", chunks, text)
	}

	span := h.onlySpan(t)
	a := attrs(span)
	if ttft, ok := a["gen_ai.response.time_to_first_chunk"]; !ok || ttft.AsFloat64() <= 0 {
		t.Errorf("gen_ai.response.time_to_first_chunk = %v (present %v), want > 0", ttft.AsFloat64(), ok)
	}
	if !a["gen_ai.request.stream"].AsBool() {
		t.Error("gen_ai.request.stream not true")
	}
	f := func(key string, want attribute.Value) {
		t.Helper()
		if a[key] != want {
			t.Errorf("%s = %v, want %v", key, a[key].String(), want.String())
		}
	}
	f("gen_ai.usage.input_tokens", attribute.IntValue(int(acc.Usage.PromptTokens)))
	f("gen_ai.usage.output_tokens", attribute.IntValue(int(acc.Usage.CompletionTokens)))
	f("gen_ai.response.model", attribute.StringValue("gpt-4o-2024-08-06"))
	f("gen_ai.response.id", attribute.StringValue(acc.ID))
	f("gen_ai.response.finish_reasons", attribute.StringSliceValue([]string{"stop"}))
	got := jsonAttr(t, span, "gen_ai.output.messages")
	want := mustJSON(t, `[{"role":"assistant","parts":[{"type":"text","content":`+strconv.Quote(text)+`}],"finish_reason":"stop"}]`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("streamed output messages = %v, want %v", got, want)
	}
}

func weatherTool() openai.ChatCompletionToolParam {
	return openai.ChatCompletionToolParam{Function: openai.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Current forecast for a place"),
		Parameters: openai.FunctionParameters{"type": "object",
			"properties": map[string]any{"location": map[string]any{"type": "string"}}},
	}}
}

func TestToolCalls(t *testing.T) {
	f := func(stream bool) {
		t.Helper()
		h := newHarness(t, standin.Options{}, genaihttp.WithCaptureContent(true))
		client := h.openai()
		q := "What's the weather forecast at Mount Rainier tomorrow?"
		params := openai.ChatCompletionNewParams{Model: "gpt-4o", Tools: []openai.ChatCompletionToolParam{weatherTool()},
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(q)}}
		var call openai.ChatCompletionMessage
		if stream {
			s := client.Chat.Completions.NewStreaming(context.Background(), params)
			var acc openai.ChatCompletionAccumulator
			for s.Next() {
				acc.AddChunk(s.Current())
			}
			if err := errors.Join(s.Err(), s.Close()); err != nil {
				t.Fatalf("stream: %v", err)
			}
			call = acc.Choices[0].Message
		} else {
			resp, err := client.Chat.Completions.New(context.Background(), params)
			if err != nil {
				t.Fatalf("chat: %v", err)
			}
			call = resp.Choices[0].Message
		}
		if len(call.ToolCalls) != 1 {
			t.Fatalf("stream=%v: want one tool call, got %+v", stream, call)
		}
		tc := call.ToolCalls[0]
		span := h.onlySpan(t)
		if got := attrs(span)["gen_ai.response.finish_reasons"].AsStringSlice(); !reflect.DeepEqual(got, []string{"tool_calls"}) {
			t.Errorf("stream=%v: finish reasons %v", stream, got)
		}
		wantOut := `[{"role":"assistant","finish_reason":"tool_calls","parts":[{"type":"tool_call","id":"` + tc.ID +
			`","name":"get_weather","arguments":{"location":"Mount Rainier"}}]}]`
		if got := jsonAttr(t, span, "gen_ai.output.messages"); !reflect.DeepEqual(got, mustJSON(t, wantOut)) {
			t.Errorf("stream=%v: output messages = %v\nwant %s", stream, got, wantOut)
		}

		// Second turn: the tool result goes back; it appears as a tool_call_response part.
		h.spans.Reset()
		params.Messages = append(params.Messages, call.ToParam(),
			openai.ToolMessage(`{"location":"Mount Rainier","forecast":"sunny","high_f":61,"low_f":40,"precipitation_chance":10}`, tc.ID))
		resp, err := client.Chat.Completions.New(context.Background(), params)
		if err != nil {
			t.Fatalf("second turn: %v", err)
		}
		if !strings.Contains(resp.Choices[0].Message.Content, "sunny") {
			t.Errorf("answer ignores the tool result: %q", resp.Choices[0].Message.Content)
		}
		in := jsonAttr(t, h.onlySpan(t), "gen_ai.input.messages").([]any)
		if len(in) != 3 {
			t.Fatalf("want 3 input messages, got %v", in)
		}
		wantTool := mustJSON(t, `{"role":"tool","parts":[{"type":"tool_call_response","id":"`+tc.ID+
			`","response":"{\"location\":\"Mount Rainier\",\"forecast\":\"sunny\",\"high_f\":61,\"low_f\":40,\"precipitation_chance\":10}"}]}`)
		if !reflect.DeepEqual(in[2], wantTool) {
			t.Errorf("tool message = %v\nwant %v", in[2], wantTool)
		}
		wantAssistant := mustJSON(t, `{"role":"assistant","parts":[{"type":"tool_call","id":"`+tc.ID+
			`","name":"get_weather","arguments":{"location":"Mount Rainier"}}]}`)
		if !reflect.DeepEqual(in[1], wantAssistant) {
			t.Errorf("assistant message = %v\nwant %v", in[1], wantAssistant)
		}
	}
	f(false)
	f(true)
}

func TestAPIError(t *testing.T) {
	f := func(status int, wantMsg string) {
		t.Helper()
		h := newHarness(t, standin.Options{})
		_, err := h.openai(option.WithHeader(standin.ErrorHeader, strconv.Itoa(status))).
			Chat.Completions.New(context.Background(), chatParams())
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
			t.Fatalf("client error = %v, want the API's %d passed through", err, status)
		}
		span := h.onlySpan(t)
		if got := attrs(span)["error.type"].AsString(); got != strconv.Itoa(status) {
			t.Errorf("error.type = %q, want %q", got, strconv.Itoa(status))
		}
		if span.Status.Code != codes.Error || !strings.Contains(span.Status.Description, wantMsg) {
			t.Errorf("status = %+v, want Error mentioning %q", span.Status, wantMsg)
		}
		if len(span.Events) != 1 || span.Events[0].Name != "exception" {
			t.Fatalf("events = %+v, want one exception event", span.Events)
		}
		ev := map[string]string{}
		for _, kv := range span.Events[0].Attributes {
			ev[string(kv.Key)] = kv.Value.String()
		}
		if ev["exception.type"] != "github.com/cairn-dev/cairn/sdk/genaihttp.APIError" || !strings.Contains(ev["exception.message"], wantMsg) {
			t.Errorf("exception event = %v", ev)
		}
		dur := h.metrics(t)[genaihttp.MetricOperationDuration].Data.(metricdata.Histogram[float64])
		if v, _ := dur.DataPoints[0].Attributes.Value("error.type"); v.AsString() != strconv.Itoa(status) {
			t.Errorf("duration metric error.type = %q", v.AsString())
		}
		if _, ok := h.metrics(t)[genaihttp.MetricTokenUsage]; ok {
			t.Error("token usage recorded for a failed call")
		}
	}
	f(http.StatusTooManyRequests, "rate_limit_exceeded")
	f(http.StatusInternalServerError, "server_error")
}

func TestTransportError(t *testing.T) {
	h := newHarness(t, standin.Options{})
	h.server.Close()
	_, err := h.openai().Chat.Completions.New(context.Background(), chatParams())
	if err == nil {
		t.Fatal("call to a closed server succeeded")
	}
	span := h.onlySpan(t)
	if got := attrs(span)["error.type"].AsString(); got != "*net.OpError" {
		t.Errorf("error.type = %q, want *net.OpError", got)
	}
	if span.Status.Code != codes.Error || len(span.Events) != 1 {
		t.Errorf("status %+v events %d, want Error and an exception", span.Status, len(span.Events))
	}
}

func TestEmbeddings(t *testing.T) {
	h := newHarness(t, standin.Options{}, genaihttp.WithCaptureContent(true))
	resp, err := h.openai().Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model:      openai.EmbeddingModelTextEmbedding3Small,
		Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpine lakes", "desert arches"}},
		Dimensions: openai.Int(64),
	})
	if err != nil {
		t.Fatalf("embeddings: %v", err)
	}
	if len(resp.Data) != 2 || len(resp.Data[0].Embedding) != 64 {
		t.Fatalf("got %d vectors of %d", len(resp.Data), len(resp.Data[0].Embedding))
	}
	span := h.onlySpan(t)
	a := attrs(span)
	if span.Name != "embeddings text-embedding-3-small" || a["gen_ai.operation.name"].AsString() != "embeddings" {
		t.Errorf("span %q op %q", span.Name, a["gen_ai.operation.name"].AsString())
	}
	if a["gen_ai.usage.input_tokens"].AsInt64() != resp.Usage.PromptTokens || a["gen_ai.embeddings.dimension.count"].AsInt64() != 64 {
		t.Errorf("usage %v dims %v", a["gen_ai.usage.input_tokens"].String(), a["gen_ai.embeddings.dimension.count"].String())
	}
	if _, ok := a["gen_ai.usage.output_tokens"]; ok {
		t.Error("embeddings have no output tokens")
	}
	tokens := h.metrics(t)[genaihttp.MetricTokenUsage].Data.(metricdata.Histogram[int64])
	if len(tokens.DataPoints) != 1 {
		t.Fatalf("want one token data point (input), got %d", len(tokens.DataPoints))
	}
}

func TestPassThrough(t *testing.T) {
	h := newHarness(t, standin.Options{})
	resp, err := h.client.Get(h.baseURL + "models")
	if err != nil {
		t.Fatalf("GET models: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "gpt-4o") {
		t.Errorf("body %s", body)
	}
	if n := len(h.spans.GetSpans()); n != 0 {
		t.Errorf("non-GenAI request produced %d spans", n)
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t, standin.Options{})
	client := h.openai()
	var in, out int64
	for range 2 {
		resp, err := client.Chat.Completions.New(context.Background(), chatParams())
		if err != nil {
			t.Fatalf("chat: %v", err)
		}
		in += resp.Usage.PromptTokens
		out += resp.Usage.CompletionTokens
	}
	m := h.metrics(t)
	tokens := m[genaihttp.MetricTokenUsage]
	if tokens.Unit != "{token}" {
		t.Errorf("token unit %q", tokens.Unit)
	}
	sums := map[string]int64{}
	for _, dp := range tokens.Data.(metricdata.Histogram[int64]).DataPoints {
		if !reflect.DeepEqual(dp.Bounds, genaihttp.TokenUsageBuckets) {
			t.Errorf("token buckets %v", dp.Bounds)
		}
		tt, _ := dp.Attributes.Value("gen_ai.token.type")
		rm, _ := dp.Attributes.Value("gen_ai.response.model")
		op, _ := dp.Attributes.Value("gen_ai.operation.name")
		if dp.Count != 2 || rm.AsString() != "gpt-4o-2024-08-06" || op.AsString() != "chat" {
			t.Errorf("token point %v: count %d model %q op %q", tt.String(), dp.Count, rm.AsString(), op.AsString())
		}
		sums[tt.AsString()] = dp.Sum
	}
	if sums["input"] != in || sums["output"] != out {
		t.Errorf("token sums %v, want input %d output %d", sums, in, out)
	}
	dur := m[genaihttp.MetricOperationDuration]
	if dur.Unit != "s" {
		t.Errorf("duration unit %q", dur.Unit)
	}
	dps := dur.Data.(metricdata.Histogram[float64]).DataPoints
	if len(dps) != 1 || dps[0].Count != 2 || !reflect.DeepEqual(dps[0].Bounds, genaihttp.OperationDurationBuckets) {
		t.Errorf("duration points %+v", dps)
	}
	if _, ok := dps[0].Attributes.Value("error.type"); ok {
		t.Error("error.type on successful duration point")
	}
}
