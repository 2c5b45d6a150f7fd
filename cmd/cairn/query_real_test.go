package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/api"
	"github.com/cairn-dev/cairn/internal/genai"
	"github.com/cairn-dev/cairn/internal/store/sqlite"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// TestQueryCommandsAgainstTheRealAPI runs 'cairn traces' and 'cairn trace' against the real API
// handler over a real SQLite store holding a written batch, with the server's enricher.
func TestQueryCommandsAgainstTheRealAPI(t *testing.T) {
	base := time.Date(2026, 11, 22, 15, 50, 49, 0, time.UTC)
	ns := func(d time.Duration) int64 { return base.Add(d).UnixNano() }
	i64 := func(v int64) *int64 { return &v }
	f64 := func(v float64) *float64 { return &v }
	tg := &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": "trail-guide"}}
	chatTrace := telemetry.TraceID{0xca, 0xfe, 15: 1}
	logTrace := telemetry.TraceID{0xca, 0xfe, 15: 2}
	evilTrace := telemetry.TraceID{0xca, 0xfe, 15: 3}
	root, chat, call := telemetry.SpanID{1}, telemetry.SpanID{2}, telemetry.SpanID{3}
	b := &telemetry.Batch{Spans: []*telemetry.Span{
		{TraceID: chatTrace, SpanID: root, Name: "trail_guide_session", Kind: telemetry.SpanKindServer, Resource: tg,
			StartUnixNano: ns(0), EndUnixNano: ns(100 * time.Millisecond), SessionID: "session_1"},
		{TraceID: chatTrace, SpanID: chat, ParentSpanID: root, Name: "chat gpt-4o", Kind: telemetry.SpanKindClient, Resource: tg,
			StartUnixNano: ns(10 * time.Millisecond), EndUnixNano: ns(60 * time.Millisecond),
			Attributes: telemetry.Attributes{"gen_ai.request.model": "gpt-4o"},
			Generation: &telemetry.Generation{Operation: "chat", Provider: "openai", RequestModel: "gpt-4o",
				Usage:   telemetry.Usage{InputTokens: i64(30), OutputTokens: i64(16)},
				CostUSD: f64(0.000235), FinishReasons: []string{"stop"}, ContentRecorded: true,
				InputMessages:  []telemetry.Message{{Role: "user", Parts: []telemetry.Part{{Type: "text", Content: "Recommend a hike"}}}},
				OutputMessages: []telemetry.Message{{Role: "assistant", Parts: []telemetry.Part{{Type: "text", Content: "Skyline Trail"}}}}}},
		// A model call whose span carries no GenAI attributes: it becomes one only at read time,
		// from its log records.
		{TraceID: logTrace, SpanID: call, Name: "llm call", Kind: telemetry.SpanKindClient, Resource: tg,
			StartUnixNano: ns(time.Minute), EndUnixNano: ns(time.Minute + 2*time.Second)},
		{TraceID: evilTrace, SpanID: telemetry.SpanID{4}, Name: "\x1b]0;pwned\x07\x1b[2Jgotcha\u202e", Resource: tg,
			StartUnixNano: ns(2 * time.Minute), EndUnixNano: ns(2*time.Minute + time.Millisecond),
			Status: telemetry.Status{Code: telemetry.StatusError, Message: "\x1b[31mboom"}},
	}}
	b.Logs = []*telemetry.LogRecord{
		{TimeUnixNano: ns(time.Minute), TraceID: logTrace, SpanID: call, EventName: "gen_ai.client.inference.operation.details",
			Attributes: telemetry.Attributes{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
				"gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": int64(10), "gen_ai.usage.output_tokens": int64(5)}},
		{TimeUnixNano: ns(time.Minute + 1), TraceID: logTrace, SpanID: call, EventName: "gen_ai.user.message",
			Body: map[string]any{"content": "What is the weather?"}},
		{TimeUnixNano: ns(time.Minute + 2), TraceID: logTrace, SpanID: call, EventName: "gen_ai.choice",
			Body: map[string]any{"index": int64(0), "finish_reason": "stop", "message": map[string]any{"content": "Sunny."}}},
	}
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Enricher: genai.MergeLogs, APIToken: "tok"}, st, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)

	f := func(args string, wantCode int, wants ...string) {
		t.Helper()
		code, out, errOut := runCmd(append(strings.Fields(args), "--server", srv.URL, "--api-token", "tok")...)
		if code != wantCode {
			t.Errorf("%s: exit %d; want %d (%s)", args, code, wantCode, errOut)
		}
		for _, w := range wants {
			if !strings.Contains(out+errOut, w) {
				t.Errorf("%s: output does not hold %q:\n%s%s", args, w, out, errOut)
			}
		}
		noTerminalControls(t, args, out+errOut)
	}
	f("traces", 0,
		"2026-11-22 15:52:49  cafe0000000000000000000000000003  \\x1b]0;pwned\\x07\\x1b[2Jgotcha\\u202e  trail-guide  1.0ms     1      1",
		// The list shows the summary as written: the log-only model call is not counted there.
		"2026-11-22 15:51:49  cafe0000000000000000000000000002  llm call                             trail-guide  2.00s     1      0       -              -",
		"2026-11-22 15:50:49  cafe0000000000000000000000000001  trail_guide_session                  trail-guide  100ms     2      0       30/16          $0.000235")
	f("traces --model gpt-4o --limit 1", 0, "cafe0000000000000000000000000001")
	f("traces --limit 1", 0, "cafe0000000000000000000000000003", "More traces: repeat with --cursor ")
	f("traces --status error", 0, "cafe0000000000000000000000000003")
	f("traces --q skyline", 0, "cafe0000000000000000000000000001")
	f("traces --cursor bm90LWEtY3Vyc29y", 1, "rejected the query: cursor: ")
	f("trace cafe0000000000000000000000000001", 0,
		"trail_guide_session  [trail-guide]  100ms\n└─ chat gpt-4o  [trail-guide]  50.0ms\n",
		"      model gpt-4o · openai · chat\n      tokens 30 in / 16 out · cost $0.000235 · finish stop\n",
		"      user: Recommend a hike\n      assistant: Skyline Trail\n")
	// The detail's summary counts the model call the enricher found in the log records.
	f("trace cafe0000000000000000000000000002", 0,
		"1 model call · tokens 10 in / 5 out", "models gpt-4o-mini",
		"llm call  [trail-guide]  2.00s\n   model gpt-4o-mini · openai · chat\n   tokens 10 in / 5 out / 15 total · cost $0.0000045 · finish stop\n",
		"user: What is the weather?", "assistant: Sunny.")
	f("trace cafe0000000000000000000000000003", 0, `\x1b]0;pwned\x07\x1b[2Jgotcha\u202e`, `✗ ERROR: \x1b[31mboom`)
	f("trace cafe00000000000000000000000000ff", 1, "trace cafe00000000000000000000000000ff not found on "+srv.URL)
	code, _, errOut := runCmd("traces", "--server", srv.URL)
	if code != 1 || !strings.Contains(errOut, "--api-token or CAIRN_API_TOKEN") {
		t.Errorf("without the token: exit %d, %q", code, errOut)
	}
}
