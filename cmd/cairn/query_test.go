package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func init() { displayZone = time.UTC }

// Recorded API answers, in the shape internal/api renders (docs/api.md).
const (
	recordedPage = `{"traces":[
{"traceId":"14079ca250425ca0257b94c26dfdcc31","rootName":"trail_guide_session","rootService":"trail-guide","hasRoot":true,
 "startTime":"2026-11-22T15:50:49.713000000Z","startUnixNano":"1795362649713000000","durationMs":50.7,"spanCount":4,
 "errorCount":0,"generationCount":1,"inputTokens":30,"outputTokens":16,"costUsd":0.000235,"sessionId":"session_1795",
 "userId":"","models":["gpt-4o"]},
{"traceId":"0000000000000000000000000000beef","rootName":"evil\u001b[31mRED\u001b]0;pwned\u0007 \u009b2J\u202etxt.exe\nline2",
 "rootService":"svc\ttab","hasRoot":false,"startTime":"2026-11-22T15:50:50.000000000Z","startUnixNano":"1795362650000000000",
 "durationMs":1234.5,"spanCount":1,"errorCount":1,"generationCount":0,"inputTokens":0,"outputTokens":0,"costUsd":null,
 "sessionId":"","userId":"","models":[]}],
"nextCursor":"MTc5NTM2MjY0OTcxMzAwMDAwMDoxNDA3"}`

	recordedTrace = `{"summary":{"traceId":"14079ca250425ca0257b94c26dfdcc31","rootName":"trail_guide_session",
 "rootService":"trail-guide","hasRoot":true,"startTime":"2026-11-22T15:50:49.713000000Z","startUnixNano":"1795362649713000000",
 "durationMs":50.7,"spanCount":4,"errorCount":1,"generationCount":2,"inputTokens":30,"outputTokens":16,"costUsd":0.000235,
 "sessionId":"session_1795","userId":"lee","models":["gpt-4o","gpt-4o-2024-08-06"]},
"spans":[
 {"traceId":"14079ca250425ca0257b94c26dfdcc31","spanId":"00000000000000a1","parentSpanId":"","name":"trail_guide_session",
  "kind":"server","service":"trail-guide","startTime":"2026-11-22T15:50:49.713000000Z","startUnixNano":"1795362649713000000",
  "endTime":"","endUnixNano":"1795362649763700000","durationMs":50.7,"status":{"code":"unset","message":""},
  "attributes":{},"resource":{},"scope":{"name":"","version":""},"events":[],"links":[],"logs":[],"truncated":{},
  "sessionId":"session_1795","userId":"lee","generation":null},
 {"traceId":"14079ca250425ca0257b94c26dfdcc31","spanId":"00000000000000a2","parentSpanId":"00000000000000a1",
  "name":"chat gpt-4o","kind":"client","service":"trail-guide","startTime":"","startUnixNano":"1795362649714000000",
  "endTime":"","endUnixNano":"","durationMs":40,"status":{"code":"ok","message":""},"attributes":{},"resource":{},
  "scope":{"name":"","version":""},"events":[],"links":[],"logs":[],"truncated":{},"sessionId":"","userId":"",
  "generation":{"operation":"chat","provider":"openai","requestModel":"gpt-4o","responseModel":"gpt-4o-2024-08-06",
   "responseId":"chatcmpl-1","convention":"otel_genai","conversationId":"","agentName":"","toolName":"",
   "usage":{"inputTokens":30,"outputTokens":16,"cachedInputTokens":null,"cacheCreationTokens":null,"reasoningTokens":null,"totalTokens":46},
   "costUsd":0.000235,"finishReasons":["tool_calls"],"params":{"temperature":0.7},"timeToFirstTokenMs":null,"errorType":"",
   "contentRecorded":true,
   "systemInstructions":[{"type":"text","content":"You are an expert hiking trail recommender."}],
   "inputMessages":[{"role":"user","parts":[{"type":"text","content":"Recommend a hike \u003cscript\u003e\nnear Paris\u001b[2J"}]}],
   "outputMessages":[{"role":"assistant","finishReason":"tool_calls","parts":[{"type":"text","content":"Let me check."},
     {"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris \u0026 around"}}]}],
   "contentTruncated":false}},
 {"traceId":"14079ca250425ca0257b94c26dfdcc31","spanId":"00000000000000a3","parentSpanId":"00000000000000a1",
  "name":"chat claude","kind":"client","service":"weather","startTime":"","startUnixNano":"1795362649755000000",
  "endTime":"","endUnixNano":"","durationMs":8.25,"status":{"code":"error","message":"rate limited"},"attributes":{},
  "resource":{},"scope":{"name":"","version":""},
  "events":[{"name":"exception","time":"","timeUnixNano":"","attributes":{"exception.type":"RateLimitError","exception.message":"rate limited"}}],
  "links":[],"logs":[],"truncated":{},"sessionId":"","userId":"",
  "generation":{"operation":"chat","provider":"anthropic","requestModel":"claude-x","responseModel":"","responseId":"",
   "convention":"otel_genai","conversationId":"","agentName":"","toolName":"",
   "usage":{"inputTokens":null,"outputTokens":null,"cachedInputTokens":null,"cacheCreationTokens":null,"reasoningTokens":null,"totalTokens":null},
   "costUsd":null,"finishReasons":[],"params":{},"timeToFirstTokenMs":null,"errorType":"429","contentRecorded":false,
   "systemInstructions":[],"inputMessages":[],"outputMessages":[],"contentTruncated":false}},
 {"traceId":"14079ca250425ca0257b94c26dfdcc31","spanId":"00000000000000a4","parentSpanId":"00000000000000ff",
  "name":"late \u001b[1mchild","kind":"internal","service":"trail-guide","startTime":"","startUnixNano":"1795362649760000000",
  "endTime":"","endUnixNano":"","durationMs":0.5,"status":{"code":"unset","message":""},"attributes":{},"resource":{},
  "scope":{"name":"","version":""},"events":[],"links":[],"logs":[],"truncated":{},"sessionId":"","userId":"","generation":null}],
"orphanLogs":[{"time":"","timeUnixNano":"","traceId":"","spanId":"","severityNumber":9,"severityText":"","eventName":"",
 "body":"x","attributes":{},"resource":{},"truncated":{}}]}`
)

// fakeAPI serves recorded answers and remembers the requests.
type fakeAPI struct {
	mu     sync.Mutex
	status int
	ctype  string
	body   string
	reqs   []*http.Request
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	status, ctype, body := f.status, f.ctype, f.body
	f.mu.Unlock()
	switch {
	case ctype != "":
	case strings.HasPrefix(body, "<"):
		ctype = "text/html"
	default:
		ctype = "application/json; charset=utf-8"
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (f *fakeAPI) last(t *testing.T) *http.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("no request reached the server")
	}
	return f.reqs[len(f.reqs)-1]
}

func newFake(t *testing.T, status int, body string) (*fakeAPI, string) {
	t.Helper()
	f := &fakeAPI{status: status, body: body}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// runCmd runs the cairn command line and returns its exit code and output.
func runCmd(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// noTerminalControls fails when s holds anything a terminal would act on.
func noTerminalControls(t *testing.T, what, s string) {
	t.Helper()
	for _, r := range s {
		if r != '\n' && unsafeRune(r) {
			t.Errorf("%s holds %U: %q", what, r, s)
			return
		}
	}
}

func TestSafeText(t *testing.T) {
	f := func(in, wantLine, wantText string) {
		t.Helper()
		if got := safeLine(in); got != wantLine {
			t.Errorf("safeLine(%q) = %q; want %q", in, got, wantLine)
		}
		if got := safeText(in); got != wantText {
			t.Errorf("safeText(%q) = %q; want %q", in, got, wantText)
		}
	}
	f("", "", "")
	f("chat gpt-4o", "chat gpt-4o", "chat gpt-4o")
	f("naïve 東京 🏔", "naïve 東京 🏔", "naïve 東京 🏔")
	f("a\nb\tc", `a\nb\tc`, "a\nb\tc")
	f("a\r\nb", `a\r\nb`, "a\nb")
	f("over\rwrite", `over\rwrite`, `over\rwrite`)
	f("\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`, `\x1b[31mred\x1b[0m`)
	f("\x1b]0;title\x07", `\x1b]0;title\x07`, `\x1b]0;title\x07`)
	f("\u009b2J", `\x9b2J`, `\x9b2J`)                          // C1 CSI
	f("bad\xffbyte\xc3", `bad\xffbyte\xc3`, `bad\xffbyte\xc3`) // not UTF-8
	f("abc\u202etxt.exe", `abc\u202etxt.exe`, `abc\u202etxt.exe`)
	f("\u2066iso\u2069", `\u2066iso\u2069`, `\u2066iso\u2069`)
	f("del\x7f", `del\x7f`, `del\x7f`)
	f("nul\x00", `nul\x00`, `nul\x00`)
	f("sep\u2028x", `sep\u2028x`, `sep\u2028x`)
}

func TestSafeJSON(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got := string(safeJSON([]byte(in)))
		if got != want {
			t.Errorf("safeJSON(%q) = %q; want %q", in, got, want)
		}
		// The escaped JSON means the same as the original.
		var a, b any
		if json.Unmarshal([]byte(in), &a) == nil {
			if err := json.Unmarshal([]byte(got), &b); err != nil {
				t.Errorf("safeJSON(%q) is not JSON: %v", in, err)
			} else if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
				t.Errorf("safeJSON(%q) decodes to %s; the input to %s", in, jb, ja)
			}
		}
	}
	f(`{"a": [1, "x"]}`+"\n", `{"a": [1, "x"]}`+"\n")
	f(`{"n":"東京 🏔"}`, `{"n":"東京 🏔"}`)
	f("{\"n\":\"\u009b2J\"}", `{"n":"\u009b2J"}`)
	f("{\"n\":\"a\u202eb\"}", `{"n":"a\u202eb"}`)
	f("{\"n\":\"del\x7f\"}", `{"n":"del\u007f"}`)
	f("{\"n\":\"bad\xff\"}", `{"n":"bad\ufffd"}`)
	f(`{"n":"\u001b[31m"}`, `{"n":"\u001b[31m"}`) // already escaped: untouched
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFormatting(t *testing.T) {
	f := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %q; want %q", got, want)
		}
	}
	c := func(v float64) *float64 { return &v }
	f(fmtMs(0.25), "0.25ms")
	f(fmtMs(50.7), "50.7ms")
	f(fmtMs(187.4), "187ms")
	f(fmtMs(1234.5), "1.23s")
	f(fmtMs(125_000), "2m5s")
	f(fmtMs(-1), "-")
	f(fmtCost(nil), "-")
	f(fmtCost(c(0)), "$0")
	f(fmtCost(c(0.000235)), "$0.000235")
	f(fmtCost(c(0.0021345)), "$0.00213")
	f(fmtCost(c(0.5)), "$0.5")
	f(fmtCost(c(12.345)), "$12.35")
	f(fmtCost(c(1e-9)), "$0.000000001")
	f(clip("abcdef", 4), "abc…")
	f(clip("東京東京東京", 3), "東京…")
	f(clip("abc", 3), "abc")
}

func TestTracesTable(t *testing.T) {
	_, srv := newFake(t, 200, recordedPage)
	code, out, errOut := runCmd("traces", "--server", srv)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `TIME                 TRACE ID                          ROOT SPAN                                                                 SERVICE      DURATION  SPANS  ERRORS  TOKENS IN/OUT  COST
2026-11-22 15:50:50  0000000000000000000000000000beef  evil\x1b[31mRED\x1b]0;pwned\x07 \x9b2J\u202etxt.exe\nline2 (no root yet)  svc\ttab     1.23s     1      1       -              -
2026-11-22 15:50:49  14079ca250425ca0257b94c26dfdcc31  trail_guide_session                                                       trail-guide  50.7ms    4      0       30/16          $0.000235
More traces: repeat with --cursor MTc5NTM2MjY0OTcxMzAwMDAwMDoxNDA3
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	noTerminalControls(t, "traces output", out)
}

func TestTracesFlagsBecomeParameters(t *testing.T) {
	fake, srv := newFake(t, 200, `{"traces":[]}`)
	f := func(want string, args ...string) {
		t.Helper()
		code, out, errOut := runCmd(append([]string{"traces", "--server", srv}, args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
			return
		}
		if out != "No traces match.\n" {
			t.Errorf("%v: output %q", args, out)
		}
		r := fake.last(t)
		if r.URL.Path != "/api/v1/traces" {
			t.Errorf("%v: path %s", args, r.URL.Path)
		}
		if got := r.URL.Query().Encode(); want != "-" && got != want {
			t.Errorf("%v: query %s; want %s", args, got, want)
		}
	}
	f("limit=20")
	f("limit=5&model=gpt-4o&service=trail-guide&status=error", "--service", "trail-guide", "--status", "error", "--model", "gpt-4o", "--limit", "5")
	f("limit=20&name=chat+gpt-4o&q=skyline+trail&session=s1&user=u1", "--name", "chat gpt-4o", "--session", "s1", "--user", "u1", "--q", "skyline trail")
	f("attr=a%3D1&attr=b%3Dx%3Dy&limit=20", "--attr", "a=1", "--attr", "b=x=y")
	f("limit=20&maxDuration=2s&minDuration=1.5s", "--min-duration", "1.5s", "--max-duration", "2s")
	f("end=2026-11-22T16%3A00%3A00Z&limit=20&start=2026-11-22T15%3A50%3A49.713Z", "--start", "1795362649713", "--end", "2026-11-22T17:00:00+01:00")
	f("cursor=abc&limit=20", "--cursor", "abc")

	// --since is relative to now.
	before := time.Now()
	f("-", "--since", "1h") // checked below
	start, err := time.Parse(time.RFC3339Nano, fake.last(t).URL.Query().Get("start"))
	if err != nil || start.Before(before.Add(-time.Hour-time.Second)) || start.After(time.Now().Add(-time.Hour)) {
		t.Errorf("--since 1h sent start %v (%v); want about an hour ago", start, err)
	}
}

func TestTracesEnvAndToken(t *testing.T) {
	fake, srv := newFake(t, 200, `{"traces":[]}`)
	t.Setenv("CAIRN_SERVER", srv)
	t.Setenv("CAIRN_API_TOKEN", "s3cret")
	if code, _, errOut := runCmd("traces"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := fake.last(t).Header.Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization %q; want the token from CAIRN_API_TOKEN", got)
	}
}

func TestTracesJSONIsTheRawAnswer(t *testing.T) {
	_, srv := newFake(t, 200, recordedPage)
	code, out, errOut := runCmd("traces", "--server", srv, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got, want any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v", err)
	}
	_ = json.Unmarshal([]byte(recordedPage), &want)
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Errorf("--json output differs from the API answer:\n%s", out)
	}
	noTerminalControls(t, "--json output", out)
}

func TestQueryErrors(t *testing.T) {
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()

	f := func(status int, body string, args []string, wantCode int, wants ...string) {
		t.Helper()
		srv := dead
		if status != 0 {
			_, srv = newFake(t, status, body)
		}
		code, out, errOut := runCmd(append(append([]string{}, args...), "--server", srv)...)
		if code != wantCode {
			t.Errorf("%v: exit %d; want %d (stderr %q)", args, code, wantCode, errOut)
		}
		if out != "" {
			t.Errorf("%v: stdout %q; want nothing", args, out)
		}
		for _, w := range wants {
			if !strings.Contains(errOut, strings.ReplaceAll(w, "SERVER", srv)) {
				t.Errorf("%v: stderr %q does not mention %q", args, errOut, w)
			}
		}
		noTerminalControls(t, "stderr", errOut)
	}
	traces := []string{"traces"}
	trace := []string{"trace", "14079ca250425ca0257b94c26dfdcc31"}
	f(0, "", traces, 1, "cannot reach cairn at SERVER", "is cairn serve running? start it with 'cairn serve'")
	f(0, "", trace, 1, "cannot reach cairn at SERVER", "is cairn serve running?")
	f(404, `{"error":"trace 14079ca250425ca0257b94c26dfdcc31 not found: ..."}`, trace, 1,
		"trace 14079ca250425ca0257b94c26dfdcc31 not found on SERVER")
	f(400, `{"error":"cursor: \"x\u001b[2J\" is not one this server returned"}`, traces, 1,
		`SERVER rejected the query: cursor: "x\x1b[2J" is not one this server returned`)
	f(401, `{"error":"the API token is wrong"}`, traces, 1, "the API token is wrong", "--api-token or CAIRN_API_TOKEN")
	f(500, `{"error":"internal error reading the store"}`, trace, 1, "SERVER answered 500: internal error reading the store")
	f(502, `<html>bad gateway</html>`, traces, 1, "answered 502", "not a Cairn API answer")
	f(200, `not json`, traces, 1, "not the API's JSON: is it a Cairn server?")
	f(200, `{"traces": 5}`, traces, 1, "does not have the shape this client knows")

	// Usage errors: exit 2, nothing sent.
	f(0, "", []string{"traces", "--status", "broken"}, 2, `--status "broken": want ok or error`)
	f(0, "", []string{"traces", "--limit", "0"}, 2, "--limit 0")
	f(0, "", []string{"traces", "--attr", "novalue"}, 2, `--attr "novalue": want key=value`)
	f(0, "", []string{"traces", "--since", "1h", "--start", "1000"}, 2, "--since or --start, not both")
	f(0, "", []string{"traces", "--start", "yesterday"}, 2, `--start "yesterday"`)
	f(0, "", []string{"traces", "--start", "2000", "--end", "1000"}, 2, "not before its end")
	f(0, "", []string{"traces", "--min-duration", "2s", "--max-duration", "1s"}, 2, "more than --max-duration")
	f(0, "", []string{"traces", "extra"}, 2, `unexpected argument "extra"`)
	f(0, "", []string{"trace"}, 2, "give one trace id")
	f(0, "", []string{"trace", "abc"}, 2, `trace id "abc" has 3 characters`)
	f(0, "", []string{"trace", strings.Repeat("0", 32)}, 2, "all zeros")
	f(0, "", []string{"trace", "14079ca250425ca0257b94c26dfdcc31", "another"}, 2, "give one trace id")
	f(0, "", []string{"trace", "\x1b[31m"}, 2, `\x1b[31m`)
	code, _, errOut := runCmd("traces", "--server", "ftp://x")
	if code != 2 || !strings.Contains(errOut, "want an http or https URL") {
		t.Errorf("--server ftp://x: exit %d, %q", code, errOut)
	}
}

func TestTraceTree(t *testing.T) {
	fake, srv := newFake(t, 200, recordedTrace)
	// The id may come before or after the flags, in either case.
	code, out, errOut := runCmd("trace", "14079CA250425CA0257B94C26DFDCC31", "--server", srv)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if p := fake.last(t).URL.Path; p != "/api/v1/traces/14079ca250425ca0257b94c26dfdcc31" {
		t.Errorf("path %s", p)
	}
	want := `Trace 14079ca250425ca0257b94c26dfdcc31  trail_guide_session  [trail-guide]
  started 2026-11-22 15:50:49 · 50.7ms · 4 spans · 1 error · 2 model calls · tokens 30 in / 16 out · cost $0.000235
  session session_1795 · user lee · models gpt-4o, gpt-4o-2024-08-06

trail_guide_session  [trail-guide]  50.7ms
├─ chat gpt-4o  [trail-guide]  40.0ms  ok
│     model gpt-4o → gpt-4o-2024-08-06 · openai · chat
│     tokens 30 in / 16 out / 46 total · cost $0.000235 · finish tool_calls
│     system: You are an expert hiking trail recommender.
│     user: Recommend a hike <script>
│           near Paris\x1b[2J
│     assistant: Let me check.
│     assistant: tool call get_weather (call_1) {"city":"Paris & around"}
└─ chat claude  [weather]  8.2ms  ✗ ERROR: rate limited
      exception RateLimitError
      model claude-x · anthropic · chat
      tokens not reported · cost unknown · error 429
      messages: not recorded (the app records message content only when asked to, e.g. OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true)
late \x1b[1mchild  [trail-guide]  0.50ms

1 log record(s) of this trace are linked to no stored span ('cairn trace --json' shows them).
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	noTerminalControls(t, "trace output", out)

	code, out, _ = runCmd("trace", "--server", srv, "--json", "14079ca250425ca0257b94c26dfdcc31")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["summary"] == nil {
		t.Errorf("--json: exit %d, %.200s", code, out)
	}
	noTerminalControls(t, "trace --json output", out)
}

func TestTraceTreeShapes(t *testing.T) {
	span := func(id, parent, name string) string {
		return `{"spanId":"` + id + `","parentSpanId":"` + parent + `","name":"` + name + `","service":"s","startUnixNano":"1","durationMs":1,"status":{"code":"unset"}}`
	}
	f := func(spans []string, want string) {
		t.Helper()
		body := `{"summary":{"traceId":"14079ca250425ca0257b94c26dfdcc31","rootName":"r","rootService":"s","hasRoot":true,"startUnixNano":"1"},"spans":[` +
			strings.Join(spans, ",") + `],"orphanLogs":[]}`
		_, srv := newFake(t, 200, body)
		code, out, errOut := runCmd("trace", "--server", srv, "14079ca250425ca0257b94c26dfdcc31")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		_, tree, _ := strings.Cut(out, "\n\n")
		if tree != want {
			t.Errorf("tree:\n%s\nwant:\n%s", tree, want)
		}
	}
	f([]string{span("a", "", "root"), span("b", "a", "b"), span("c", "b", "c"), span("d", "a", "d")},
		"root  [s]  1.0ms\n├─ b  [s]  1.0ms\n│  └─ c  [s]  1.0ms\n└─ d  [s]  1.0ms\n")
	// A parent cycle (only a hostile sender makes one) and a self-parent still print every span once.
	f([]string{span("a", "b", "x"), span("b", "a", "y"), span("c", "c", "self")},
		"self  [s]  1.0ms\nx  [s]  1.0ms\n└─ y  [s]  1.0ms\n")
	f(nil, "")
}

func TestTraceContentIsCut(t *testing.T) {
	long := strings.Repeat("word ", 400)
	body := strings.Replace(recordedTrace, "You are an expert hiking trail recommender.", long, 1)
	_, srv := newFake(t, 200, body)
	_, out, _ := runCmd("trace", "--server", srv, "14079ca250425ca0257b94c26dfdcc31")
	if !strings.Contains(out, "[1001 more characters: --full shows them]") || strings.Count(out, "word") > 250 {
		t.Errorf("long content not cut: %.300s", out)
	}
	_, out, _ = runCmd("trace", "--server", srv, "--full", "14079ca250425ca0257b94c26dfdcc31")
	if strings.Count(out, "word") != 400 {
		t.Errorf("--full printed %d of 400 words", strings.Count(out, "word"))
	}
}

func TestNextPageHintWithSince(t *testing.T) {
	_, srv := newFake(t, 200, `{"traces":[{"traceId":"14079ca250425ca0257b94c26dfdcc31","startUnixNano":"1"}],"nextCursor":"abc"}`)
	_, out, _ := runCmd("traces", "--server", srv, "--since", "2h")
	i := strings.Index(out, "More traces: repeat with --start ")
	if i < 0 || !strings.Contains(out, "--cursor abc (in place of --since") {
		t.Fatalf("hint missing: %q", out)
	}
	ts := strings.Fields(out[i+len("More traces: repeat with --start "):])[0]
	if start, err := time.Parse(time.RFC3339Nano, ts); err != nil || time.Since(start) < 2*time.Hour-time.Minute {
		t.Errorf("hint start %q (%v); want two hours ago", ts, err)
	}
}
