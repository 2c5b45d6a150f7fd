package genai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// trailGuideTrace returns the seeds' 4-span trace (session → recommend_hike →
// recommend_model_call → chat gpt-4o) with a 2 KB prompt recorded on the chat span in the
// newest convention, and the total size of its string attribute values.
func trailGuideTrace() ([]*telemetry.Span, int) {
	prompt := "Recommend a named hiking trail based on the following user preferences. " +
		strings.Repeat("Moderate difficulty, lakes, under 6 miles, wildflowers. ", 36)
	prompt = prompt[:2048]
	in, _ := json.Marshal([]any{
		map[string]any{"role": "system", "parts": []any{map[string]any{"type": "text", "content": "You are an expert hiking trail recommender."}}},
		map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": prompt}}},
	})
	out := `[{"role":"assistant","parts":[{"type":"text","content":"Skyline Trail: a 5.5-mile loop above Paradise with glacier views and wildflower meadows."}],"finish_reason":"stop"}]`
	spans := []*telemetry.Span{
		{Name: "trail_guide_session", Attributes: telemetry.Attributes{"session.id": "session_2a312162-956c-4915-835b-7d2bcd660c9e", "session.success": true}},
		{Name: "recommend_hike", Attributes: telemetry.Attributes{"hike_recommendation": "Skyline Trail: a 5.5-mile loop."}},
		{Name: "recommend_model_call", Attributes: telemetry.Attributes{"prompt.user": prompt, "response.time": 0.051, "response.tokens": int64(13)}},
		{Name: "chat gpt-4o", Kind: telemetry.SpanKindClient, Attributes: telemetry.Attributes{
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
			"gen_ai.response.model": "gpt-4o-2024-08-06", "gen_ai.response.id": "chatcmpl-82439d5f7f70",
			"gen_ai.response.finish_reasons": []any{"stop"}, "gen_ai.usage.input_tokens": int64(530),
			"gen_ai.usage.output_tokens": int64(16), "gen_ai.request.temperature": 0.7,
			"gen_ai.input.messages": string(in), "gen_ai.output.messages": out,
			"server.address": "api.openai.com", "server.port": int64(443),
		}},
	}
	size := 0
	for _, s := range spans {
		for _, v := range s.Attributes {
			if str, ok := v.(string); ok {
				size += len(str)
			}
		}
	}
	return spans, size
}

// BenchmarkEnrich measures Enrich on a 4-span GenAI trace; ns/span is the per-span cost at
// ingest (target: well under 5 µs).
func BenchmarkEnrich(b *testing.B) {
	n := newTestNormalizer(b)
	spans, size := trailGuideTrace()
	batch := &telemetry.Batch{Spans: spans}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		n.Enrich(batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(spans)), "ns/span")
	if spans[3].Generation == nil || len(spans[3].Generation.InputMessages) != 2 {
		b.Fatalf("chat span not enriched: %s", asJSON(spans[3].Generation))
	}
}

// BenchmarkMergeLogs measures the read-time merge of the fixture's three content records.
func BenchmarkMergeLogs(b *testing.B) {
	logs := []*telemetry.LogRecord{
		{EventName: evSystem, Body: map[string]any{"content": "You are an expert hiking trail recommender."}},
		{EventName: evUser, Body: `{"content":"Recommend a named hiking trail."}`},
		{EventName: evChoice, Body: map[string]any{"finish_reason": "stop", "index": int64(0), "message": map[string]any{"content": "Skyline Trail."}}},
	}
	b.ReportAllocs()
	for b.Loop() {
		s := &telemetry.Span{Name: "chat gpt-4o", Attributes: telemetry.Attributes{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}}
		MergeLogs(s, logs)
	}
}
