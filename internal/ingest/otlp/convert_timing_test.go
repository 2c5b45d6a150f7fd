package otlp

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// genAITraces is a 100-span request shaped like a GenAI app's export: every span carries GenAI
// attributes and a 2 KB prompt.
func genAITraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "chatbot")
	rs.Resource().Attributes().PutStr("telemetry.sdk.language", "python")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("opentelemetry.instrumentation.openai_v2")
	prompt := strings.Repeat("Tell me about the history of Rome. ", 60)[:2048]
	for i := range 100 {
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, byte(i / 10)})
		s.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, byte(i + 1)})
		s.SetParentSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 0xff})
		s.SetName("chat gpt-4o")
		s.SetKind(ptrace.SpanKindClient)
		s.SetStartTimestamp(1_700_000_000_000_000_000)
		s.SetEndTimestamp(1_700_000_001_000_000_000)
		a := s.Attributes()
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.provider.name", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o")
		a.PutStr("gen_ai.response.model", "gpt-4o-2024-08-06")
		a.PutInt("gen_ai.usage.input_tokens", 512)
		a.PutInt("gen_ai.usage.output_tokens", 128)
		a.PutDouble("gen_ai.request.temperature", 0.7)
		a.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr("stop")
		a.PutStr("gen_ai.input.messages", prompt)
		e := s.Events().AppendEmpty()
		e.SetName("gen_ai.choice")
		e.Attributes().PutInt("index", 0)
	}
	return td
}

func benchmarkDecode(b *testing.B, enc encoding) {
	body := encodeTraces(b, genAITraces(), enc)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		spans, _, err := decodeTraces(body, enc)
		if err != nil || len(spans) != 100 {
			b.Fatal(len(spans), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/span")
}

// BenchmarkDecodeTracesProto measures decode+convert of a 100-span GenAI request.
func BenchmarkDecodeTracesProto(b *testing.B) { benchmarkDecode(b, encProto) }

// BenchmarkDecodeTracesJSON is the same request in OTLP/JSON.
func BenchmarkDecodeTracesJSON(b *testing.B) { benchmarkDecode(b, encJSON) }

// BenchmarkDecodeTracesFallback measures the tolerant path taken when one span id has the
// wrong length (pdata refuses, the fallback strips it, pdata decodes again).
func BenchmarkDecodeTracesFallback(b *testing.B) {
	// Concatenated protobuf messages merge: this is one request holding the 4-span request with
	// bad ids followed by the 100 GenAI spans.
	body := append(badIDTracesProto(b), encodeTraces(b, genAITraces(), encProto)...)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, rep, err := decodeTraces(body, encProto); err != nil || rep.rejected == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkHTTPExportTraces measures a whole gzip-compressed protobuf request through the
// handler (body read, gunzip, decode, convert, response) with a consumer that does nothing.
func BenchmarkHTTPExportTraces(b *testing.B) {
	body := gzipped(b, encodeTraces(b, genAITraces(), encProto))
	h := NewHTTPHandler(consumer.Func(func(context.Context, *telemetry.Batch) error { return nil }), Options{}, nil)
	mux := http.NewServeMux()
	h.Register(mux)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "gzip")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/span")
}
