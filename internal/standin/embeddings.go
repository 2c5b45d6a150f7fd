package standin

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
)

// defaultDimensions is the vector size when the request does not ask for one
// (text-embedding-3-small's native size is larger; this keeps answers small).
const defaultDimensions = 256

type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     int             `json:"dimensions"`
}

// embeddings serves /v1/embeddings with deterministic unit vectors.
func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req embeddingRequest
	if !decode(w, r, &req) {
		return
	}
	inputs, ok := stringInputs(req.Input)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "",
			"'input' must be a non-empty string or array of strings (token arrays are not supported by the stand-in).")
		return
	}
	dims := req.Dimensions
	if dims <= 0 || dims > 4096 {
		dims = defaultDimensions
	}
	model := req.Model
	if model == "" {
		model = r.PathValue("deployment")
	}
	data := make([]any, 0, len(inputs))
	tokens := 0
	for i, in := range inputs {
		tokens += countTokens(in)
		vec := vector(in, dims)
		var emb any = vec
		if req.EncodingFormat == "base64" {
			emb = encodeBase64(vec)
		}
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": emb})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"object": "list", "data": data, "model": responseModel(model),
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens},
	})
}

// stringInputs reads "input" as a string or an array of strings.
func stringInputs(raw json.RawMessage) ([]string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}, true
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return many, true
	}
	return nil, false
}

// vector returns a deterministic unit vector for text.
func vector(text string, dims int) []float32 {
	vec := make([]float32, dims)
	var norm float64
	for i := range vec {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d:%s", i, text)
		v := float64(h.Sum64()>>11)/float64(1<<53)*2 - 1
		vec[i] = float32(v)
		norm += v * v
	}
	norm = math.Sqrt(norm)
	for i := range vec {
		vec[i] = float32(float64(vec[i]) / norm)
	}
	return vec
}

// encodeBase64 is OpenAI's base64 format: little-endian float32s.
func encodeBase64(vec []float32) string {
	buf := make([]byte, 4*len(vec))
	for i, v := range vec {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// completion serves the legacy /v1/completions endpoint (non-streaming).
func (s *Server) completion(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model  string          `json:"model"`
		Prompt json.RawMessage `json:"prompt"`
	}
	if !decode(w, r, &req) {
		return
	}
	prompts, ok := stringInputs(req.Prompt)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "'prompt' must be a non-empty string or array of strings.")
		return
	}
	choices := make([]any, 0, len(prompts))
	in, out := 0, 0
	for i, p := range prompts {
		msgs := []chatMessage{{Role: "user", Content: mustMarshal(p)}}
		ans := respond(chatRequest{Messages: msgs})
		in += countTokens(p)
		out += countTokens(ans.Text)
		choices = append(choices, map[string]any{"index": i, "text": ans.Text, "logprobs": nil, "finish_reason": "stop"})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": completionID("cmpl", []chatMessage{{Role: "user", Content: req.Prompt}}), "object": "text_completion",
		"created": created, "model": responseModel(req.Model), "choices": choices,
		"usage": map[string]int{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	})
}

func mustMarshal(s string) json.RawMessage {
	b, _ := json.Marshal(s) // strings always marshal
	return b
}
