package modelclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go"

	"github.com/cairn-dev/cairn/internal/standin"
)

// TestStandinFromEnv checks that STANDIN_LATENCY and STANDIN_ERROR_RATE override the
// example's options, and that a bad value is refused with the variable's name.
func TestStandinFromEnv(t *testing.T) {
	f := func(latency, rate string, want standin.Options, wantErr string) {
		t.Helper()
		t.Setenv("STANDIN_LATENCY", latency)
		t.Setenv("STANDIN_ERROR_RATE", rate)
		got, err := standinFromEnv(standin.Options{Latency: time.Second, ErrorRate: 0.5})
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Fatalf("latency %q rate %q: error %v, want one naming %s", latency, rate, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Fatalf("latency %q rate %q: %v", latency, rate, err)
		}
		if got != want {
			t.Fatalf("latency %q rate %q: got %+v, want %+v", latency, rate, got, want)
		}
	}
	f("", "", standin.Options{Latency: time.Second, ErrorRate: 0.5}, "")
	f("250ms", "", standin.Options{Latency: 250 * time.Millisecond, ErrorRate: 0.5}, "")
	f("", "0", standin.Options{Latency: time.Second}, "")
	f("0s", "1", standin.Options{ErrorRate: 1}, "")
	f("soon", "", standin.Options{}, "STANDIN_LATENCY")
	f("-1s", "", standin.Options{}, "STANDIN_LATENCY")
	f("", "1.5", standin.Options{}, "STANDIN_ERROR_RATE")
	f("", "many", standin.Options{}, "STANDIN_ERROR_RATE")
}

// TestFromEnvStandinFails starts the stand-in from the environment with every answer an
// error, and checks that a chat completion through the instrumented client fails.
func TestFromEnvStandinFails(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("STANDIN_ERROR_RATE", "1")
	t.Setenv("STANDIN_LATENCY", "0s")
	cfg, stop, err := FromEnv(standin.Options{Latency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())
	cfg.MaxRetries = 0
	c := New(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    cfg.Model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")},
	})
	var apiErr *openai.Error
	if err == nil || !errors.As(err, &apiErr) || (apiErr.StatusCode != 429 && apiErr.StatusCode != 500) {
		t.Fatalf("chat with STANDIN_ERROR_RATE=1: err %v, want an API error 429 or 500", err)
	}
}
