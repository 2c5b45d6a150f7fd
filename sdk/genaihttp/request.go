package genaihttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// Operation names (gen_ai.operation.name) this package produces.
const (
	opChat       = "chat"
	opCompletion = "text_completion"
	opEmbeddings = "embeddings"
)

// operationOf classifies a request by its path suffix, which is the same for
// OpenAI (/v1/chat/completions), Azure OpenAI
// (/openai/deployments/{d}/chat/completions?api-version=...) and local servers.
// It returns "" for anything that is not a GenAI call.
func operationOf(req *http.Request) string {
	if req.Method != http.MethodPost || req.URL == nil {
		return ""
	}
	p := strings.TrimSuffix(req.URL.Path, "/")
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		return opChat
	case strings.HasSuffix(p, "/completions"):
		return opCompletion
	case strings.HasSuffix(p, "/embeddings"):
		return opEmbeddings
	}
	return ""
}

// apiRequest is the subset of an OpenAI-compatible request body the
// instrumentation reads. Messages and prompts stay raw until content capture
// needs them, so the common path decodes only scalars.
type apiRequest struct {
	Model               string          `json:"model"`
	Messages            json.RawMessage `json:"messages"`
	Prompt              json.RawMessage `json:"prompt"`
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *float64        `json:"top_k"`
	Seed                *int64          `json:"seed"`
	Stop                json.RawMessage `json:"stop"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	N                   *int64          `json:"n"`
	Stream              bool            `json:"stream"`
	ResponseFormat      *struct {
		Type string `json:"type"`
	} `json:"response_format"`
	EncodingFormat string `json:"encoding_format"`
	Dimensions     *int64 `json:"dimensions"`
}

// readRequestBody returns the request body and a clone of req whose body can
// be read again by the base transport (and re-sent on redirects). The caller's
// request is not modified, as the RoundTripper contract requires.
func readRequestBody(req *http.Request) ([]byte, *http.Request, error) {
	out := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return nil, out, nil
	}
	body, err := io.ReadAll(req.Body)
	closeErr := req.Body.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("genaihttp: read request body (%d bytes read): %w", len(body), err)
	}
	if closeErr != nil {
		return nil, nil, fmt.Errorf("genaihttp: close request body: %w", closeErr)
	}
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	out.ContentLength = int64(len(body))
	return body, out, nil
}

// azureDeployment returns the {name} of an Azure OpenAI path
// .../openai/deployments/{name}/..., or "".
func azureDeployment(path string) string {
	const marker = "/openai/deployments/"
	i := strings.Index(path, marker)
	if i < 0 {
		return ""
	}
	rest := path[i+len(marker):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// providerOf derives gen_ai.provider.name from the endpoint. Unknown hosts
// (local and proxy servers) speak OpenAI's API and are reported as openai.
func providerOf(host, path string) string {
	host = strings.ToLower(host)
	switch {
	case strings.Contains(path, "/openai/deployments/"), strings.HasSuffix(host, ".openai.azure.com"):
		return "azure.ai.openai"
	case strings.HasSuffix(host, ".services.ai.azure.com"), strings.HasSuffix(host, ".inference.ai.azure.com"),
		strings.HasSuffix(host, ".models.ai.azure.com"), host == "models.github.ai":
		return "azure.ai.inference"
	case host == "api.groq.com":
		return "groq"
	case host == "api.deepseek.com":
		return "deepseek"
	case host == "api.mistral.ai":
		return "mistral_ai"
	case host == "api.x.ai":
		return "x_ai"
	case host == "api.perplexity.ai":
		return "perplexity"
	case host == "generativelanguage.googleapis.com":
		return "gcp.gemini"
	}
	return "openai"
}

// serverAddress splits the request's host into server.address and
// server.port, defaulting the port from the scheme.
func serverAddress(req *http.Request) (string, int) {
	host := req.URL.Host
	if host == "" {
		host = req.Host
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		h = host
		p = ""
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		port = 443
		if req.URL.Scheme == "http" {
			port = 80
		}
	}
	return h, port
}

// requestAttributes returns the span attributes known before the call.
func requestAttributes(r *apiRequest) []attribute.KeyValue {
	var a []attribute.KeyValue
	maxTokens := r.MaxCompletionTokens
	if maxTokens == nil {
		maxTokens = r.MaxTokens
	}
	if maxTokens != nil {
		a = append(a, semconv.GenAIRequestMaxTokens(int(*maxTokens)))
	}
	if r.Temperature != nil {
		a = append(a, semconv.GenAIRequestTemperature(*r.Temperature))
	}
	if r.TopP != nil {
		a = append(a, semconv.GenAIRequestTopP(*r.TopP))
	}
	if r.TopK != nil {
		a = append(a, semconv.GenAIRequestTopK(*r.TopK))
	}
	if r.Seed != nil {
		a = append(a, semconv.GenAIRequestSeed(int(*r.Seed)))
	}
	if r.FrequencyPenalty != nil {
		a = append(a, semconv.GenAIRequestFrequencyPenalty(*r.FrequencyPenalty))
	}
	if r.PresencePenalty != nil {
		a = append(a, semconv.GenAIRequestPresencePenalty(*r.PresencePenalty))
	}
	if r.N != nil && *r.N != 1 {
		a = append(a, semconv.GenAIRequestChoiceCount(int(*r.N)))
	}
	if r.Stream {
		a = append(a, semconv.GenAIRequestStream(true))
	}
	if stop := stopSequences(r.Stop); len(stop) > 0 {
		a = append(a, semconv.GenAIRequestStopSequences(stop...))
	}
	if r.ResponseFormat != nil {
		switch r.ResponseFormat.Type {
		case "json_object", "json_schema":
			a = append(a, semconv.GenAIOutputTypeJSON)
		case "text":
			a = append(a, semconv.GenAIOutputTypeText)
		}
	}
	if r.EncodingFormat != "" {
		a = append(a, semconv.GenAIRequestEncodingFormats(r.EncodingFormat))
	}
	if r.Dimensions != nil {
		a = append(a, semconv.GenAIEmbeddingsDimensionCount(int(*r.Dimensions)))
	}
	return a
}

// stopSequences accepts "stop" as a string or an array of strings.
func stopSequences(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}
