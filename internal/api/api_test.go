package api

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store/sqlite"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

func TestSearchTraces(t *testing.T) {
	h := newTestAPI(t, Config{})
	f := func(query string, want ...telemetry.TraceID) {
		t.Helper()
		body := okGet(t, h, "/api/v1/traces?"+query)
		var got []string
		for _, tr := range list(t, body["traces"], "traces") {
			got = append(got, obj(t, tr, "trace")["traceId"].(string))
		}
		var wantS []string
		for _, id := range want {
			wantS = append(wantS, id.String())
		}
		if !slices.Equal(got, wantS) {
			t.Errorf("traces?%s = %v; want %v", query, got, wantS)
		}
	}
	f("service=trail-guide", chatTrace)
	f("service=nobody")
	f("status=error", errTrace)
	f("status=ok&session=session_1", chatTrace)
	f("session=session_1", errTrace, chatTrace) // newest first
	f("user=user_1", errTrace, chatTrace)
	f("model=gpt-4o", chatTrace)
	f("name=chat+claude", errTrace)
	f("minDuration=1000", errTrace)
	f("minDuration=1s&maxDuration=3s", errTrace)
	f("maxDuration=99ms&service=trail-guide")
	f("attr=gen_ai.request.model%3Dgpt-4o", chatTrace)
	f("attr=stream%3Dtrue&attr=ratio%3D0.5", chatTrace)
	f("attr=gen_ai.request.model%3Dgpt-5")
	f("q=skyline", chatTrace)
	f(fmt.Sprintf("start=%d&end=%d", base.UnixMilli(), base.Add(time.Minute).UnixMilli()), chatTrace)
	f("start="+url.QueryEscape(base.Add(59*time.Second).Format(time.RFC3339))+"&end="+url.QueryEscape(base.Add(90*time.Second).Format(time.RFC3339)), errTrace)
}

func TestSearchTracesSummary(t *testing.T) {
	h := newTestAPI(t, Config{})
	body := okGet(t, h, "/api/v1/traces?session=session_1")
	if _, ok := body["nextCursor"]; ok {
		t.Errorf("nextCursor present on the only page: %v", body["nextCursor"])
	}
	traces := list(t, body["traces"], "traces")
	if len(traces) != 2 {
		t.Fatalf("got %d traces; want 2", len(traces))
	}
	chat, errT := obj(t, traces[1], "chat trace"), obj(t, traces[0], "error trace")
	want := map[string]any{
		"traceId": chatTrace.String(), "rootName": "trail_guide_session", "rootService": "trail-guide",
		"hasRoot": true, "startTime": base.UTC().Format("2006-01-02T15:04:05") + ".000000000Z",
		"startUnixNano": fmt.Sprint(base.UnixNano()), "durationMs": 100.0, "spanCount": 2.0,
		"errorCount": 0.0, "generationCount": 1.0, "inputTokens": 30.0, "outputTokens": 16.0,
		"costUsd": 0.000235, "sessionId": "session_1", "userId": "user_1",
		"models": []any{"gpt-4o", "gpt-4o-2024-08-06"}, // request and response models
	}
	for k, v := range want {
		if fmt.Sprint(chat[k]) != fmt.Sprint(v) {
			t.Errorf("summary %s = %#v; want %#v", k, chat[k], v)
		}
	}
	if len(chat) != len(want) {
		t.Errorf("summary has %d fields; want %d: %v", len(chat), len(want), chat)
	}
	if v, ok := errT["costUsd"]; !ok || v != nil {
		t.Errorf("unknown cost = %v (present %v); want null", v, ok)
	}
	if errT["errorCount"] != 1.0 || errT["durationMs"] != 2000.0 {
		t.Errorf("error trace summary = %v", errT)
	}
}

func TestSearchTracesPaging(t *testing.T) {
	h := newTestAPI(t, Config{})
	seen := map[string]bool{}
	var sizes []int
	var lastStart string
	path := "/api/v1/traces?service=pager&limit=10"
	for page := 0; page < 5; page++ {
		body := okGet(t, h, path)
		traces := list(t, body["traces"], "traces")
		sizes = append(sizes, len(traces))
		for _, tr := range traces {
			s := obj(t, tr, "trace")
			id, start := s["traceId"].(string), s["startTime"].(string)
			if seen[id] {
				t.Errorf("trace %s on two pages", id)
			}
			if lastStart != "" && start > lastStart {
				t.Errorf("trace %s starts %s after the previous %s; want newest first", id, start, lastStart)
			}
			seen[id], lastStart = true, start
		}
		cursor, ok := body["nextCursor"].(string)
		if !ok {
			break
		}
		path = "/api/v1/traces?service=pager&limit=10&cursor=" + url.QueryEscape(cursor)
	}
	if !slices.Equal(sizes, []int{10, 10, 5}) || len(seen) != pagedCount {
		t.Errorf("page sizes %v, %d distinct traces; want [10 10 5], %d", sizes, len(seen), pagedCount)
	}
	if n := len(list(t, okGet(t, h, "/api/v1/traces")["traces"], "traces")); n != defaultLimit {
		t.Errorf("default page has %d traces; want %d", n, defaultLimit)
	}
}

func TestGetTrace(t *testing.T) {
	h := newTestAPI(t, Config{})
	r := get(t, h, "/api/v1/traces/"+chatTrace.String())
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if obj(t, r.body["summary"], "summary")["traceId"] != chatTrace.String() {
		t.Errorf("summary = %v", r.body["summary"])
	}
	spans := list(t, r.body["spans"], "spans")
	if len(spans) != 2 {
		t.Fatalf("got %d spans; want 2", len(spans))
	}
	root, chat := obj(t, spans[0], "root"), obj(t, spans[1], "chat")
	if root["spanId"] != rootSpan.String() || root["parentSpanId"] != "" || root["kind"] != "server" {
		t.Errorf("first span (sorted by start) = %v; want the root", root)
	}
	if len(list(t, root["logs"], "root logs")) != 0 || len(list(t, root["events"], "root events")) != 0 ||
		len(obj(t, root["truncated"], "root truncated")) != 0 || root["generation"] != nil {
		t.Errorf("root: empty lists must be [] and maps {}, generation null: %v", root)
	}
	want := map[string]any{
		"traceId": chatTrace.String(), "spanId": chatSpan.String(), "parentSpanId": rootSpan.String(),
		"name": "chat gpt-4o", "kind": "client", "service": "trail-guide", "durationMs": 50.0,
		"startUnixNano": fmt.Sprint(ns(10 * time.Millisecond)), "endUnixNano": fmt.Sprint(ns(60 * time.Millisecond)),
		"startTime":  time.Unix(0, ns(10*time.Millisecond)).UTC().Format("2006-01-02T15:04:05.000000000Z"),
		"status":     map[string]any{"code": "unset", "message": ""},
		"scope":      map[string]any{"name": "openai", "version": "1.2.3"},
		"sessionId":  "session_1",
		"userId":     "user_1",
		"truncated":  map[string]any{"prompt.user": 2097152.0},
		"resource":   map[string]any{"service.name": "trail-guide", "host.cpus": 8.0},
		"events":     []any{map[string]any{"name": "exception", "time": time.Unix(0, ns(20*time.Millisecond)).UTC().Format("2006-01-02T15:04:05.000000000Z"), "timeUnixNano": fmt.Sprint(ns(20 * time.Millisecond)), "attributes": map[string]any{"exception.type": "ValueError"}}},
		"links":      []any{map[string]any{"traceId": errTrace.String(), "spanId": sid(20).String(), "attributes": map[string]any{"link.kind": "follows"}}},
		"attributes": map[string]any{"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 30.0, "big": float64(int64(1) << 60), "ratio": 0.5, "stream": true, "raw": "AQL/", "list": []any{"a", 2.0}, "map": map[string]any{"k": "v"}},
	}
	for k, v := range want {
		if fmt.Sprint(chat[k]) != fmt.Sprint(v) {
			t.Errorf("span %s = %v; want %v", k, chat[k], v)
		}
	}
	// int64 attributes are JSON numbers written exactly, not floats or strings.
	if !strings.Contains(r.raw, `"big":1152921504606846976`) || !strings.Contains(r.raw, `"gen_ai.usage.input_tokens":30`) {
		t.Errorf("int64 attributes not rendered as exact numbers: %.2000s", r.raw)
	}

	logs := list(t, chat["logs"], "chat logs")
	if len(logs) != 1 {
		t.Fatalf("chat span has %d logs; want its 1 linked record", len(logs))
	}
	l := obj(t, logs[0], "log")
	if l["eventName"] != "gen_ai.user.message" || l["spanId"] != chatSpan.String() || l["traceId"] != chatTrace.String() ||
		l["severityNumber"] != 9.0 || l["severityText"] != "INFO" || obj(t, l["body"], "body")["content"] != xssPrompt ||
		obj(t, l["truncated"], "log truncated")["body"] != 99.0 || obj(t, l["resource"], "log resource")["service.name"] != "trail-guide" {
		t.Errorf("linked log = %v", l)
	}
	orphans := list(t, r.body["orphanLogs"], "orphanLogs")
	var bodies []string
	for _, o := range orphans {
		bodies = append(bodies, fmt.Sprint(obj(t, o, "orphan")["body"]))
	}
	if !slices.Equal(bodies, []string{"span never arrived", "trace-level log"}) {
		t.Errorf("orphanLogs bodies = %q; want the record of a missing span and the trace-level one", bodies)
	}

	g := obj(t, chat["generation"], "generation")
	wantGen := map[string]any{
		"operation": "chat", "provider": "openai", "requestModel": "gpt-4o", "responseModel": "gpt-4o-2024-08-06",
		"responseId": "chatcmpl-1", "convention": "otel_genai", "costUsd": 0.000235, "finishReasons": []any{"stop"},
		"params": map[string]any{"temperature": 0.7}, "timeToFirstTokenMs": nil, "errorType": "",
		"contentRecorded": true, "contentTruncated": false, "systemInstructions": []any{},
		"usage": map[string]any{"inputTokens": 30.0, "outputTokens": 16.0, "totalTokens": 46.0,
			"cachedInputTokens": nil, "cacheCreationTokens": nil, "reasoningTokens": nil},
	}
	for k, v := range wantGen {
		if fmt.Sprint(g[k]) != fmt.Sprint(v) {
			t.Errorf("generation %s = %v; want %v", k, g[k], v)
		}
	}
	out := obj(t, list(t, g["outputMessages"], "outputMessages")[0], "output message")
	call := obj(t, list(t, out["parts"], "parts")[1], "tool call")
	if out["finishReason"] != "stop" || call["name"] != "get_weather" || obj(t, call["arguments"], "arguments")["city"] != "Paris" {
		t.Errorf("output message = %v", out)
	}
}

func TestPromptIsJSONEscaped(t *testing.T) {
	h := newTestAPI(t, Config{})
	for _, path := range []string{
		"/api/v1/traces/" + chatTrace.String(),
		"/api/v1/sessions/session_1",
	} {
		r := get(t, h, path)
		if strings.Contains(r.raw, "<script>") {
			t.Errorf("GET %s: raw <script> in the body", path)
		}
		if !strings.Contains(r.raw, `\u003cscript\u003ealert(1)\u003c/script\u003e`) {
			t.Errorf("GET %s: escaped prompt missing: %.1500s", path, r.raw)
		}
	}
	// The escaping is for the wire only: decoded, the prompt is intact.
	body := okGet(t, h, "/api/v1/traces/"+chatTrace.String())
	chat := obj(t, list(t, body["spans"], "spans")[1], "chat")
	in := obj(t, list(t, obj(t, chat["generation"], "generation")["inputMessages"], "input")[0], "message")
	if got := obj(t, list(t, in["parts"], "parts")[0], "part")["content"]; got != xssPrompt {
		t.Errorf("decoded prompt = %q; want %q", got, xssPrompt)
	}
}

func TestGetTraceErrors(t *testing.T) {
	h := newTestAPI(t, Config{})
	f := func(path string, status int, wants ...string) {
		t.Helper()
		r := get(t, h, path)
		if r.status != status {
			t.Errorf("GET %s: status %d; want %d (%s)", path, r.status, status, r.raw)
		}
		msg, _ := r.body["error"].(string)
		for _, w := range wants {
			if !strings.Contains(msg, w) {
				t.Errorf("GET %s: error %q does not mention %q", path, msg, w)
			}
		}
		if status >= 400 && len(r.body) != 1 {
			t.Errorf("GET %s: error body %v; want only an error field", path, r.body)
		}
	}
	f("/api/v1/traces/"+tid(4242).String(), http.StatusNotFound, tid(4242).String(), "not found")
	f("/api/v1/traces/abc", http.StatusBadRequest, `"abc"`, "32 hex")
	f("/api/v1/traces/"+strings.Repeat("zz", 16), http.StatusBadRequest, "not hex")
	f("/api/v1/traces/"+strings.Repeat("0", 32), http.StatusBadRequest, "all zeros")
	f("/api/v1/traces/"+chatTrace.String()+"?expand=1", http.StatusBadRequest, `unknown query parameter "expand"`, "accepted parameters are view")
	f("/api/v1/traces/"+chatTrace.String()+"?view=tree", http.StatusBadRequest, `view "tree": want full or compact`)
	f("/api/v1/traces/"+tid(4242).String()+"?view=compact", http.StatusNotFound, "not found")
	f("/api/v1/traces/"+strings.ToUpper(chatTrace.String()), http.StatusOK)
	f("/api/v1/sessions/no-such-session", http.StatusNotFound, `"no-such-session" not found`)
	f("/api/v1/sessions/"+strings.Repeat("s", 2000), http.StatusBadRequest, "2000 bytes")
	f("/api/v1/traces?limit=0", http.StatusBadRequest, `limit "0"`)
	f("/api/v1/traces?foo=1", http.StatusBadRequest, `unknown query parameter "foo"`, "accepted parameters are")
	f("/api/v1/traces?cursor=%2A%2A", http.StatusBadRequest, "cursor")
	f("/api/v1/services?x=1", http.StatusBadRequest, `unknown query parameter "x"`)
	f("/api/v1/operations?svc=a", http.StatusBadRequest, `unknown query parameter "svc"`, "service")
	f("/api/v1/sessions?limit=x", http.StatusBadRequest, `limit "x"`)
	f("/api/v1/metrics/genai?step=10s", http.StatusBadRequest, `step "10s"`)
	f("/api/v1/models?end=later", http.StatusBadRequest, `end "later"`)
	f("/api/v1/metrics/series", http.StatusBadRequest, "name is required")
	f("/api/v1/info?verbose=1", http.StatusBadRequest, `unknown query parameter "verbose"`)
	f("/api/v1/nothing", http.StatusNotFound, "no API route /api/v1/nothing")
	f("/api/v2/traces", http.StatusNotFound, "no API route")
}

func TestServicesAndOperations(t *testing.T) {
	h := newTestAPI(t, Config{})
	if got := fmt.Sprint(okGet(t, h, "/api/v1/services")["services"]); got != "[pager trail-guide weather]" {
		t.Errorf("services = %s", got)
	}
	f := func(query, want string) {
		t.Helper()
		if got := fmt.Sprint(okGet(t, h, "/api/v1/operations"+query)["operations"]); got != want {
			t.Errorf("operations%s = %s; want %s", query, got, want)
		}
	}
	f("?service=trail-guide", "[map[name:chat gpt-4o spanKind:client] map[name:trail_guide_session spanKind:server]]")
	f("?service=weather", "[map[name:chat claude spanKind:client]]")
	f("?service=nobody", "[]")
	if n := len(list(t, okGet(t, h, "/api/v1/operations")["operations"], "operations")); n != 4 {
		t.Errorf("operations of every service: %d; want 4", n)
	}
	empty := New(Config{}, openStore(t, nil), nil)
	if got := get(t, empty, "/api/v1/services").raw; got != "{\"services\":[]}\n" {
		t.Errorf("services of an empty store = %s; want []", got)
	}
}

func TestSessions(t *testing.T) {
	h := newTestAPI(t, Config{})
	body := okGet(t, h, "/api/v1/sessions")
	sessions := list(t, body["sessions"], "sessions")
	if len(sessions) != 1 {
		t.Fatalf("got %d sessions; want 1: %v", len(sessions), sessions)
	}
	s := obj(t, sessions[0], "session")
	if s["id"] != "session_1" || s["userId"] != "user_1" || s["traceCount"] != 2.0 || s["errorCount"] != 1.0 ||
		s["generationCount"] != 2.0 || s["inputTokens"] != 35.0 || s["firstUnixNano"] != fmt.Sprint(base.UnixNano()) {
		t.Errorf("session = %v", s)
	}
	for _, k := range []string{"firstTime", "lastTime", "lastUnixNano", "durationMs", "costUsd", "success", "service", "outputTokens"} {
		if _, ok := s[k]; !ok {
			t.Errorf("session lacks %s: %v", k, s)
		}
	}
	if s["success"] != nil {
		t.Errorf("success = %v; want null when the app did not set it", s["success"])
	}
	f := func(query string, want int) {
		t.Helper()
		if n := len(list(t, okGet(t, h, "/api/v1/sessions?"+query)["sessions"], "sessions")); n != want {
			t.Errorf("sessions?%s: %d; want %d", query, n, want)
		}
	}
	f("user=user_1", 1)
	f("user=nobody", 0)
	f("limit=1", 1)
	f(fmt.Sprintf("start=%d", base.Add(time.Hour).UnixMilli()), 0)

	d := okGet(t, h, "/api/v1/sessions/session_1")
	if obj(t, d["session"], "session")["id"] != "session_1" {
		t.Errorf("session detail = %v", d["session"])
	}
	traces := list(t, d["traces"], "traces")
	if len(traces) != 2 {
		t.Fatalf("session has %d traces; want 2", len(traces))
	}
	first := obj(t, traces[0], "first trace")
	if first["traceId"] != chatTrace.String() || obj(t, traces[1], "second")["traceId"] != errTrace.String() {
		t.Errorf("session traces not in time order: %v", traces)
	}
	for _, k := range []string{"firstUserMessage", "lastAnswer", "rootName", "costUsd", "models"} {
		if _, ok := first[k]; !ok {
			t.Errorf("session trace lacks %s: %v", k, first)
		}
	}
	if first["firstUserMessage"] != xssPrompt {
		t.Errorf("firstUserMessage = %q; want %q", first["firstUserMessage"], xssPrompt)
	}
}

func TestGenAIMetricsAndModels(t *testing.T) {
	h := newTestAPI(t, Config{})
	f := func(query string, wantCalls map[string]float64) {
		t.Helper()
		body := okGet(t, h, "/api/v1/metrics/genai?"+query)
		got := map[string]float64{}
		for _, g := range list(t, body["groups"], "groups") {
			grp := obj(t, g, "group")
			pts := list(t, grp["points"], "points")
			for _, p := range pts {
				pt := obj(t, p, "point")
				got[grp["key"].(string)] += pt["calls"].(float64)
				if pt["calls"] == 0.0 && (pt["p50Ms"] != nil || pt["errorRate"] != 0.0) {
					t.Errorf("empty step %v: want null percentiles and errorRate 0", pt)
				}
				if _, ok := pt["timeUnixNano"].(string); !ok {
					t.Errorf("timeUnixNano %v is not a string", pt["timeUnixNano"])
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(wantCalls) {
			t.Errorf("metrics/genai?%s calls = %v; want %v", query, got, wantCalls)
		}
	}
	f("groupBy=model", map[string]float64{"gpt-4o": 1, "claude-x": 1})
	f("groupBy=service&service=weather", map[string]float64{"weather": 1})
	f("groupBy=model&step=5m&model=gpt-4o", map[string]float64{"gpt-4o": 1})
	f(fmt.Sprintf("start=%d&end=%d", base.Add(-2*time.Hour).UnixMilli(), base.Add(-time.Hour).UnixMilli()), map[string]float64{"": 0}) // one empty series

	body := okGet(t, h, "/api/v1/metrics/genai?groupBy=model&step=5m")
	if body["stepSeconds"] != 300.0 {
		t.Errorf("stepSeconds = %v; want 300", body["stepSeconds"])
	}
	if n := len(list(t, body["groups"], "groups")); n != 2 {
		t.Errorf("%d groups; want 2", n)
	}
	if okGet(t, h, "/api/v1/metrics/genai")["stepSeconds"] != 60.0 {
		t.Errorf("default step over the last hour is not 1m")
	}

	models := map[string]map[string]any{}
	for _, m := range list(t, okGet(t, h, "/api/v1/models")["models"], "models") {
		mm := obj(t, m, "model")
		models[mm["model"].(string)] = mm
	}
	gpt, claude := models["gpt-4o"], models["claude-x"]
	if gpt == nil || claude == nil {
		t.Fatalf("models = %v; want gpt-4o and claude-x", models)
	}
	if gpt["provider"] != "openai" || gpt["calls"] != 1.0 || gpt["inputTokens"] != 30.0 || gpt["costUsd"] != 0.000235 {
		t.Errorf("gpt-4o = %v", gpt)
	}
	if claude["costUsd"] != nil || claude["errors"] != 1.0 {
		t.Errorf("claude-x = %v; want costUsd null (no price) and 1 error", claude)
	}
	for _, k := range []string{"firstTime", "lastTime", "firstUnixNano", "lastUnixNano", "outputTokens"} {
		if _, ok := gpt[k]; !ok {
			t.Errorf("model lacks %s", k)
		}
	}
	if n := len(list(t, okGet(t, h, fmt.Sprintf("/api/v1/models?end=%d", base.Add(-time.Hour).UnixMilli()))["models"], "models")); n != 0 {
		t.Errorf("models before the data: %d; want 0", n)
	}
}

func TestMetricSeries(t *testing.T) {
	h := newTestAPI(t, Config{})
	f := func(query string, want int) []any {
		t.Helper()
		series := list(t, okGet(t, h, "/api/v1/metrics/series?"+query)["series"], "series")
		if len(series) != want {
			t.Errorf("metrics/series?%s: %d series; want %d", query, len(series), want)
		}
		return series
	}
	f("name=app.token.usage", 2)
	f("name=no.such.metric", 0)
	f("name=app.token.usage&service=weather", 0)
	s := f("name=app.token.usage&attr=gen_ai.token.type%3Dinput&limit=10", 1)
	if len(s) != 1 {
		return
	}
	ser := obj(t, s[0], "series")
	if ser["type"] != "histogram" || ser["unit"] != "{token}" || ser["service"] != "trail-guide" ||
		obj(t, ser["attributes"], "attributes")["gen_ai.token.type"] != "input" {
		t.Errorf("series = %v", ser)
	}
	p := obj(t, list(t, ser["points"], "points")[0], "point")
	want := map[string]any{"count": 3.0, "sum": 90.0, "min": 10.0, "max": 50.0, "value": 0.0,
		"bucketCounts": []any{"0", "1", "2"}, "explicitBounds": []any{1.0, 4.0},
		"timeUnixNano": fmt.Sprint(base.UnixNano()), "startTimeUnixNano": fmt.Sprint(base.Add(-time.Minute).UnixNano())}
	for k, v := range want {
		if fmt.Sprint(p[k]) != fmt.Sprint(v) {
			t.Errorf("point %s = %v; want %v", k, p[k], v)
		}
	}
}

func TestInfoAndAuth(t *testing.T) {
	cfg := Config{Version: "1.2.3", OTLPGRPC: "127.0.0.1:4317", OTLPHTTP: "http://127.0.0.1:4318",
		BreezeConnectionString: "InstrumentationKey=k;IngestionEndpoint=https://127.0.0.1:4319/"}
	open := newTestAPI(t, cfg)
	info := okGet(t, open, "/api/v1/info")
	want := map[string]any{"version": "1.2.3", "otlpGrpc": "127.0.0.1:4317", "otlpHttp": "http://127.0.0.1:4318",
		"breezeConnectionString": cfg.BreezeConnectionString, "authRequired": false}
	if fmt.Sprint(info) != fmt.Sprint(want) {
		t.Errorf("info = %v; want %v", info, want)
	}

	cfg.APIToken = "s3cret-token"
	locked := newTestAPI(t, cfg)
	f := func(path string, status int, header ...string) {
		t.Helper()
		r := get(t, locked, path, header...)
		if r.status != status {
			t.Errorf("GET %s %v: status %d; want %d (%s)", path, header, r.status, status, r.raw)
		}
		if status == http.StatusUnauthorized {
			if !strings.Contains(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a WWW-Authenticate Bearer challenge")
			}
			if msg, _ := r.body["error"].(string); !strings.Contains(msg, "token") {
				t.Errorf("401 error %q does not say a token is needed", msg)
			}
		}
	}
	for _, path := range []string{"/api/v1/info", "/api/v1/traces", "/api/v1/traces/" + chatTrace.String(), "/api/v1/nothing"} {
		f(path, http.StatusUnauthorized)
		f(path, http.StatusUnauthorized, "Authorization", "Bearer wrong")
		f(path, http.StatusUnauthorized, "Authorization", "Bearer s3cret-toke")
		f(path, http.StatusUnauthorized, "Authorization", "Basic czNjcmV0LXRva2Vu")
		f(path, http.StatusUnauthorized, "Authorization", "s3cret-token")
	}
	f("/api/v1/info", http.StatusOK, "Authorization", "Bearer s3cret-token")
	f("/api/v1/info", http.StatusOK, "Authorization", "bearer s3cret-token")
	f("/api/v1/traces/"+chatTrace.String(), http.StatusOK, "Authorization", "Bearer s3cret-token")
	f("/api/v1/traces?limit=0", http.StatusBadRequest, "Authorization", "Bearer s3cret-token")
	r := get(t, locked, "/api/v1/info", "Authorization", "Bearer s3cret-token")
	if r.body["authRequired"] != true {
		t.Errorf("info.authRequired = %v with a token configured", r.body["authRequired"])
	}
}

func TestHeadersAndMethods(t *testing.T) {
	h := newTestAPI(t, Config{})
	for _, path := range []string{"/api/v1/services", "/api/v1/traces?limit=0", "/api/v1/traces/" + tid(9).String()} {
		r := get(t, h, path)
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", path)
		}
	}
	for _, method := range []string{http.MethodPost, http.MethodDelete, http.MethodPut} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, "/api/v1/traces", strings.NewReader("{}")))
		if rec.Code != http.StatusMethodNotAllowed || !strings.Contains(rec.Body.String(), `"error"`) ||
			rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /api/v1/traces: %d %s (Allow %q); want a JSON 405 allowing GET, HEAD",
				method, rec.Code, rec.Body, rec.Header().Get("Allow"))
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/api/v1/services", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") == "0" {
		t.Errorf("HEAD: %d, %d body bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

func TestEnricher(t *testing.T) {
	calls := map[string][]string{}
	enrich := func(span *telemetry.Span, logs []*telemetry.LogRecord) {
		var bodies []string
		for _, l := range logs {
			bodies = append(bodies, l.EventName)
		}
		calls[span.Name] = bodies
		if span.Generation != nil {
			span.Generation.AgentName = "enriched"
		}
	}
	h := newTestAPI(t, Config{Enricher: enrich})
	body := okGet(t, h, "/api/v1/traces/"+chatTrace.String())
	if fmt.Sprint(calls) != "map[chat gpt-4o:[gen_ai.user.message] trail_guide_session:[]]" {
		t.Errorf("enricher calls = %v; want every span, each with its own logs", calls)
	}
	chat := obj(t, list(t, body["spans"], "spans")[1], "chat")
	if obj(t, chat["generation"], "generation")["agentName"] != "enriched" {
		t.Errorf("the enricher ran after rendering: %v", chat["generation"])
	}
}

func TestStoreErrorIsHidden(t *testing.T) {
	s, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := New(Config{}, s, slog.New(slog.NewTextHandler(&logs, nil)))
	f := func(path string) {
		t.Helper()
		logs.Reset()
		r := get(t, h, path)
		if r.status != http.StatusInternalServerError || r.body["error"] != internalMessage {
			t.Errorf("GET %s on a closed store: %d %v; want 500 with the generic message", path, r.status, r.body)
		}
		if !strings.Contains(logs.String(), "api store read failed") {
			t.Errorf("GET %s: the detail was not logged: %q", path, logs.String())
		}
	}
	f("/api/v1/services")
	f("/api/v1/traces?q=secret+prompt")
	f("/api/v1/traces/" + chatTrace.String())
	f("/api/v1/sessions")
	f("/api/v1/models")
	if strings.Contains(logs.String(), "secret") {
		t.Errorf("log holds request content: %q", logs.String())
	}
}
