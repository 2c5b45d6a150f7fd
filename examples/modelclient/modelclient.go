// Package modelclient builds the instrumented openai-go client the examples
// and the demo share: any OpenAI-compatible endpoint from OPENAI_BASE_URL,
// OPENAI_API_KEY and MODEL, or an in-process stand-in model when
// OPENAI_BASE_URL is unset.
package modelclient

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"

	"github.com/cairn-dev/cairn/internal/standin"
	"github.com/cairn-dev/cairn/sdk/genaihttp"
)

// DefaultModel is used when MODEL is unset, as in the seeds.
const DefaultModel = "gpt-4o"

// Config describes the model endpoint.
type Config struct {
	// BaseURL is the OpenAI-compatible base URL, e.g. https://api.openai.com/v1.
	BaseURL string
	// APIKey is sent as a bearer token; the stand-in ignores it.
	APIKey string
	// Model is the model (or deployment) name the apps ask for.
	Model string
	// MaxRetries is how often openai-go retries 429 and 5xx answers; each
	// attempt is its own "chat" span.
	MaxRetries int
	// Transport configures the genaihttp instrumentation (content capture...).
	Transport []genaihttp.Option
}

// New returns an openai-go client whose HTTP calls are traced by genaihttp
// with the global tracer and meter providers.
func New(cfg Config) *openai.Client {
	opts := []option.RequestOption{
		option.WithHTTPClient(genaihttp.WrapClient(nil, cfg.Transport...)),
		option.WithMaxRetries(cfg.MaxRetries),
	}
	if cfg.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(cfg.BaseURL))
	}
	if cfg.APIKey != "" {
		opts = append(opts, option.WithAPIKey(cfg.APIKey))
	}
	c := openai.NewClient(opts...)
	return &c
}

// FromEnv reads OPENAI_BASE_URL, OPENAI_API_KEY and MODEL. Without
// OPENAI_BASE_URL it starts a stand-in model with the given options on a
// loopback port, STANDIN_LATENCY (a duration, e.g. 500ms) and
// STANDIN_ERROR_RATE (a fraction, e.g. 0.2) overriding opts; stop shuts it
// down (and is a no-op otherwise).
func FromEnv(opts standin.Options) (cfg Config, stop func(context.Context) error, err error) {
	cfg = Config{BaseURL: os.Getenv("OPENAI_BASE_URL"), APIKey: os.Getenv("OPENAI_API_KEY"),
		Model: os.Getenv("MODEL"), MaxRetries: 2}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	stop = func(context.Context) error { return nil }
	if cfg.BaseURL != "" {
		return cfg, stop, nil
	}
	if opts, err = standinFromEnv(opts); err != nil {
		return cfg, stop, err
	}
	l, err := standin.Start(opts)
	if err != nil {
		return cfg, stop, fmt.Errorf("start the offline stand-in model (set OPENAI_BASE_URL to use a real endpoint): %w", err)
	}
	cfg.BaseURL, cfg.APIKey = l.BaseURL, "standin"
	return cfg, l.Close, nil
}

// standinFromEnv applies STANDIN_LATENCY and STANDIN_ERROR_RATE to opts.
func standinFromEnv(opts standin.Options) (standin.Options, error) {
	if v := os.Getenv("STANDIN_LATENCY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return opts, fmt.Errorf("STANDIN_LATENCY=%q: want a duration such as 300ms or 2s", v)
		}
		opts.Latency = d
	}
	if v := os.Getenv("STANDIN_ERROR_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return opts, fmt.Errorf("STANDIN_ERROR_RATE=%q: want a fraction from 0 to 1, such as 0.2", v)
		}
		opts.ErrorRate = r
	}
	return opts, nil
}
