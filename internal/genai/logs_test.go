package genai

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// TestMergeLogs checks content events delivered as log records, in each SDK's shape.
func TestMergeLogs(t *testing.T) {
	f := func(name string, s *telemetry.Span, logs []*telemetry.LogRecord, wantIn, wantOut []telemetry.Message, wantConv string) {
		t.Helper()
		MergeLogs(s, logs)
		MergeLogs(s, logs) // idempotent: a second read adds nothing
		g := s.Generation
		if g == nil {
			t.Fatalf("%s: no generation", name)
		}
		if asJSON(g.InputMessages) != asJSON(wantIn) || asJSON(g.OutputMessages) != asJSON(wantOut) {
			t.Errorf("%s:\n got in %s\n    out %s\nwant in %s\n    out %s", name, asJSON(g.InputMessages), asJSON(g.OutputMessages), asJSON(wantIn), asJSON(wantOut))
		}
		if g.Convention != wantConv || !g.ContentRecorded {
			t.Errorf("%s: convention %q recorded %v; want %q true", name, g.Convention, g.ContentRecorded, wantConv)
		}
	}
	log := func(ts int64, name string, body any, attrs telemetry.Attributes) *telemetry.LogRecord {
		return &telemetry.LogRecord{TimeUnixNano: ts, EventName: name, Body: body, Attributes: attrs}
	}
	chat := func() *telemetry.Span {
		s := &telemetry.Span{Name: "chat gpt-4o", Attributes: telemetry.Attributes{
			"gen_ai.operation.name": "chat", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o",
			"gen_ai.usage.input_tokens": int64(10), "gen_ai.usage.output_tokens": int64(5)}}
		newTestNormalizer(t).EnrichSpan(s)
		return s
	}

	f("python openai-v2: event_name, map bodies, out of order arrival", chat(), []*telemetry.LogRecord{
		log(3, "gen_ai.choice", map[string]any{"index": int64(0), "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": "Hello"}}, nil),
		log(1, "gen_ai.system.message", map[string]any{"content": "sys"}, nil),
		log(2, "gen_ai.user.message", map[string]any{"content": "Hi"}, nil),
	}, []telemetry.Message{text("system", "sys"), text("user", "Hi")},
		[]telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{{Type: "text", Content: "Hello"}}}}, "otel_genai_events")
	f("Application Insights: JSON string bodies", chat(), []*telemetry.LogRecord{
		log(1, "gen_ai.user.message", `{"content":"Hi"}`, telemetry.Attributes{"event.name": "gen_ai.user.message"}),
		log(2, "gen_ai.choice", `{"finish_reason":"stop","index":0,"message":{"content":"Hello"}}`, nil),
	}, []telemetry.Message{text("user", "Hi")},
		[]telemetry.Message{{Role: "assistant", FinishReason: "stop", Parts: []telemetry.Part{{Type: "text", Content: "Hello"}}}}, "otel_genai_events")
	f("Python Azure exporter: span events as logs with gen_ai.event.content", chat(), []*telemetry.LogRecord{
		log(1, "gen_ai.user.message", "gen_ai.user.message", telemetry.Attributes{"gen_ai.event.content": `{"content": "Hi"}`}),
	}, []telemetry.Message{text("user", "Hi")}, nil, "otel_genai_events")
	f("inference.operation.details log, attributes", chat(), []*telemetry.LogRecord{
		log(1, "gen_ai.client.inference.operation.details", nil, telemetry.Attributes{
			"gen_ai.input.messages":  []any{map[string]any{"role": "user", "parts": []any{map[string]any{"type": "text", "content": "Hi"}}}},
			"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"Yo"}]}]`,
		}),
	}, []telemetry.Message{text("user", "Hi")}, []telemetry.Message{text("assistant", "Yo")}, "otel_genai_events")

	spanOnly := chat()
	spanOnly.Attributes["gen_ai.input.messages"] = `[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]`
	newTestNormalizer(t).EnrichSpan(spanOnly)
	f("content recorded both on the span and as events is not doubled", spanOnly, []*telemetry.LogRecord{
		log(1, "gen_ai.user.message", map[string]any{"content": "Hi"}, nil),
		log(2, "gen_ai.choice", map[string]any{"index": int64(0), "message": map[string]any{"content": "Hello"}}, nil),
	}, []telemetry.Message{text("user", "Hi")}, []telemetry.Message{text("assistant", "Hello")}, "otel_genai_events")

	bare := &telemetry.Span{Name: "llm call", Attributes: telemetry.Attributes{}}
	f("a span without GenAI attributes gets a generation from its logs", bare, []*telemetry.LogRecord{
		log(1, "gen_ai.user.message", map[string]any{"content": "Hi"}, telemetry.Attributes{"gen_ai.system": "openai"}),
	}, []telemetry.Message{text("user", "Hi")}, nil, "otel_genai_events")

	// Unrelated logs change nothing, and no generation is invented for them.
	plain := &telemetry.Span{Name: "work", Attributes: telemetry.Attributes{}}
	MergeLogs(plain, []*telemetry.LogRecord{log(1, "", "hello", nil), nil})
	if plain.Generation != nil {
		t.Errorf("plain log created a generation: %s", asJSON(plain.Generation))
	}

	// A cut body (Application Insights kept the string, not a map) is kept as text and marked.
	cutSpan := chat()
	body := `{"content":"` + stringOf('x', appInsightsLimit)
	body = body[:appInsightsLimit]
	MergeLogs(cutSpan, []*telemetry.LogRecord{log(1, "gen_ai.user.message", body, nil)})
	if g := cutSpan.Generation; !g.ContentTruncated || len(g.InputMessages) != 1 || g.InputMessages[0].Text() != body {
		t.Errorf("cut body: %s", asJSON(g))
	}

	// An exception record linked to a failed model call gives the error type.
	failed := chat()
	failed.Status.Code = telemetry.StatusError
	newTestNormalizer(t).EnrichSpan(failed)
	MergeLogs(failed, []*telemetry.LogRecord{log(1, "exception", "429 Rate limit", telemetry.Attributes{"exception.type": "429"})})
	if failed.Generation.ErrorType != "429" {
		t.Errorf("error type %q; want 429", failed.Generation.ErrorType)
	}
}

func stringOf(c byte, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// breezeEnvelope is the part of an Application Insights envelope these tests read.
type breezeEnvelope struct {
	Name string            `json:"name"`
	Tags map[string]string `json:"tags"`
	Data struct {
		BaseData struct {
			ID         string            `json:"id"`
			Name       string            `json:"name"`
			Type       string            `json:"type"`
			Success    *bool             `json:"success"`
			Message    string            `json:"message"`
			Properties map[string]string `json:"properties"`
		} `json:"baseData"`
	} `json:"data"`
}

// loadBreeze converts the captured Application Insights payloads into spans and logs the way
// the Breeze receiver does (properties as string attributes, ai.session.id as session.id,
// JSON message bodies of content events decoded into maps).
func loadBreeze(t *testing.T) ([]*telemetry.Span, map[telemetry.SpanID][]*telemetry.LogRecord) {
	t.Helper()
	read := func(path string) []breezeEnvelope {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var envs []breezeEnvelope
		if err := json.Unmarshal(data, &envs); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return envs
	}
	spanID := func(s string) (id telemetry.SpanID) {
		hex.Decode(id[:], []byte(s))
		return id
	}
	var spans []*telemetry.Span
	for _, e := range read("testdata/breeze/breeze-js-beta47-traces.json") {
		bd := e.Data.BaseData
		if e.Name != "Microsoft.ApplicationInsights.RemoteDependency" {
			continue
		}
		attrs := telemetry.Attributes{"cairn.ai.dependency_type": bd.Type}
		for k, v := range bd.Properties {
			attrs[k] = v
		}
		if sid := e.Tags["ai.session.id"]; sid != "" {
			attrs["session.id"] = sid
		}
		s := &telemetry.Span{SpanID: spanID(bd.ID), ParentSpanID: spanID(e.Tags["ai.operation.parentId"]), Name: bd.Name, Attributes: attrs}
		if bd.Success != nil && !*bd.Success {
			s.Status.Code = telemetry.StatusError
		}
		spans = append(spans, s)
	}
	logs := map[telemetry.SpanID][]*telemetry.LogRecord{}
	for i, e := range read("testdata/breeze/breeze-js-beta47-logs.json") {
		bd := e.Data.BaseData
		attrs := telemetry.Attributes{}
		for k, v := range bd.Properties {
			attrs[k] = v
		}
		var body any = bd.Message
		var m map[string]any
		if json.Unmarshal([]byte(bd.Message), &m) == nil {
			body = m
		}
		id := spanID(e.Tags["ai.operation.parentId"])
		logs[id] = append(logs[id], &telemetry.LogRecord{TimeUnixNano: int64(i), EventName: attrs.String("event.name"), Body: body, Attributes: attrs})
	}
	return spans, logs
}

// TestTrailGuideFixture runs the seeds' Trail Guide app as the JS Azure Monitor exporter
// delivered it: span attributes as strings, content events as separate log envelopes.
func TestTrailGuideFixture(t *testing.T) {
	spans, logs := loadBreeze(t)
	newTestNormalizer(t).Enrich(&telemetry.Batch{Spans: spans})
	byID := map[string]*telemetry.Span{}
	gens := 0
	for _, s := range spans {
		MergeLogs(s, logs[s.SpanID])
		byID[s.SpanID.String()] = s
		if s.Generation != nil {
			gens++
		}
	}
	if gens != 5 {
		t.Errorf("%d generations; want the 5 chat gpt-4o spans", gens)
	}
	f := func(id, wantSystem, wantUser, wantAnswer string, wantIn, wantOut int64, wantCost float64, wantErr string) {
		t.Helper()
		g := byID[id].Generation
		if g == nil {
			t.Fatalf("span %s: no generation", id)
		}
		if g.Operation != "chat" || g.Provider != "openai" || g.RequestModel != "gpt-4o" || g.Convention != "appinsights" {
			t.Errorf("span %s: %s", id, asJSON(g))
		}
		var system, user, answer string
		for _, m := range g.InputMessages {
			switch m.Role {
			case "system":
				system = m.Text()
			case "user":
				user = m.Text()
			}
		}
		if len(g.OutputMessages) > 0 {
			answer = g.OutputMessages[0].Text()
		}
		if system != wantSystem || user != wantUser || answer != wantAnswer || !g.ContentRecorded {
			t.Errorf("span %s: system %q user %q answer %q recorded %v", id, system, user, answer, g.ContentRecorded)
		}
		if val(g.Usage.InputTokens) != wantIn || val(g.Usage.OutputTokens) != wantOut || g.ErrorType != wantErr {
			t.Errorf("span %s: usage %s error %q", id, asJSON(g.Usage), g.ErrorType)
		}
		if (g.CostUSD == nil) != (wantCost == 0) || (g.CostUSD != nil && math.Abs(*g.CostUSD-wantCost) > 1e-12) {
			t.Errorf("span %s: cost %v; want %v", id, g.CostUSD, wantCost)
		}
	}
	f("e4e54aa8a37dbaa8", "You are an expert hiking trail recommender.",
		"Recommend a named hiking trail based on the following user preferences. Provide only the name of the trail and a one-sentence summary. Preferences: moderate difficulty, lakes, under 6 miles, trip 0",
		"Skyline Trail: a 5.5-mile loop above Paradise with glacier views and wildflower meadows.", 30, 16, (30*2.5+16*10)/1e6, "")
	f("0b456e0f1237028e", "You are an AI assistant that acts as a travel guide.",
		"What are some recommended supplies for a camping trip in the mountains?",
		"Bring layers, a rain shell, water filter, map, headlamp and a first-aid kit.", 23, 16, (23*2.5+16*10)/1e6, "")
	f("9696c73584fcb8c0", "You are an expert hiking trail recommender.",
		"Recommend a named hiking trail based on the following user preferences. Provide only the name of the trail and a one-sentence summary. Preferences: FAIL: a rate-limited request",
		"", 0, 0, 0, "_OTHER")
	if s := byID["51680e5814448778"]; s.SessionID != "session_2a312162-956c-4915-835b-7d2bcd660c9e" || s.Generation != nil {
		t.Errorf("trail_guide_session: session %q generation %v", s.SessionID, s.Generation)
	}
	if s := byID["a342eaaf13aedbe9"]; s.Generation != nil {
		t.Errorf("recommend_model_call (custom attributes only) got a generation: %s", asJSON(s.Generation))
	}
}
