package storetest

import (
	"time"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// base is the fixtures' reference time: recent, so retention by age keeps it.
var base = time.Now().Add(-10 * time.Minute).Truncate(time.Minute)

// ns returns base + d in Unix nanoseconds.
func ns(d time.Duration) int64 { return base.Add(d).UnixNano() }

// traceID builds a distinct trace id from n.
func traceID(n int) telemetry.TraceID {
	var id telemetry.TraceID
	id[0] = 0xca
	id[14] = byte(n >> 8)
	id[15] = byte(n)
	return id
}

func spanID(n int) telemetry.SpanID {
	var id telemetry.SpanID
	id[0] = 0x5b
	id[6] = byte(n >> 8)
	id[7] = byte(n)
	return id
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

func resource(service string) *telemetry.Resource {
	return &telemetry.Resource{Attributes: telemetry.Attributes{
		"service.name": service, "telemetry.sdk.language": "python", "host.cpus": int64(8),
	}}
}

// traceOpts varies the GenAI-shaped fixture trace.
type traceOpts struct {
	n        int // trace number: id and span ids
	service  string
	start    time.Duration // offset from base
	session  string
	user     string
	model    string
	cost     *float64
	err      bool // the model call fails
	question string
	answer   string
	attrs    telemetry.Attributes // extra attributes of the model call span
}

// genAITrace returns the seeds' Trail Guide shape: session → recommend_hike →
// recommend_model_call → chat <model>, the last one a generation.
func genAITrace(o traceOpts) []*telemetry.Span {
	if o.service == "" {
		o.service = "trail-guide"
	}
	if o.model == "" {
		o.model = "gpt-4o"
	}
	if o.question == "" {
		o.question = "Recommend a hike near Paris"
	}
	if o.answer == "" {
		o.answer = "Skyline Trail: 5 km along the ridge"
	}
	res := resource(o.service)
	id := traceID(o.n)
	mk := func(k int, parent int, name string, kind telemetry.SpanKind, from, to time.Duration) *telemetry.Span {
		s := &telemetry.Span{
			TraceID: id, SpanID: spanID(o.n*10 + k), Name: name, Kind: kind,
			StartUnixNano: ns(o.start + from), EndUnixNano: ns(o.start + to),
			Attributes: telemetry.Attributes{"step": int64(k)}, Resource: res,
			Scope: telemetry.Scope{Name: "trail_guide", Version: "1.0"}, SessionID: o.session, UserID: o.user,
		}
		if parent >= 0 {
			s.ParentSpanID = spanID(o.n*10 + parent)
		}
		return s
	}
	root := mk(0, -1, "trail_guide_session", telemetry.SpanKindServer, 0, 100*time.Millisecond)
	hike := mk(1, 0, "recommend_hike", telemetry.SpanKindInternal, 5*time.Millisecond, 95*time.Millisecond)
	call := mk(2, 1, "recommend_model_call", telemetry.SpanKindInternal, 10*time.Millisecond, 90*time.Millisecond)
	chat := mk(3, 2, "chat "+o.model, telemetry.SpanKindClient, 12*time.Millisecond, 62*time.Millisecond)
	chat.Attributes["gen_ai.request.model"] = o.model
	chat.Attributes["gen_ai.operation.name"] = "chat"
	for k, v := range o.attrs {
		chat.Attributes[k] = v
	}
	chat.Generation = &telemetry.Generation{
		Operation: "chat", Provider: "openai", RequestModel: o.model, ResponseModel: o.model + "-2024-08-06",
		Convention: "otel_genai", Usage: telemetry.Usage{InputTokens: i64(30), OutputTokens: i64(16)},
		CostUSD: o.cost, ContentRecorded: true,
		SystemInstructions: []telemetry.Part{{Type: "text", Content: "You are an expert hiking trail recommender."}},
		InputMessages: []telemetry.Message{
			{Role: "system", Parts: []telemetry.Part{{Type: "text", Content: "Be brief."}}},
			{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: o.question}}},
		},
		OutputMessages: []telemetry.Message{{Role: "assistant", FinishReason: "stop",
			Parts: []telemetry.Part{{Type: "text", Content: o.answer}}}},
	}
	if o.err {
		chat.Status = telemetry.Status{Code: telemetry.StatusError, Message: "rate limited"}
		chat.Generation.ErrorType = "429"
	}
	return []*telemetry.Span{root, hike, call, chat}
}

// fullSpan sets every field of the model, for round-trip checks.
func fullSpan() *telemetry.Span {
	return &telemetry.Span{
		TraceID: traceID(900), SpanID: spanID(9000), ParentSpanID: spanID(9001), TraceState: "vendor=1",
		Name: "chat gpt-4o", Kind: telemetry.SpanKindClient, StartUnixNano: ns(0), EndUnixNano: ns(time.Second),
		Attributes: telemetry.Attributes{
			"s": "text", "b": true, "bf": false, "i": int64(-42), "f": 0.25, "bytes": []byte{0, 1, 255},
			"arr": []any{"a", int64(1), 2.5, true}, "map": map[string]any{"k": "v", "n": map[string]any{"x": int64(1)}},
			"empty": "", "big": int64(1) << 62,
		},
		Events: []telemetry.Event{
			{TimeUnixNano: ns(time.Millisecond), Name: "exception", Attributes: telemetry.Attributes{
				"exception.type": "ValueError", "exception.message": "boom"}},
			{TimeUnixNano: ns(2 * time.Millisecond), Name: "bare"},
		},
		Links: []telemetry.Link{{TraceID: traceID(901), SpanID: spanID(9010), TraceState: "x=y",
			Attributes: telemetry.Attributes{"link.kind": "follows"}}},
		Status:     telemetry.Status{Code: telemetry.StatusError, Message: "failed"},
		Resource:   resource("roundtrip"),
		Scope:      telemetry.Scope{Name: "openai", Version: "1.2.3"},
		ProjectKey: "ikey-1",
		Truncated:  map[string]int{"prompt": 2 << 20},
		Generation: &telemetry.Generation{
			Operation: "chat", Provider: "openai", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
			ResponseID: "chatcmpl-1", Convention: "otel_genai", ConversationID: "conv-1", AgentName: "guide",
			ToolName: "get_weather",
			Usage: telemetry.Usage{InputTokens: i64(30), OutputTokens: i64(16), CachedInputTokens: i64(3),
				CacheCreationTokens: i64(0), ReasoningTokens: i64(4), TotalTokens: i64(46)},
			CostUSD: f64(0.000235), FinishReasons: []string{"stop", "tool_calls"},
			Params:             map[string]any{"temperature": 0.7, "max_tokens": int64(100), "stream": true},
			TimeToFirstTokenMs: f64(120.5), ErrorType: "timeout", ContentRecorded: true,
			SystemInstructions: []telemetry.Part{{Type: "text", Content: "You are helpful."}},
			InputMessages: []telemetry.Message{{Role: "user", Name: "ann", Parts: []telemetry.Part{
				{Type: "text", Content: "Weather in Paris?"},
				{Type: "blob", Content: "aGVsbG8=", MimeType: "image/png", Modality: "image"},
				{Type: "uri", URI: "https://example.com/a.png", Modality: "image"},
				{Type: "file", FileID: "file-1"},
				{Type: "custom", Extra: map[string]any{"k": int64(1)}},
			}}},
			OutputMessages: []telemetry.Message{{Role: "assistant", FinishReason: "tool_calls", Parts: []telemetry.Part{
				{Type: "tool_call", ID: "call_1", Name: "get_weather", Arguments: map[string]any{"city": "Paris"}},
				{Type: "tool_call_response", ID: "call_1", Response: []any{"sunny", int64(21)}},
			}}},
			ContentTruncated: true,
		},
		SessionID: "sess-rt", UserID: "user-rt",
	}
}

func fullLog(span *telemetry.Span) *telemetry.LogRecord {
	return &telemetry.LogRecord{
		TimeUnixNano: ns(3 * time.Millisecond), ObservedTimeUnixNano: ns(4 * time.Millisecond),
		TraceID: span.TraceID, SpanID: span.SpanID, SeverityNumber: 9, SeverityText: "INFO",
		EventName:  "gen_ai.user.message",
		Body:       map[string]any{"content": "zanzibar lighthouse question", "n": int64(2)},
		Attributes: telemetry.Attributes{"gen_ai.system": "openai"}, Resource: resource("roundtrip"),
		Scope: telemetry.Scope{Name: "logger"}, ProjectKey: "ikey-1", Truncated: map[string]int{"body": 99},
	}
}

func metricPoints() []*telemetry.MetricPoint {
	res := resource("metrics-svc")
	return []*telemetry.MetricPoint{
		{Name: "queue.depth", Unit: "1", Type: telemetry.MetricGauge, TimeUnixNano: ns(0), Value: 3.5,
			Attributes: telemetry.Attributes{"queue": "a"}, Resource: res},
		{Name: "requests", Unit: "{request}", Type: telemetry.MetricSum, Monotonic: true, Temporality: "cumulative",
			StartTimeUnixNano: ns(-time.Minute), TimeUnixNano: ns(0), Value: 10,
			Attributes: telemetry.Attributes{"route": "/a"}, Resource: res, Scope: telemetry.Scope{Name: "m", Version: "1"}},
		{Name: "latency", Unit: "s", Type: telemetry.MetricHistogram, Temporality: "delta",
			StartTimeUnixNano: ns(-time.Minute), TimeUnixNano: ns(0), Count: 3, Sum: 1.5, Min: f64(0.1), Max: f64(1),
			BucketCounts: []uint64{1, 1, 1}, ExplicitBounds: []float64{0.2, 0.5},
			Attributes: telemetry.Attributes{"route": "/a"}, Resource: res},
		{Name: "latency_exp", Unit: "s", Type: telemetry.MetricExponentialHistogram, Temporality: "delta",
			TimeUnixNano: ns(0), Count: 2, Sum: 3, BucketCounts: []uint64{1, 1}, ExplicitBounds: []float64{1},
			Resource: res},
		{Name: "rpc.summary", Type: telemetry.MetricSummary, TimeUnixNano: ns(0), Count: 4, Sum: 8,
			Quantiles: [][2]float64{{0.5, 1.5}, {0.99, 4}}, Resource: res, ProjectKey: "p"},
	}
}
