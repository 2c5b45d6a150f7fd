package api

import (
	"net/http"
	"net/url"
	"testing"
	"unicode/utf8"
)

// FuzzParseTraceQuery feeds raw query strings to the trace search parser: it must never panic,
// every error must be a 400 with a readable message, and every accepted query must be in range.
func FuzzParseTraceQuery(f *testing.F) {
	for _, seed := range []string{
		"",
		"service=trail-guide&status=error&limit=50",
		"minDuration=250&maxDuration=1.5s",
		"start=2026-11-22T15:50:49.713Z&end=1795362650000",
		"start=2026-11-22T16:50:49%2B01:00",
		"attr=gen_ai.request.model%3Dgpt-4o&attr=k%3D",
		"q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&session=s&user=u&model=m&name=chat",
		"cursor=MTc5NTM2MjY0OTcxMzAwMDAwMDpjYWZl",
		"limit=0", "limit=1001", "status=OK", "minDuration=-1", "minDuration=NaN", "start=0001-01-01T00:00:00Z",
		"color=red", "service=a&service=b", "attr=novalue", "%zz", "a=%ff%fe", "start=99999999999999999999",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, _ := url.ParseQuery(raw) // what http.Request.URL.Query does: keep what parses
		q, err := parseTraceQuery(v)
		if err != nil {
			if st := statusOf(err); st != http.StatusBadRequest {
				t.Fatalf("%q: status %d for %v; want 400", raw, st, err)
			}
			if msg := err.Error(); msg == "" || !utf8.ValidString(msg) {
				t.Fatalf("%q: unreadable error %q", raw, msg)
			}
			return
		}
		if q.Limit < 1 || q.Limit > maxLimit {
			t.Fatalf("%q: limit %d accepted", raw, q.Limit)
		}
		if q.MinDuration < 0 || q.MaxDuration < 0 || (q.MaxDuration > 0 && q.MinDuration > q.MaxDuration) {
			t.Fatalf("%q: durations [%v, %v] accepted", raw, q.MinDuration, q.MaxDuration)
		}
		if !q.Start.IsZero() && !q.End.IsZero() && !q.Start.Before(q.End) {
			t.Fatalf("%q: empty range [%v, %v) accepted", raw, q.Start, q.End)
		}
		if q.Status != "" && q.Status != "ok" && q.Status != "error" {
			t.Fatalf("%q: status %q accepted", raw, q.Status)
		}
		for _, a := range q.Attributes {
			if a.Key == "" {
				t.Fatalf("%q: attribute filter without a key accepted", raw)
			}
		}
	})
}
