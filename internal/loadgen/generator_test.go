package loadgen

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

func decode(t *testing.T, body []byte, enc Encoding) ptrace.Traces {
	t.Helper()
	req := ptraceotlp.NewExportRequest()
	var err error
	if enc == JSON {
		err = req.UnmarshalJSON(body)
	} else {
		err = req.UnmarshalProto(body)
	}
	if err != nil {
		t.Fatalf("decode %s request: %v", enc, err)
	}
	return req.Traces()
}

// TestRequestShape checks, for both encodings, that every request decodes to whole 4-span
// traces with unique ids, correct parents, timestamps at the requested time and valid GenAI
// attributes.
func TestRequestShape(t *testing.T) {
	for _, enc := range []Encoding{Proto, JSON} {
		t.Run(enc.String(), func(t *testing.T) {
			gen, err := NewGenerator(GenOptions{TracesPerRequest: 25, Encoding: enc, Templates: 4, ContentSeed: 7, IDSeed: 42, RareEvery: 10})
			if err != nil {
				t.Fatal(err)
			}
			end := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			traceIDs := map[pcommon.TraceID]bool{}
			spanIDs := map[pcommon.SpanID]bool{}
			rare := 0
			const requests = 12 // every template three times: ids must still differ
			var buf []byte
			for n := range uint64(requests) {
				buf = gen.Build(buf, n, end)
				td := decode(t, buf, enc)
				if got := td.SpanCount(); got != gen.SpansPerRequest() {
					t.Fatalf("request %d: %d spans, want %d", n, got, gen.SpansPerRequest())
				}
				byTrace := map[pcommon.TraceID][]ptrace.Span{}
				rs := td.ResourceSpans().At(0)
				if svc, _ := rs.Resource().Attributes().Get("service.name"); svc.Str() == "" {
					t.Fatal("no service.name")
				}
				spans := rs.ScopeSpans().At(0).Spans()
				for i := range spans.Len() {
					sp := spans.At(i)
					byTrace[sp.TraceID()] = append(byTrace[sp.TraceID()], sp)
					if spanIDs[sp.SpanID()] || sp.SpanID().IsEmpty() {
						t.Fatalf("span id %s repeated or empty", sp.SpanID())
					}
					spanIDs[sp.SpanID()] = true
					if sp.StartTimestamp() > sp.EndTimestamp() || sp.EndTimestamp().AsTime().After(end) ||
						sp.StartTimestamp().AsTime().Before(end.Add(-5*time.Second)) {
						t.Fatalf("span %s times %v..%v not just before %v", sp.Name(), sp.StartTimestamp(), sp.EndTimestamp(), end)
					}
				}
				for i, tid := range sortedTraces(spans) {
					if traceIDs[tid] {
						t.Fatalf("trace id %s repeated", tid)
					}
					traceIDs[tid] = true
					want := gen.TraceID(n*uint64(gen.Options().TracesPerRequest) + uint64(i))
					if tid != pcommon.TraceID(want) {
						t.Fatalf("trace %d of request %d: id %s, want TraceID() = %x", i, n, tid, want)
					}
					got := byTrace[tid]
					if len(got) != SpansPerTrace {
						t.Fatalf("trace %s has %d spans, want %d", tid, len(got), SpansPerTrace)
					}
					root, biz, chat, tool := got[0], got[1], got[2], got[3]
					if !root.ParentSpanID().IsEmpty() || biz.ParentSpanID() != root.SpanID() ||
						chat.ParentSpanID() != biz.SpanID() || tool.ParentSpanID() != biz.SpanID() {
						t.Fatalf("trace %s: wrong parents", tid)
					}
					sess, _ := root.Attributes().Get("session.id")
					if want := gen.SessionID(n*uint64(gen.Options().TracesPerRequest) + uint64(i)); sess.Str() != want {
						t.Fatalf("session.id %q, want %q", sess.Str(), want)
					}
					if checkChat(t, chat) {
						rare++
					}
				}
			}
			if want := requests * 25 / 10; rare != want {
				t.Errorf("%d traces carry %q, want %d (one in 10)", rare, RareWord, want)
			}
		})
	}
}

// sortedTraces returns the trace ids in the order of their first span.
func sortedTraces(spans ptrace.SpanSlice) []pcommon.TraceID {
	var out []pcommon.TraceID
	seen := map[pcommon.TraceID]bool{}
	for i := range spans.Len() {
		if id := spans.At(i).TraceID(); !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// checkChat validates the model-call span and reports whether its prompt has RareWord.
func checkChat(t *testing.T, sp ptrace.Span) bool {
	t.Helper()
	if sp.Name() != "chat gpt-4o" || sp.Kind() != ptrace.SpanKindClient {
		t.Fatalf("model span %q kind %v", sp.Name(), sp.Kind())
	}
	a := sp.Attributes()
	str := func(k string) string {
		v, ok := a.Get(k)
		if !ok || v.Type() != pcommon.ValueTypeStr {
			t.Fatalf("%s missing or not a string", k)
		}
		return v.Str()
	}
	for k, want := range map[string]string{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
		"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06"} {
		if got := str(k); got != want {
			t.Fatalf("%s = %q, want %q", k, got, want)
		}
	}
	if str("session.id") == "" || str("user.id") == "" {
		t.Fatal("chat span without session.id or user.id")
	}
	var msgs []struct {
		Role  string `json:"role"`
		Parts []struct {
			Type    string `json:"type"`
			Content string `json:"content"`
		} `json:"parts"`
	}
	in := str("gen_ai.input.messages")
	if err := json.Unmarshal([]byte(in), &msgs); err != nil || len(msgs) != 1 || msgs[0].Role != "user" || len(msgs[0].Parts) != 1 {
		t.Fatalf("gen_ai.input.messages is not one user message: %v: %.200s", err, in)
	}
	prompt := msgs[0].Parts[0].Content
	if len(prompt) < 1500 || len(prompt) > 4000 {
		t.Errorf("prompt is %d bytes, want about 2 KB", len(prompt))
	}
	if !strings.Contains(prompt, CommonWord) || strings.Contains(prompt, "zq") {
		t.Fatalf("prompt lacks %q or kept a placeholder: %.300s", CommonWord, prompt)
	}
	if sp.Status().Code() == ptrace.StatusCodeError {
		return strings.Contains(prompt, RareWord)
	}
	for _, k := range []string{"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"} {
		if v, ok := a.Get(k); !ok || v.Type() != pcommon.ValueTypeInt || v.Int() <= 0 {
			t.Fatalf("%s missing or not a positive int", k)
		}
	}
	if v, ok := a.Get("gen_ai.response.finish_reasons"); !ok || v.Type() != pcommon.ValueTypeSlice || v.Slice().At(0).Str() != "stop" {
		t.Fatal("gen_ai.response.finish_reasons is not [\"stop\"]")
	}
	out := str("gen_ai.output.messages")
	if err := json.Unmarshal([]byte(out), &msgs); err != nil || msgs[0].Role != "assistant" {
		t.Fatalf("gen_ai.output.messages is not an assistant message: %v", err)
	}
	return strings.Contains(prompt, RareWord)
}

// TestIDsAreStable checks that ids are a function of the id seed alone.
func TestIDsAreStable(t *testing.T) {
	a, _ := NewGenerator(GenOptions{TracesPerRequest: 2, IDSeed: 1, Templates: 1})
	b, _ := NewGenerator(GenOptions{TracesPerRequest: 2, IDSeed: 1, Templates: 1, ContentSeed: 9})
	c, _ := NewGenerator(GenOptions{TracesPerRequest: 2, IDSeed: 2, Templates: 1})
	if a.TraceID(5) != b.TraceID(5) || a.SessionID(5) != b.SessionID(5) {
		t.Fatal("same id seed, different ids")
	}
	if a.TraceID(5) == c.TraceID(5) {
		t.Fatal("different id seeds, same ids")
	}
	if a.SessionID(0) != a.SessionID(4) || a.SessionID(4) == a.SessionID(5) {
		t.Fatal("sessions are not five consecutive traces")
	}
	id := a.TraceID(0)
	if len(hex.EncodeToString(id[:])) != 32 {
		t.Fatal("bad trace id")
	}
}

func TestParseMetrics(t *testing.T) {
	m := parseMetrics(`# HELP cairn_store_spans Spans stored.
# TYPE cairn_store_spans gauge
cairn_store_spans 1.2e+06
cairn_queue_items 40
cairn_store_disk_bytes 5000
cairn_received_items_total{receiver="otlp_grpc",signal="traces"} 7
process_cpu_seconds_total 12.5
cairn_queue_refused_items_total 3
cairn_store_write_seconds_sum 4.5
cairn_store_write_seconds_count 9
cairn_store_write_cpu_seconds_total 3.25
cairn_store_wal_bytes 6.7108864e+07
cairn_store_wal_resets_total 2
cairn_store_wal_reset_pause_seconds_total 0.5
`)
	if m.StoreSpans != 1.2e6 || !m.HasStoreSpans || m.QueueItems != 40 || m.DiskBytes != 5000 || m.CPUSeconds != 12.5 || m.QueueRefused != 3 {
		t.Fatalf("parsed %+v", m)
	}
	if m.WriteSeconds != 4.5 || m.WriteCount != 9 || m.WriteCPU != 3.25 || m.WALBytes != 64<<20 || m.WALResets != 2 || m.WALPause != 0.5 {
		t.Fatalf("parsed writer and WAL metrics %+v", m)
	}
}

func TestRetryAfter(t *testing.T) {
	if d := retryAfter("2"); d != 2*time.Second {
		t.Fatal(d)
	}
	if d := retryAfter(""); d != defaultRetryAfter {
		t.Fatal(d)
	}
	if d := retryAfter("9999"); d != maxRetryAfter {
		t.Fatal(d)
	}
}
