package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
)

// wantBadRequest checks err is a 400 whose message holds every one of wants.
func wantBadRequest(t *testing.T, raw string, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%q: no error; want a 400 mentioning %q", raw, wants)
		return
	}
	if st := statusOf(err); st != http.StatusBadRequest {
		t.Errorf("%q: status %d; want 400 (%v)", raw, st, err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q: error %q does not mention %q", raw, err, w)
		}
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", raw, err)
	}
	return v
}

func TestParseTraceQueryValid(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 15, 50, 49, 713_000_000, time.UTC)
	f := func(raw string, want store.TraceQuery) {
		t.Helper()
		got, err := parseTraceQuery(mustQuery(t, raw))
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			return
		}
		if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) {
			t.Errorf("%q: range [%v, %v); want [%v, %v)", raw, got.Start, got.End, want.Start, want.End)
		}
		got.Start, got.End, want.Start, want.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if len(got.Attributes) != len(want.Attributes) {
			t.Errorf("%q: attributes %v; want %v", raw, got.Attributes, want.Attributes)
			return
		}
		for i := range got.Attributes {
			if got.Attributes[i] != want.Attributes[i] {
				t.Errorf("%q: attribute %d = %v; want %v", raw, i, got.Attributes[i], want.Attributes[i])
			}
		}
		got.Attributes, want.Attributes = nil, nil
		if got.Service != want.Service || got.SpanName != want.SpanName || got.Status != want.Status ||
			got.Session != want.Session || got.User != want.User || got.Model != want.Model || got.Text != want.Text ||
			got.MinDuration != want.MinDuration || got.MaxDuration != want.MaxDuration ||
			got.Limit != want.Limit || got.Cursor != want.Cursor {
			t.Errorf("%q:\n got %+v\nwant %+v", raw, got, want)
		}
	}
	f("", store.TraceQuery{Limit: 20})
	f("service=&status=&limit=", store.TraceQuery{Limit: 20}) // empty means absent
	f("service=trail-guide&name=chat+gpt-4o&status=error&session=s1&user=u1&model=gpt-4o&q=paris+hike&limit=1000&cursor=MTc5NTox",
		store.TraceQuery{Service: "trail-guide", SpanName: "chat gpt-4o", Status: "error", Session: "s1", User: "u1",
			Model: "gpt-4o", Text: "paris hike", Limit: 1000, Cursor: "MTc5NTox"})
	f("status=ok&limit=1", store.TraceQuery{Status: "ok", Limit: 1})
	f("minDuration=250&maxDuration=1.5s", store.TraceQuery{MinDuration: 250 * time.Millisecond, MaxDuration: 1500 * time.Millisecond, Limit: 20})
	f("minDuration=0.5&maxDuration=2m", store.TraceQuery{MinDuration: 500 * time.Microsecond, MaxDuration: 2 * time.Minute, Limit: 20})
	f("start=2026-11-22T15:50:49.713Z&end=1795362650000",
		store.TraceQuery{Start: t0, End: time.UnixMilli(1795362650000), Limit: 20})
	f("start=2026-11-22T16:50:49.713%2B01:00", store.TraceQuery{Start: t0, Limit: 20})
	f("attr=gen_ai.request.model%3Dgpt-4o&attr=expr%3Da%3Db&attr=empty%3D",
		store.TraceQuery{Attributes: []store.AttrFilter{{Key: "gen_ai.request.model", Value: "gpt-4o"}, {Key: "expr", Value: "a=b"}, {Key: "empty", Value: ""}}, Limit: 20})
}

func TestParseTraceQueryErrors(t *testing.T) {
	f := func(raw string, wants ...string) {
		t.Helper()
		_, err := parseTraceQuery(mustQuery(t, raw))
		wantBadRequest(t, raw, err, wants...)
	}
	f("color=red", `unknown query parameter "color"`, "service, name, status", "cursor")
	f("Service=x", `unknown query parameter "Service"`) // names are case-sensitive
	f("service=a&service=b", "service given 2 times")
	f("status=failed", `status "failed"`, "ok or error")
	f("status=OK", `status "OK"`)
	f("minDuration=abc", `minDuration "abc": want milliseconds (250) or a Go duration (250ms`)
	f("maxDuration=-5", `maxDuration "-5"`)
	f("minDuration=-1s", `minDuration "-1s"`)
	f("minDuration=NaN", `minDuration "NaN"`)
	f("minDuration=1e300", `minDuration "1e300"`)
	f("minDuration=2s&maxDuration=1s", "minDuration 2s is more than maxDuration 1s")
	f("start=yesterday", `start "yesterday": want RFC 3339`, "Unix milliseconds")
	f("end=2026-13-01T00:00:00Z", `end "2026-13-01T00:00:00Z"`)
	f("start=2026-11-22T16:50:49+01:00", "encode it as %2B") // an unencoded + became a space
	f("start=-1", `start "-1"`)
	f("start=99999999999999999999", `start "99999999999999999999"`)
	f("start=0001-01-01T00:00:00Z", `start "0001-01-01T00:00:00Z"`)
	f("start=2000&end=1000", "is not before end")
	f("attr=novalue", `attr "novalue": want key=value`)
	f("attr=%3Dv", `attr "=v"`)
	f("limit=0", `limit "0": want a whole number from 1 to 1000`)
	f("limit=1001", `limit "1001"`)
	f("limit=ten", `limit "ten"`)
	f("limit=-3", `limit "-3"`)
	f("cursor=not%20a%20cursor", `cursor "not a cursor" is not one this server returned`)
	f("attr="+strings.Repeat("attr=a%3Db&", 40)[5:], "attr given 40 times")
	f("q="+strings.Repeat("x", maxValueBytes+1), "q is 4097 bytes long")
}

func TestParseSessionQuery(t *testing.T) {
	got, err := parseSessionQuery(mustQuery(t, "service=s&user=u&start=1000&end=2000&limit=5&cursor=abc"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Service != "s" || got.User != "u" || got.Limit != 5 || got.Cursor != "abc" ||
		!got.Start.Equal(time.UnixMilli(1000)) || !got.End.Equal(time.UnixMilli(2000)) {
		t.Errorf("got %+v", got)
	}
	f := func(raw string, wants ...string) {
		t.Helper()
		_, err := parseSessionQuery(mustQuery(t, raw))
		wantBadRequest(t, raw, err, wants...)
	}
	f("model=x", `unknown query parameter "model"`, "start, end, service, user, limit, cursor")
	f("limit=5000", `limit "5000"`)
	f("start=soon", `start "soon"`)
	f("end=x", `end "x"`)
	f("cursor=%2F%2F", `cursor "//"`)
}

func TestParseGenAIQuery(t *testing.T) {
	now := time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC)
	f := func(raw string, start, end time.Time, step time.Duration, groupBy string) {
		t.Helper()
		got, err := parseGenAIQuery(mustQuery(t, raw), now)
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			return
		}
		if !got.Start.Equal(start) || !got.End.Equal(end) || got.Step != step || got.GroupBy != groupBy {
			t.Errorf("%q: got [%v, %v) step %v groupBy %q; want [%v, %v) step %v groupBy %q",
				raw, got.Start, got.End, got.Step, got.GroupBy, start, end, step, groupBy)
		}
	}
	f("", now.Add(-time.Hour), now, time.Minute, "")
	f("groupBy=model&step=5m", now.Add(-time.Hour), now, 5*time.Minute, "model")
	f("groupBy=service", now.Add(-time.Hour), now, time.Minute, "service")
	f("groupBy=operation&service=s&model=m", now.Add(-time.Hour), now, time.Minute, "operation")
	f("start=2026-11-21T16:00:00Z", now.Add(-24*time.Hour), now, 24*time.Minute, "") // ~60 points
	f("end=2026-11-22T12:00:00Z", now.Add(-5*time.Hour), now.Add(-4*time.Hour), time.Minute, "")
	f("start=2026-11-22T15:00:00Z&end=2026-11-22T15:10:00Z&step=1h", now.Add(-time.Hour), now.Add(-50*time.Minute), time.Hour, "")

	e := func(raw string, wants ...string) {
		t.Helper()
		_, err := parseGenAIQuery(mustQuery(t, raw), now)
		wantBadRequest(t, raw, err, wants...)
	}
	e("groupBy=user", `groupBy "user"`, "model or service or operation")
	e("step=30s", `step "30s": want a Go duration of whole minutes`)
	e("step=90s", `step "90s"`)
	e("step=5", `step "5"`)
	e("step=-1m", `step "-1m"`)
	e("step=0m", `step "0m"`)
	e("start=2026-11-23T00:00:00Z", "in the future")
	e("start=2026-01-01T00:00:00Z&step=1m", "at most 2000", "larger step")
	e("limit=5", `unknown query parameter "limit"`, "start, end, step, groupBy, service, model")
}

func TestParseModelAndMetricQuery(t *testing.T) {
	if q, err := parseModelQuery(mustQuery(t, "start=1000")); err != nil || !q.Start.Equal(time.UnixMilli(1000)) || !q.End.IsZero() {
		t.Errorf("models start=1000: %+v, %v", q, err)
	}
	_, err := parseModelQuery(mustQuery(t, "groupBy=model"))
	wantBadRequest(t, "groupBy=model", err, `unknown query parameter "groupBy"`, "start, end")

	q, err := parseMetricQuery(mustQuery(t, "name=gen_ai.client.token.usage&service=s&attr=gen_ai.token.type%3Dinput&limit=50"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "gen_ai.client.token.usage" || q.Service != "s" || q.Limit != 50 ||
		len(q.Attributes) != 1 || q.Attributes[0] != (store.AttrFilter{Key: "gen_ai.token.type", Value: "input"}) {
		t.Errorf("got %+v", q)
	}
	if q, _ := parseMetricQuery(mustQuery(t, "name=x")); q.Limit != 0 {
		t.Errorf("metric limit default = %d; want 0 (the store's 1000 points per series)", q.Limit)
	}
	f := func(raw string, wants ...string) {
		t.Helper()
		_, err := parseMetricQuery(mustQuery(t, raw))
		wantBadRequest(t, raw, err, wants...)
	}
	f("", "name is required")
	f("service=s", "name is required")
	f("name=x&attr=bad", `attr "bad"`)
	f("name=x&limit=0", `limit "0"`)
	f("name=x&step=1m", `unknown query parameter "step"`, "name, service, attr, start, end, limit")
	f("name=x&name=y", "name given 2 times")
}
