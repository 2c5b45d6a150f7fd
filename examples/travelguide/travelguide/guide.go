// Package travelguide is the camping-supplies travel guide from the seed
// "Monitor your generative AI app", in Go: one generate_completion span with
// the session id around a chat call, its status set to Error (with the
// exception recorded) when the call fails.
package travelguide

import (
	"context"
	"fmt"

	"github.com/openai/openai-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/sdk/cairn"
	"github.com/cairn-dev/cairn/sdk/session"
)

// The seed's prompts.
const (
	SystemPrompt    = "You are an AI assistant that acts as a travel guide."
	DefaultQuestion = "What are some recommended supplies for a camping trip in the mountains?"
)

// Guide answers travel questions; one Guide is one session.
type Guide struct {
	Client *openai.Client
	// Model is the model or deployment name; "gpt-4o" when empty.
	Model string
	// SessionID is stamped on every span (the seed's SESSION_ID).
	SessionID string
}

// Result is one completion and the trace that recorded it.
type Result struct {
	Answer  string
	TraceID string
}

// GenerateCompletion asks one question inside the generate_completion span.
func (g *Guide) GenerateCompletion(ctx context.Context, question string) (Result, error) {
	model := g.Model
	if model == "" {
		model = "gpt-4o"
	}
	ctx = session.WithID(ctx, g.SessionID)
	var res Result
	_, err := cairn.SpanValue(ctx, "generate_completion", func(ctx context.Context, span trace.Span) (string, error) {
		res.TraceID = span.SpanContext().TraceID().String()
		span.SetAttributes(attribute.String("session.id", g.SessionID))
		resp, err := g.Client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
			Model: model,
			Messages: []openai.ChatCompletionMessageParamUnion{
				openai.SystemMessage(SystemPrompt), openai.UserMessage(question)},
		})
		if err != nil {
			return "", fmt.Errorf("generate completion: %w", err)
		}
		if len(resp.Choices) == 0 {
			return "", fmt.Errorf("generate completion: no choices in response %s", resp.ID)
		}
		res.Answer = resp.Choices[0].Message.Content
		return res.Answer, nil
	})
	return res, err
}
