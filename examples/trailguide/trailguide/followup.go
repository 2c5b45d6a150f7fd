package trailguide

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/openai/openai-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/sdk/cairn"
)

// PackingList is a follow-up turn: what to bring for the recommended hike.
// Trace: trail_guide_session → recommend_gear → gear_model_call → chat.
func (a *App) PackingList(ctx context.Context, sessionID, hike string) (Result, error) {
	return a.interaction(ctx, sessionID, func(ctx context.Context) (string, error) {
		return cairn.SpanValue(ctx, "recommend_gear", func(ctx context.Context, span trace.Span) (string, error) {
			prompt := fmt.Sprintf("What supplies should I pack for a camping trip to hike %s?", hike)
			list, err := a.CallModel(ctx, "You are an AI assistant that acts as a travel guide.", prompt, "gear_model_call")
			if err != nil {
				return "", err
			}
			a.printf("🎒 Packing list ready (%d characters)\n", len(list))
			return list, nil
		})
	})
}

// weatherToolParam offers the get_weather tool to the model.
func weatherToolParam() openai.ChatCompletionToolParam {
	return openai.ChatCompletionToolParam{Function: openai.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Get the weather forecast for a trail or place."),
		Parameters: openai.FunctionParameters{
			"type":       "object",
			"properties": map[string]any{"location": map[string]any{"type": "string", "description": "Trail or place name"}},
			"required":   []string{"location"},
		},
	}}
}

// Weather is a follow-up turn with a tool call: the model asks for
// get_weather, the app runs it (an execute_tool span) and the model answers.
// Trace: trail_guide_session → check_weather → chat, execute_tool get_weather, chat.
func (a *App) Weather(ctx context.Context, sessionID, hike string) (Result, error) {
	return a.interaction(ctx, sessionID, func(ctx context.Context) (string, error) {
		return cairn.SpanValue(ctx, "check_weather", func(ctx context.Context, span trace.Span) (string, error) {
			params := openai.ChatCompletionNewParams{
				Model: a.model(),
				Tools: []openai.ChatCompletionToolParam{weatherToolParam()},
				Messages: []openai.ChatCompletionMessageParamUnion{
					openai.SystemMessage("You are a hiking assistant. Use tools for live conditions."),
					openai.UserMessage(fmt.Sprintf("What's the weather forecast for the %s this weekend?", hike)),
				},
			}
			resp, err := a.Client.Chat.Completions.New(ctx, params)
			if err != nil {
				return "", fmt.Errorf("ask for the forecast: %w", err)
			}
			if len(resp.Choices) == 0 {
				return "", fmt.Errorf("ask for the forecast: no choices in response %s", resp.ID)
			}
			msg := resp.Choices[0].Message
			if len(msg.ToolCalls) == 0 {
				return msg.Content, nil
			}
			params.Messages = append(params.Messages, msg.ToParam())
			for _, tc := range msg.ToolCalls {
				result, err := runTool(ctx, tc, a.CaptureToolContent)
				if err != nil {
					return "", err
				}
				params.Messages = append(params.Messages, openai.ToolMessage(result, tc.ID))
			}
			resp, err = a.Client.Chat.Completions.New(ctx, params)
			if err != nil {
				return "", fmt.Errorf("summarise the forecast: %w", err)
			}
			if len(resp.Choices) == 0 {
				return "", fmt.Errorf("summarise the forecast: no choices in response %s", resp.ID)
			}
			a.printf("⛅ %s\n", resp.Choices[0].Message.Content)
			return resp.Choices[0].Message.Content, nil
		})
	})
}

// runTool executes one tool call in an execute_tool span (GenAI conventions).
func runTool(ctx context.Context, tc openai.ChatCompletionMessageToolCall, capture bool) (string, error) {
	return cairn.SpanValue(ctx, "execute_tool "+tc.Function.Name, func(ctx context.Context, span trace.Span) (string, error) {
		span.SetAttributes(
			attribute.String("gen_ai.operation.name", "execute_tool"),
			attribute.String("gen_ai.tool.name", tc.Function.Name),
			attribute.String("gen_ai.tool.call.id", tc.ID),
			attribute.String("gen_ai.tool.type", "function"))
		if tc.Function.Name != "get_weather" {
			return "", fmt.Errorf("the model called unknown tool %q (only get_weather is offered)", tc.Function.Name)
		}
		var args struct {
			Location string `json:"location"`
		}
		if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil {
			return "", fmt.Errorf("get_weather arguments are not JSON (%d bytes): %w", len(tc.Function.Arguments), err)
		}
		result := forecast(args.Location)
		if capture {
			span.SetAttributes(attribute.String("gen_ai.tool.call.arguments", tc.Function.Arguments),
				attribute.String("gen_ai.tool.call.result", result))
		}
		return result, nil
	}, trace.WithSpanKind(trace.SpanKindInternal))
}

// forecast is a canned, deterministic forecast: the example runs offline.
func forecast(location string) string {
	h := fnv.New32a()
	h.Write([]byte(location))
	n := h.Sum32()
	skies := []string{"sunny skies", "high clouds", "afternoon thunderstorms", "morning fog clearing by noon"}
	out, _ := json.Marshal(map[string]any{ // a map of plain values always marshals
		"location": location, "forecast": skies[n%4],
		"high_f": 55 + n%25, "low_f": 35 + n%15, "precipitation_chance": (n % 7) * 10,
	})
	return string(out)
}
