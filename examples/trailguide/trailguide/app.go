// Package trailguide is the Trail Guide AI Assistant from the seed
// "Implement tracing", in Go. Each user interaction is one trace:
//
//	trail_guide_session           session.id, session.success
//	└─ recommend_hike             hike_recommendation
//	   └─ recommend_model_call    prompt.user, response.time, response.tokens
//	      └─ chat gpt-4o          (genaihttp: model, tokens, content, errors)
//
// Follow-up turns of the same session (a packing list, a weather check with a
// tool call) are further traces with the same session.id.
package trailguide

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openai/openai-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/sdk/cairn"
	"github.com/cairn-dev/cairn/sdk/session"
)

// App is the assistant. Its spans go to the global tracer provider (set up
// by cairn.Setup); its model calls are traced by the client's transport.
type App struct {
	Client *openai.Client
	// Model is the chat model; "gpt-4o" when empty.
	Model string
	// Out receives the progress lines the seed prints; nil discards them.
	Out io.Writer
	// CaptureToolContent records tool arguments and results on execute_tool
	// spans (opt-in, like message content).
	CaptureToolContent bool
}

// Result is the outcome of one interaction (one trace).
type Result struct {
	Answer  string
	TraceID string
}

func (a *App) model() string {
	if a.Model == "" {
		return "gpt-4o"
	}
	return a.Model
}

func (a *App) printf(format string, args ...any) {
	if a.Out != nil {
		fmt.Fprintf(a.Out, format, args...)
	}
}

// CallModel is the seed's call_model wrapper: a span recording the prompt,
// the response time and the response's word count around one chat call.
func (a *App) CallModel(ctx context.Context, systemPrompt, userPrompt, spanName string) (string, error) {
	return cairn.SpanValue(ctx, spanName, func(ctx context.Context, span trace.Span) (string, error) {
		span.SetAttributes(attribute.String("prompt.user", userPrompt))
		start := time.Now()
		resp, err := a.Client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: a.model(),
			Messages: []openai.ChatCompletionMessageParamUnion{
				openai.SystemMessage(systemPrompt), openai.UserMessage(userPrompt)},
		})
		if err != nil {
			return "", fmt.Errorf("%s: %w", spanName, err)
		}
		if len(resp.Choices) == 0 {
			return "", fmt.Errorf("%s: the model returned no choices (response %s)", spanName, resp.ID)
		}
		output := resp.Choices[0].Message.Content
		span.SetAttributes(
			attribute.Float64("response.time", time.Since(start).Seconds()),
			attribute.Int("response.tokens", len(strings.Fields(output))))
		return output, nil
	})
}

// RecommendHike is the seed's recommend_hike business span.
func (a *App) RecommendHike(ctx context.Context, preferences string) (string, error) {
	return cairn.SpanValue(ctx, "recommend_hike", func(ctx context.Context, span trace.Span) (string, error) {
		prompt := fmt.Sprintf(`
        Recommend a named hiking trail based on the following user preferences.
        Provide only the name of the trail and a one-sentence summary.
        Preferences: %s
        `, preferences)
		response, err := a.CallModel(ctx, "You are an expert hiking trail recommender.", prompt, "recommend_model_call")
		if err != nil {
			return "", err
		}
		result := strings.TrimSpace(response)
		span.SetAttributes(attribute.String("hike_recommendation", result))
		return result, nil
	})
}

// Session is the seed's trail_guide_session: one user interaction, the root
// of its trace. The session id goes into the context too, so every span of
// the trace (the model call included) carries it.
func (a *App) Session(ctx context.Context, sessionID, preferences string) (Result, error) {
	return a.interaction(ctx, sessionID, func(ctx context.Context) (string, error) {
		a.printf("--- Trail Guide AI Assistant ---\n")
		hike, err := a.RecommendHike(ctx, preferences)
		if err != nil {
			return "", err
		}
		a.printf("✅ Recommended Hike: %s\n", hike)
		return hike, nil
	})
}

// interaction wraps one turn in the trail_guide_session root span.
func (a *App) interaction(ctx context.Context, sessionID string, turn func(context.Context) (string, error)) (Result, error) {
	ctx = session.WithID(ctx, sessionID)
	var res Result
	_, err := cairn.SpanValue(ctx, "trail_guide_session", func(ctx context.Context, span trace.Span) (string, error) {
		res.TraceID = span.SpanContext().TraceID().String()
		span.SetAttributes(attribute.String("session.id", sessionID))
		answer, err := turn(ctx)
		span.SetAttributes(attribute.Bool("session.success", err == nil))
		if err != nil {
			return "", err
		}
		res.Answer = answer
		a.printf("🔍 Trace ID available for session: %s\n", sessionID)
		return answer, nil
	})
	return res, err
}
