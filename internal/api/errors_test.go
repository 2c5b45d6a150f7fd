package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// TestBadParameterIsA400NamingIt checks, route by route, that every malformed parameter is a
// 400 whose message names the parameter, whether the API's parsing or the store refuses it.
func TestBadParameterIsA400NamingIt(t *testing.T) {
	h := newTestAPI(t, Config{})
	f := func(path, param string) {
		t.Helper()
		r := get(t, h, path)
		msg, _ := r.body["error"].(string)
		named := regexp.MustCompile(`(^|[^A-Za-z])` + regexp.QuoteMeta(param) + `($|[^A-Za-z])`)
		if r.status != http.StatusBadRequest || !named.MatchString(msg) {
			t.Errorf("GET %s: %d %q; want 400 naming %q", path, r.status, msg, param)
		}
		if len(r.body) != 1 {
			t.Errorf("GET %s: body %v; want only an error field", path, r.body)
		}
	}
	// A cursor of the right alphabet that this store did not issue: refused by the store
	// (store.ErrInvalidQuery), not by the API's parsing.
	const forged = "bm90LWEtY3Vyc29y"
	for _, route := range []struct {
		path   string
		params map[string]string
	}{
		{"/api/v1/traces", map[string]string{
			"service": "a&service=b", "name": "a&name=b", "status": "bad", "session": "a&session=b", "user": "a&user=b",
			"model": "a&model=b", "minDuration": "soon", "maxDuration": "-1", "start": "yesterday", "end": "later",
			"attr": "novalue", "q": strings.Repeat("x", maxValueBytes+1), "limit": "0", "cursor": forged,
		}},
		{"/api/v1/sessions", map[string]string{
			"start": "x", "end": "x", "service": "a&service=b", "user": "a&user=b", "limit": "1001", "cursor": forged,
		}},
		{"/api/v1/metrics/genai", map[string]string{
			"start": "x", "end": "x", "step": "30s", "groupBy": "user", "service": "a&service=b", "model": "a&model=b",
		}},
		{"/api/v1/models", map[string]string{"start": "x", "end": "x"}},
		{"/api/v1/metrics/series", map[string]string{
			"name": "a&name=b", "service": "a&service=b", "attr": "=v", "start": "x", "end": "x", "limit": "ten",
		}},
		{"/api/v1/operations", map[string]string{"service": "a&service=b"}},
	} {
		accepted := map[string][]string{
			"/api/v1/traces": traceParams, "/api/v1/sessions": sessionParams, "/api/v1/metrics/genai": genAIParams,
			"/api/v1/models": modelParams, "/api/v1/metrics/series": seriesParams, "/api/v1/operations": opParams,
		}[route.path]
		if len(accepted) != len(route.params) {
			t.Errorf("%s: the table covers %d parameters; the route accepts %d", route.path, len(route.params), len(accepted))
		}
		for param, bad := range route.params {
			prefix := ""
			if route.path == "/api/v1/metrics/series" && param != "name" {
				prefix = "name=x&"
			}
			f(route.path+"?"+prefix+param+"="+bad, param)
		}
		f(route.path+"?bogus=1", "bogus")
	}
	for _, path := range []string{"/api/v1/traces/" + chatTrace.String(), "/api/v1/services", "/api/v1/info", "/api/v1/sessions/session_1"} {
		f(path+"?x=1", `"x"`)
	}
	f("/api/v1/traces/nothex", "trace id")
	f("/api/v1/metrics/genai?start=2026-01-01T00:00:00Z&end=2026-12-01T00:00:00Z&step=1m", "step")
}

func TestInvalidQueryMessage(t *testing.T) {
	f := func(err error, wantStatus int, want string) {
		t.Helper()
		rec := httptest.NewRecorder()
		(&server{log: slog.New(slog.DiscardHandler)}).writeError(rec, httptest.NewRequest(http.MethodGet, "/api/v1/traces", nil), err)
		var body errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if rec.Code != wantStatus || body.Error != want {
			t.Errorf("%v: %d %q; want %d %q", err, rec.Code, body.Error, wantStatus, want)
		}
	}
	bad := store.InvalidQuery("cursor", "%q is not one this server returned", "abc")
	f(bad, 400, `cursor: "abc" is not one this server returned`)
	f(fmt.Errorf("sqlite: search traces: %w", bad), 400, `cursor: "abc" is not one this server returned`)
	f(store.ErrInvalidQuery, 400, "invalid query")
	f(fmt.Errorf("step 30s: %w", store.ErrInvalidQuery), 400, "step 30s: invalid query")
	f(store.InvalidQuery("q", "%s", strings.Repeat("é", 600)), 400, "q: "+strings.Repeat("é", 498)+"…")
	f(errors.New("disk on fire"), 500, internalMessage)
}

// TestDetailSummaryCountsEnrichedGenerations checks that a trace's detail summarises the
// generations as rendered: created or completed by the enricher from log records.
func TestDetailSummaryCountsEnrichedGenerations(t *testing.T) {
	listed := func(h http.Handler) map[string]any {
		t.Helper()
		for _, tr := range list(t, okGet(t, h, "/api/v1/traces?session=session_1")["traces"], "traces") {
			if s := obj(t, tr, "trace"); s["traceId"] == chatTrace.String() {
				return s
			}
		}
		t.Fatal("chat trace not listed")
		return nil
	}
	// An enricher that changes nothing leaves the detail's summary equal to the list's.
	h := newTestAPI(t, Config{Enricher: func(*telemetry.Span, []*telemetry.LogRecord) {}})
	detail := obj(t, okGet(t, h, "/api/v1/traces/"+chatTrace.String())["summary"], "summary")
	if a, b := fmt.Sprint(detail), fmt.Sprint(listed(h)); a != b {
		t.Errorf("detail summary %s; list summary %s", a, b)
	}

	h = newTestAPI(t, Config{Enricher: func(s *telemetry.Span, _ []*telemetry.LogRecord) {
		switch {
		case s.Generation == nil && s.SpanID == rootSpan: // created from log records
			s.Generation = &telemetry.Generation{Operation: "invoke_agent", RequestModel: "agent-model",
				Usage: telemetry.Usage{InputTokens: i64(5), OutputTokens: i64(7)}, CostUSD: f64(0.001)}
		case s.SpanID == chatSpan: // completed: more output tokens reported in a details record
			s.Generation.Usage.OutputTokens = i64(20)
		}
	}})
	detail = obj(t, okGet(t, h, "/api/v1/traces/"+chatTrace.String())["summary"], "summary")
	want := map[string]any{
		"generationCount": 2.0, "inputTokens": 35.0, "outputTokens": 27.0, "costUsd": 0.001235,
		"models": []any{"agent-model", "gpt-4o", "gpt-4o-2024-08-06"}, "spanCount": 2.0,
	}
	for k, v := range want {
		if fmt.Sprintf("%.9v", detail[k]) != fmt.Sprintf("%.9v", v) {
			t.Errorf("detail summary %s = %v; want %v", k, detail[k], v)
		}
	}
	// Lists keep the summary as written (docs/api.md).
	if s := listed(h); s["generationCount"] != 1.0 || s["outputTokens"] != 16.0 {
		t.Errorf("list summary changed: %v", s)
	}
}

// TestUntrustedEchoesStayJSON sends hostile names and values that error messages echo: every
// answer must stay one JSON object, valid UTF-8, with < > & escaped.
func TestUntrustedEchoesStayJSON(t *testing.T) {
	h := newTestAPI(t, Config{})
	hostile := []string{"%22%7D%0A%1B%5B31m", "%FF%FE", "%3C%2Fscript%3E%3Cscript%3E", "%5C%22%2C%22x%22%3A1", "%E2%80%AE%00"}
	for _, v := range hostile {
		for _, path := range []string{
			"/api/v1/traces?" + v + "=1",
			"/api/v1/traces?status=" + v,
			"/api/v1/traces?attr=" + v,
			"/api/v1/traces?cursor=" + v,
			"/api/v1/traces/" + v,
			"/api/v1/sessions/" + v,
			"/api/v1/metrics/genai?groupBy=" + v,
			"/api/v1/no-route-" + v,
		} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			raw := rec.Body.String()
			var body map[string]string
			if err := json.Unmarshal([]byte(raw), &body); err != nil || len(body) != 1 || body["error"] == "" {
				t.Errorf("GET %s: %d %q is not one error object (%v)", path, rec.Code, raw, err)
			}
			if rec.Code < 400 || rec.Code >= 500 {
				t.Errorf("GET %s: status %d; want a 4xx", path, rec.Code)
			}
			if !utf8.ValidString(raw) || strings.ContainsAny(raw, "<>&\x1b\x00") || strings.Count(raw, "\n") != 1 {
				t.Errorf("GET %s: raw answer %q", path, raw)
			}
		}
	}
}
