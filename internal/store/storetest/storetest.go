// Package storetest is the conformance suite every store.Store backend must pass: the same
// inputs, the same answers. A backend's test calls Run with a function opening an empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Run runs every conformance test against stores returned by open. open returns a new, empty
// store for each test and arranges its Close (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Metrics", testMetrics},
		{"Idempotent", testIdempotent},
		{"OutOfOrder", testOutOfOrder},
		{"Search", testSearch},
		{"Paging", testPaging},
		{"NotFound", testNotFound},
		{"ServicesOperations", testServicesOperations},
		{"Sessions", testSessions},
		{"GenAI", testGenAI},
		{"GenAIMetricsOnly", testGenAIMetricsOnly},
		{"GenAITokensWithoutDuration", testGenAITokensWithoutDuration},
		{"InvalidQuery", testInvalidQuery},
		{"RetentionByAge", testRetentionByAge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.f(t, open(t))
		})
	}
}

func write(t *testing.T, s store.Store, b *telemetry.Batch) {
	t.Helper()
	if err := s.Write(context.Background(), b); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func writeSpans(t *testing.T, s store.Store, spans ...*telemetry.Span) {
	t.Helper()
	write(t, s, &telemetry.Batch{Spans: spans})
}

func getTrace(t *testing.T, s store.Store, id telemetry.TraceID) *store.Trace {
	t.Helper()
	tr, err := s.GetTrace(context.Background(), id)
	if err != nil {
		t.Fatalf("GetTrace(%s): %v", id, err)
	}
	return tr
}

func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	full := fullSpan()
	root := &telemetry.Span{TraceID: full.TraceID, SpanID: spanID(9001), Name: "root",
		StartUnixNano: ns(-time.Millisecond), EndUnixNano: ns(2 * time.Second)}
	log := fullLog(full)
	unlinked := &telemetry.LogRecord{TimeUnixNano: ns(0), Body: "plain", SeverityNumber: 5}
	write(t, s, &telemetry.Batch{Spans: []*telemetry.Span{full, root}, Logs: []*telemetry.LogRecord{log, unlinked}})

	tr := getTrace(t, s, full.TraceID)
	if len(tr.Spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(tr.Spans))
	}
	diff(t, "root span (sorted first by start)", tr.Spans[0], root)
	diff(t, "full span", tr.Spans[1], full)
	if len(tr.Logs) != 1 {
		t.Fatalf("got %d logs, want the 1 linked log", len(tr.Logs))
	}
	diff(t, "log", tr.Logs[0], log)

	sum := tr.Summary
	want := store.TraceSummary{TraceID: full.TraceID, RootName: "root", RootService: "unknown_service",
		HasRoot: true, StartUnixNano: root.StartUnixNano, EndUnixNano: root.EndUnixNano, SpanCount: 2,
		ErrorCount: 1, GenerationCount: 1, InputTokens: 30, OutputTokens: 16, CostUSD: f64(0.000235),
		SessionID: "sess-rt", UserID: "user-rt", Models: []string{"gpt-4o", "gpt-4o-2024-08-06"}}
	diff(t, "summary", sum, want)

	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Spans != 2 || st.Logs != 2 || st.Traces != 1 || st.DiskBytes <= 0 {
		t.Errorf("Stats = %+v, want 2 spans, 2 logs, 1 trace, some bytes", st)
	}
}

func testMetrics(t *testing.T, s store.Store) {
	pts := metricPoints()
	second := *pts[1]
	second.TimeUnixNano, second.Value = ns(time.Minute), 15
	other := *pts[1]
	other.Attributes = telemetry.Attributes{"route": "/b"}
	write(t, s, &telemetry.Batch{Metrics: append(pts, &second, &other)})
	ctx := context.Background()
	for _, p := range pts {
		series, err := s.MetricSeries(ctx, store.MetricQuery{Name: p.Name,
			Attributes: attrFilters(p.Attributes)})
		if err != nil {
			t.Fatalf("MetricSeries(%s): %v", p.Name, err)
		}
		if len(series) != 1 || len(series[0].Points) == 0 {
			t.Fatalf("MetricSeries(%s) = %d series, want 1 with points", p.Name, len(series))
		}
		diff(t, p.Name+" point", series[0].Points[0], p)
		if series[0].Type != p.Type || series[0].Service != "metrics-svc" || series[0].Unit != p.Unit {
			t.Errorf("%s series header = %+v", p.Name, series[0])
		}
	}
	series, err := s.MetricSeries(ctx, store.MetricQuery{Name: "requests"})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 2 {
		t.Fatalf("requests: %d series, want 2 (one per route)", len(series))
	}
	for _, ser := range series {
		want := 1
		if ser.Attributes["route"] == "/a" {
			want = 2
		}
		if len(ser.Points) != want {
			t.Errorf("route %v: %d points, want %d", ser.Attributes["route"], len(ser.Points), want)
		}
		for i := 1; i < len(ser.Points); i++ {
			if ser.Points[i].TimeUnixNano < ser.Points[i-1].TimeUnixNano {
				t.Errorf("points not sorted by time")
			}
		}
	}
	series, err = s.MetricSeries(ctx, store.MetricQuery{Name: "requests", Limit: 1,
		Attributes: []store.AttrFilter{{Key: "route", Value: "/a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 || len(series[0].Points) != 1 || series[0].Points[0].Value != 15 {
		t.Errorf("Limit 1 should keep the latest point (15), got %+v", series)
	}
	if _, err := s.MetricSeries(ctx, store.MetricQuery{}); err == nil {
		t.Errorf("MetricSeries without a name: want an error")
	}
}

func attrFilters(a telemetry.Attributes) []store.AttrFilter {
	var out []store.AttrFilter
	for k, v := range a {
		out = append(out, store.AttrFilter{Key: k, Value: fmt.Sprint(v)})
	}
	return out
}

func testIdempotent(t *testing.T, s store.Store) {
	spans := genAITrace(traceOpts{n: 1, cost: f64(0.01)})
	writeSpans(t, s, spans...)
	writeSpans(t, s, spans...)
	writeSpans(t, s, spans[3], spans[0])
	tr := getTrace(t, s, traceID(1))
	if len(tr.Spans) != 4 || tr.Summary.SpanCount != 4 || tr.Summary.GenerationCount != 1 ||
		tr.Summary.InputTokens != 30 || *tr.Summary.CostUSD != 0.01 {
		t.Errorf("after retries: %d spans, summary %+v; want 4 spans counted once", len(tr.Spans), tr.Summary)
	}
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Spans != 4 || st.Traces != 1 {
		t.Errorf("Stats = %+v, want 4 spans in 1 trace", st)
	}
	ms, err := s.Models(context.Background(), store.ModelQuery{Start: base.Add(-time.Hour), End: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Calls != 1 {
		t.Errorf("Models = %+v, want gpt-4o with 1 call", ms)
	}
}

func testOutOfOrder(t *testing.T, s store.Store) {
	spans := genAITrace(traceOpts{n: 2, session: "s-ooo", err: true})
	root, hike, call, chat := spans[0], spans[1], spans[2], spans[3]
	writeSpans(t, s, chat)
	writeSpans(t, s, call)
	tr := getTrace(t, s, traceID(2))
	if tr.Summary.HasRoot || tr.Summary.RootName != call.Name {
		t.Errorf("before the root: root %q (hasRoot %v), want the earliest span %q", tr.Summary.RootName,
			tr.Summary.HasRoot, call.Name)
	}
	writeSpans(t, s, hike)
	writeSpans(t, s, root)
	tr = getTrace(t, s, traceID(2))
	want := store.TraceSummary{TraceID: traceID(2), RootName: "trail_guide_session", RootService: "trail-guide",
		HasRoot: true, StartUnixNano: root.StartUnixNano, EndUnixNano: root.EndUnixNano, SpanCount: 4,
		ErrorCount: 1, GenerationCount: 1, InputTokens: 30, OutputTokens: 16, SessionID: "s-ooo",
		Models: []string{"gpt-4o", "gpt-4o-2024-08-06"}}
	diff(t, "summary after out-of-order arrival", tr.Summary, want)
	for i := 1; i < len(tr.Spans); i++ {
		if tr.Spans[i].StartUnixNano < tr.Spans[i-1].StartUnixNano {
			t.Errorf("spans not sorted by start")
		}
	}
}

// searchFixture writes 6 traces of varied shape; trace n starts at base+n seconds.
func searchFixture(t *testing.T, s store.Store) {
	var spans []*telemetry.Span
	for _, o := range []traceOpts{
		{n: 1, service: "trail-guide", session: "s1", user: "ann", model: "gpt-4o"},
		{n: 2, service: "trail-guide", session: "s1", user: "ann", model: "gpt-4o-mini", err: true},
		{n: 3, service: "camping", session: "s2", user: "bob", model: "gpt-4o",
			question: "Which tent for zanzibar storms?", attrs: telemetry.Attributes{"tier": "gold", "retries": int64(2)}},
		{n: 4, service: "camping", user: "bob", model: "llama3", attrs: telemetry.Attributes{"cached": true}},
		{n: 5, service: "trail-guide", model: "gpt-4o", attrs: telemetry.Attributes{"temp": 0.5}},
		{n: 6, service: "camping", model: "gpt-4o", err: true},
	} {
		o.start = time.Duration(o.n) * time.Second
		tr := genAITrace(o)
		if o.n == 5 { // a slow trace
			tr[0].EndUnixNano = tr[0].StartUnixNano + int64(3*time.Second)
		}
		spans = append(spans, tr...)
	}
	writeSpans(t, s, spans...)
	write(t, s, &telemetry.Batch{Logs: []*telemetry.LogRecord{{
		TimeUnixNano: ns(5 * time.Second), TraceID: traceID(5), SpanID: spanID(50),
		Body: map[string]any{"content": "the quokka answered"}}}})
}

func ids(tr []store.TraceSummary) []int {
	out := []int{}
	for _, t := range tr {
		out = append(out, int(t.TraceID[14])<<8|int(t.TraceID[15]))
	}
	return out
}

func testSearch(t *testing.T, s store.Store) {
	searchFixture(t, s)
	long := string(make([]byte, 300))
	f := func(name string, q store.TraceQuery, want []int) {
		t.Helper()
		page, err := s.SearchTraces(context.Background(), q)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		if got := ids(page.Traces); !slices.Equal(got, want) {
			t.Errorf("%s: got traces %v, want %v", name, got, want)
		}
	}
	f("all, newest first", store.TraceQuery{}, []int{6, 5, 4, 3, 2, 1})
	f("service", store.TraceQuery{Service: "camping"}, []int{6, 4, 3})
	f("span name", store.TraceQuery{SpanName: "chat gpt-4o-mini"}, []int{2})
	f("service and span name on different spans do not match",
		store.TraceQuery{Service: "camping", SpanName: "chat gpt-4o-mini"}, []int{})
	f("status error", store.TraceQuery{Status: "error"}, []int{6, 2})
	f("status ok", store.TraceQuery{Status: "ok"}, []int{5, 4, 3, 1})
	f("min duration", store.TraceQuery{MinDuration: time.Second}, []int{5})
	f("max duration", store.TraceQuery{MaxDuration: time.Second}, []int{6, 4, 3, 2, 1})
	f("time range", store.TraceQuery{Start: base.Add(2 * time.Second), End: base.Add(4 * time.Second)}, []int{3, 2})
	f("attribute string", store.TraceQuery{Attributes: []store.AttrFilter{{Key: "tier", Value: "gold"}}}, []int{3})
	f("attribute int", store.TraceQuery{Attributes: []store.AttrFilter{{Key: "retries", Value: "2"}}}, []int{3})
	f("attribute bool", store.TraceQuery{Attributes: []store.AttrFilter{{Key: "cached", Value: "true"}}}, []int{4})
	f("attribute float", store.TraceQuery{Attributes: []store.AttrFilter{{Key: "temp", Value: "0.5"}}}, []int{5})
	f("attribute on one span with name", store.TraceQuery{SpanName: "chat gpt-4o",
		Attributes: []store.AttrFilter{{Key: "step", Value: "3"}}}, []int{6, 5, 3, 1})
	f("attribute and name on different spans", store.TraceQuery{SpanName: "recommend_hike",
		Attributes: []store.AttrFilter{{Key: "step", Value: "3"}}}, []int{})
	f("attribute wrong value", store.TraceQuery{Attributes: []store.AttrFilter{{Key: "tier", Value: "silver"}}}, []int{})
	f("attribute long value", store.TraceQuery{Attributes: []store.AttrFilter{{Key: "tier", Value: long}}}, []int{})
	f("session", store.TraceQuery{Session: "s1"}, []int{2, 1})
	f("user", store.TraceQuery{User: "bob"}, []int{4, 3})
	f("model (request)", store.TraceQuery{Model: "gpt-4o-mini"}, []int{2})
	f("model (response)", store.TraceQuery{Model: "llama3-2024-08-06"}, []int{4})
	f("text in a message", store.TraceQuery{Text: "zanzibar"}, []int{3})
	f("text in a log body", store.TraceQuery{Text: "quokka"}, []int{5})
	f("text, every word", store.TraceQuery{Text: "zanzibar quokka"}, []int{})
	f("text with FTS syntax is literal", store.TraceQuery{Text: `zanzibar" OR "hike`}, []int{})
	f("combination", store.TraceQuery{Service: "camping", Status: "ok", Model: "gpt-4o", User: "bob"}, []int{3})
	f("limit", store.TraceQuery{Limit: 2}, []int{6, 5})
	if _, err := s.SearchTraces(context.Background(), store.TraceQuery{Status: "bogus"}); err == nil {
		t.Errorf("status bogus: want an error")
	}
	if _, err := s.SearchTraces(context.Background(), store.TraceQuery{Cursor: "not-a-cursor"}); err == nil {
		t.Errorf("bad cursor: want an error")
	}
}

func testPaging(t *testing.T, s store.Store) {
	var spans []*telemetry.Span
	for n := 1; n <= 45; n++ {
		// Pairs of traces share a start time: the cursor must break ties.
		spans = append(spans, genAITrace(traceOpts{n: n, start: time.Duration(n/2) * time.Second})...)
	}
	writeSpans(t, s, spans...)
	all, err := s.SearchTraces(context.Background(), store.TraceQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := ids(all.Traces)
	if len(want) != 45 || all.NextCursor != "" {
		t.Fatalf("one page of 1000: %d traces, cursor %q; want 45 and no cursor", len(want), all.NextCursor)
	}
	var got []int
	cursor := ""
	for range 20 {
		page, err := s.SearchTraces(context.Background(), store.TraceQuery{Limit: 7, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ids(page.Traces)...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged:\n got %v\nwant %v", got, want)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	if _, err := s.GetTrace(context.Background(), traceID(404)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTrace(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.Session(context.Background(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session(unknown) = %v, want ErrNotFound", err)
	}
}

func testServicesOperations(t *testing.T, s store.Store) {
	writeSpans(t, s, genAITrace(traceOpts{n: 1, service: "b-svc"})...)
	writeSpans(t, s, genAITrace(traceOpts{n: 2, service: "a-svc", model: "llama3"})...)
	ctx := context.Background()
	svcs, err := s.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "services", svcs, []string{"a-svc", "b-svc"})
	f := func(service string, want []store.Operation) {
		t.Helper()
		ops, err := s.Operations(ctx, service)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "operations of "+service, ops, want)
	}
	common := []store.Operation{{Name: "recommend_hike", SpanKind: telemetry.SpanKindInternal},
		{Name: "recommend_model_call", SpanKind: telemetry.SpanKindInternal},
		{Name: "trail_guide_session", SpanKind: telemetry.SpanKindServer}}
	f("a-svc", append([]store.Operation{{Name: "chat llama3", SpanKind: telemetry.SpanKindClient}}, common...))
	f("b-svc", append([]store.Operation{{Name: "chat gpt-4o", SpanKind: telemetry.SpanKindClient}}, common...))
	f("", append([]store.Operation{{Name: "chat gpt-4o", SpanKind: telemetry.SpanKindClient},
		{Name: "chat llama3", SpanKind: telemetry.SpanKindClient}}, common...))
	f("unknown", []store.Operation{})
}

func testSessions(t *testing.T, s store.Store) {
	var spans []*telemetry.Span
	for i, o := range []traceOpts{
		{n: 1, session: "s1", user: "ann", question: "first question", answer: "first answer", cost: f64(0.5)},
		{n: 2, session: "s1", user: "ann", question: "second question", answer: "second answer", err: true},
		{n: 3, session: "s2", user: "bob", service: "camping"},
	} {
		o.start = time.Duration(i) * time.Minute
		spans = append(spans, genAITrace(o)...)
	}
	spans[4].Attributes["session.success"] = "true" // trace 2's root
	spans[8].Attributes["session.success"] = false  // trace 3's root
	// The traces of s1 arrive in reverse order, in separate writes.
	writeSpans(t, s, spans[4:8]...)
	writeSpans(t, s, spans[0:4]...)
	writeSpans(t, s, spans[8:]...)
	ctx := context.Background()
	page, err := s.Sessions(ctx, store.SessionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Sessions) != 2 || page.Sessions[0].ID != "s2" || page.Sessions[1].ID != "s1" {
		t.Fatalf("Sessions = %+v, want s2 then s1", page.Sessions)
	}
	s1 := page.Sessions[1]
	want := store.SessionSummary{ID: "s1", Service: "trail-guide", UserID: "ann", TraceCount: 2, ErrorCount: 1,
		GenerationCount: 2, FirstUnixNano: spans[0].StartUnixNano, LastUnixNano: spans[4].EndUnixNano,
		InputTokens: 60, OutputTokens: 32, CostUSD: f64(0.5), Success: ptrBool(true)}
	diff(t, "session s1", s1, want)
	if s2 := page.Sessions[0]; s2.Success == nil || *s2.Success || s2.CostUSD != nil {
		t.Errorf("session s2 = %+v, want success false and unknown cost", s2)
	}
	f := func(name string, q store.SessionQuery, want []string) {
		t.Helper()
		p, err := s.Sessions(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ss := range p.Sessions {
			got = append(got, ss.ID)
		}
		diff(t, name, got, want)
	}
	f("by user", store.SessionQuery{User: "ann"}, []string{"s1"})
	f("by service", store.SessionQuery{Service: "camping"}, []string{"s2"})
	f("by time", store.SessionQuery{End: base.Add(90 * time.Second)}, []string{"s1"})
	p1, err := s.Sessions(ctx, store.SessionQuery{Limit: 1})
	if err != nil || p1.NextCursor == "" {
		t.Fatalf("limit 1: %v, cursor %q", err, p1.NextCursor)
	}
	f("second page", store.SessionQuery{Limit: 1, Cursor: p1.NextCursor}, []string{"s1"})

	d, err := s.Session(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "session detail summary", d.Summary, want)
	if len(d.Traces) != 2 {
		t.Fatalf("session s1 has %d traces, want 2", len(d.Traces))
	}
	f2 := func(i int, q, a string) {
		t.Helper()
		tr := d.Traces[i]
		if tr.TraceID != traceID(i+1) || tr.FirstUserMessage != q || tr.LastAnswer != a {
			t.Errorf("trace %d: %s %q %q; want %s %q %q", i, tr.TraceID, tr.FirstUserMessage, tr.LastAnswer,
				traceID(i+1), q, a)
		}
	}
	f2(0, "first question", "first answer")
	f2(1, "second question", "second answer")
}

func ptrBool(b bool) *bool { return &b }

func testGenAI(t *testing.T, s store.Store) {
	var spans []*telemetry.Span
	for n := 1; n <= 10; n++ {
		o := traceOpts{n: n, start: time.Duration(n%2) * time.Minute, cost: f64(0.001), err: n == 1}
		if n > 7 {
			o.model, o.service, o.cost = "llama3", "camping", nil
		}
		tr := genAITrace(o)
		// A tool execution is a GenAI span but not a model call: it must not count as a call,
		// nor add a model to the model list.
		tool := *tr[1]
		tool.SpanID, tool.ParentSpanID, tool.Name = spanID(n*10+5), tr[1].SpanID, "execute_tool get_weather"
		tool.Generation = &telemetry.Generation{Operation: "execute_tool", ToolName: "get_weather",
			Usage: telemetry.Usage{InputTokens: i64(1000)}}
		spans = append(spans, append(tr, &tool)...)
	}
	writeSpans(t, s, spans...)
	ctx := context.Background()
	q := store.GenAIQuery{Start: base, End: base.Add(3 * time.Minute), Step: time.Minute}
	series, err := s.GenAISeries(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if series.Step != time.Minute || len(series.Groups) != 1 || len(series.Groups[0].Points) != 3 {
		t.Fatalf("one series of 3 minutes: got %+v", series)
	}
	pts := series.Groups[0].Points
	if pts[0].Calls != 5 || pts[1].Calls != 5 || pts[2].Calls != 0 || pts[1].Errors != 1 {
		t.Errorf("calls per minute %d %d %d, errors in minute 1: %d; want 5 5 0 and 1",
			pts[0].Calls, pts[1].Calls, pts[2].Calls, pts[1].Errors)
	}
	if pts[0].TimeUnixNano != base.UnixNano() || pts[2].P50Ms != nil || pts[0].P50Ms == nil {
		t.Errorf("points: want step starts from Start, nil percentiles only for empty steps: %+v", pts)
	} else if p := *pts[0].P99Ms; p < 40 || p > 60 {
		t.Errorf("p99 = %v ms, want about 50 (every model call takes 50 ms)", p)
	}
	if pts[0].InputTokens != 150 || pts[0].OutputTokens != 80 {
		t.Errorf("tokens of minute 0: %d in, %d out; want 150, 80", pts[0].InputTokens, pts[0].OutputTokens)
	}

	q.GroupBy, q.Step = "model", 2*time.Minute
	series, err = s.GenAISeries(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(series.Groups) != 2 || series.Groups[0].Key != "gpt-4o" || series.Groups[1].Key != "llama3" ||
		len(series.Groups[0].Points) != 2 || series.Groups[0].Points[0].Calls != 7 {
		t.Errorf("by model, 2-minute steps: %+v", series.Groups)
	}
	q.GroupBy, q.Service = "service", "camping"
	series, err = s.GenAISeries(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(series.Groups) != 1 || series.Groups[0].Key != "camping" || series.Groups[0].Points[0].Calls != 3 {
		t.Errorf("service camping: %+v", series.Groups)
	}

	ms, err := s.Models(ctx, store.ModelQuery{Start: base, End: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("Models = %+v, want 2", ms)
	}
	g := ms[0]
	if g.Model != "gpt-4o" || g.Provider != "openai" || g.Calls != 7 || g.Errors != 1 || g.InputTokens != 210 ||
		g.CostUSD == nil || *g.CostUSD < 0.00699 || *g.CostUSD > 0.00701 || g.FirstUnixNano > spans[0].StartUnixNano {
		t.Errorf("gpt-4o totals: %+v", g)
	}
	if ms[1].Model != "llama3" || ms[1].CostUSD != nil || ms[1].Calls != 3 {
		t.Errorf("llama3 totals (unknown cost): %+v", ms[1])
	}
}

// testGenAIMetricsOnly covers apps that send gen_ai.client.* metrics but no spans, and checks
// that an app sending both is not counted twice.
func testGenAIMetricsOnly(t *testing.T, s store.Store) {
	attrs := func(service string) telemetry.Attributes {
		return telemetry.Attributes{"gen_ai.request.model": "phi-3", "gen_ai.operation.name": "chat",
			"gen_ai.provider.name": "azure"}
	}
	dur := func(service string) *telemetry.MetricPoint {
		return &telemetry.MetricPoint{Name: "gen_ai.client.operation.duration", Unit: "s",
			Type: telemetry.MetricHistogram, Temporality: "delta", TimeUnixNano: ns(30 * time.Second),
			Count: 4, Sum: 2, BucketCounts: []uint64{0, 4, 0}, ExplicitBounds: []float64{0.1, 1},
			Attributes: attrs(service), Resource: resource(service)}
	}
	tok := &telemetry.MetricPoint{Name: "gen_ai.client.token.usage", Unit: "{token}",
		Type: telemetry.MetricHistogram, Temporality: "delta", TimeUnixNano: ns(30 * time.Second),
		Count: 4, Sum: 400, BucketCounts: []uint64{4}, Attributes: attrs("metrics-only"),
		Resource: resource("metrics-only")}
	tok.Attributes["gen_ai.token.type"] = "input"
	write(t, s, &telemetry.Batch{Metrics: []*telemetry.MetricPoint{dur("metrics-only"), tok, dur("trail-guide")},
		Spans: genAITrace(traceOpts{n: 1})})
	series, err := s.GenAISeries(context.Background(), store.GenAIQuery{Start: base, End: base.Add(time.Minute),
		Step: time.Minute, GroupBy: "service"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.GenAIPoint{}
	for _, g := range series.Groups {
		got[g.Key] = g.Points[0]
	}
	if p := got["metrics-only"]; p.Calls != 4 || p.InputTokens != 400 || p.P50Ms == nil || *p.P50Ms < 300 || *p.P50Ms > 800 {
		t.Errorf("metrics-only service: %+v, want 4 calls, 400 input tokens, p50 within the 100ms-1s bucket", p)
	}
	if p := got["trail-guide"]; p.Calls != 1 {
		t.Errorf("service sending spans and metrics: %d calls, want 1 (spans only)", p.Calls)
	}
}

// testGenAITokensWithoutDuration: a token-usage histogram point with no duration point in its
// minute is a rollup with tokens and no calls (regression: it once failed to store).
func testGenAITokensWithoutDuration(t *testing.T, s store.Store) {
	tok := func(typ string, sum float64, at time.Duration) *telemetry.MetricPoint {
		return &telemetry.MetricPoint{Name: "gen_ai.client.token.usage", Unit: "{token}",
			Type: telemetry.MetricHistogram, Temporality: "delta", TimeUnixNano: ns(at),
			Count: 1, Sum: sum, BucketCounts: []uint64{1}, Resource: resource("tokens-only"),
			Attributes: telemetry.Attributes{"gen_ai.request.model": "phi-3", "gen_ai.operation.name": "chat",
				"gen_ai.provider.name": "azure", "gen_ai.token.type": typ}}
	}
	write(t, s, &telemetry.Batch{Metrics: []*telemetry.MetricPoint{tok("input", 120, 30*time.Second)}})
	// A second batch merges into the stored (empty-histogram) minute.
	write(t, s, &telemetry.Batch{Metrics: []*telemetry.MetricPoint{tok("output", 30, 40*time.Second)}})
	series, err := s.GenAISeries(context.Background(), store.GenAIQuery{Start: base, End: base.Add(time.Minute),
		Step: time.Minute, GroupBy: "service"})
	if err != nil {
		t.Fatal(err)
	}
	if len(series.Groups) != 1 || series.Groups[0].Key != "tokens-only" {
		t.Fatalf("groups = %+v, want one group tokens-only", series.Groups)
	}
	p := series.Groups[0].Points[0]
	if p.Calls != 0 || p.InputTokens != 120 || p.OutputTokens != 30 || p.P50Ms != nil {
		t.Errorf("tokens-only minute: %+v, want 0 calls, 120 in, 30 out, no latency", p)
	}
}

// testInvalidQuery: a forged cursor or an invalid query value is an error wrapping
// store.ErrInvalidQuery whose message starts with the parameter's name.
func testInvalidQuery(t *testing.T, s store.Store) {
	searchFixture(t, s)
	ctx := context.Background()
	page, err := s.SearchTraces(ctx, store.TraceQuery{Limit: 2})
	if err != nil || page.NextCursor == "" {
		t.Fatalf("first page: %v, cursor %q", err, page.NextCursor)
	}
	forged := []byte(page.NextCursor)
	forged[len(forged)/2] ^= 1
	check := func(what, param string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrInvalidQuery) {
			t.Errorf("%s: error %v, want one wrapping store.ErrInvalidQuery", what, err)
			return
		}
		if msg := err.Error(); len(msg) < len(param)+2 || msg[:len(param)+2] != param+": " {
			t.Errorf("%s: message %q, want it to start with %q", what, msg, param+": ")
		}
	}
	for _, c := range []string{"not-a-cursor", "", string(forged), "MTc5NTox", "eHl6"} {
		if c == "" {
			continue
		}
		_, err := s.SearchTraces(ctx, store.TraceQuery{Cursor: c})
		if c == string(forged) && err == nil {
			continue // a flipped bit may still decode to a well-formed cursor; then it must just page
		}
		check("cursor "+c, "cursor", err)
	}
	_, err = s.SearchTraces(ctx, store.TraceQuery{Status: "bogus"})
	check("status bogus", "status", err)
	_, err = s.Sessions(ctx, store.SessionQuery{Cursor: "not-a-cursor"})
	check("sessions cursor", "cursor", err)
	_, err = s.GenAISeries(ctx, store.GenAIQuery{Step: 90 * time.Second})
	check("step", "step", err)
	_, err = s.GenAISeries(ctx, store.GenAIQuery{GroupBy: "colour"})
	check("groupBy", "groupBy", err)
	_, err = s.MetricSeries(ctx, store.MetricQuery{})
	check("metric name", "name", err)
}

func testRetentionByAge(t *testing.T, s store.Store) {
	old := genAITrace(traceOpts{n: 1, start: -48 * time.Hour, session: "old"})
	recent := genAITrace(traceOpts{n: 2, session: "new"})
	oldLog := &telemetry.LogRecord{TimeUnixNano: ns(-48 * time.Hour), TraceID: traceID(1), Body: "old"}
	loose := &telemetry.LogRecord{TimeUnixNano: ns(-47 * time.Hour), Body: "unlinked old"}
	newLog := &telemetry.LogRecord{TimeUnixNano: ns(0), TraceID: traceID(2), Body: "new"}
	oldPt := &telemetry.MetricPoint{Name: "m", Type: telemetry.MetricGauge, TimeUnixNano: ns(-48 * time.Hour)}
	newPt := &telemetry.MetricPoint{Name: "m", Type: telemetry.MetricGauge, TimeUnixNano: ns(0)}
	write(t, s, &telemetry.Batch{Spans: append(old, recent...), Logs: []*telemetry.LogRecord{oldLog, loose, newLog},
		Metrics: []*telemetry.MetricPoint{oldPt, newPt}})
	ctx := context.Background()
	res, err := s.Retain(ctx, store.Retention{MaxAge: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "retention result", res, store.RetentionResult{DeletedSpans: 4, DeletedLogs: 2, DeletedMetrics: 1})
	if _, err := s.GetTrace(ctx, traceID(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old trace after retention: %v, want ErrNotFound", err)
	}
	if tr := getTrace(t, s, traceID(2)); len(tr.Spans) != 4 || len(tr.Logs) != 1 {
		t.Errorf("recent trace: %d spans %d logs, want 4 and 1", len(tr.Spans), len(tr.Logs))
	}
	if _, err := s.Session(ctx, "old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old session after retention: %v, want ErrNotFound", err)
	}
	page, err := s.SearchTraces(ctx, store.TraceQuery{Text: "hike"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page.Traces); !slices.Equal(got, []int{2}) {
		t.Errorf("full text after retention: %v, want [2]", got)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Spans != 4 || st.Logs != 1 || st.MetricPoints != 1 || st.Traces != 1 {
		t.Errorf("Stats after retention = %+v, want 4 spans, 1 log, 1 point, 1 trace", st)
	}
	ms, err := s.Models(ctx, store.ModelQuery{Start: base.Add(-72 * time.Hour), End: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Calls != 1 {
		t.Errorf("Models after retention = %+v, want the recent call only", ms)
	}
}
