package api

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
)

// Limits on parameters, so one request cannot ask for unbounded work.
const (
	defaultLimit  = 20
	maxLimit      = 1000
	maxValueBytes = 4096 // any one parameter value
	maxAttrs      = 32   // attr filters per request
	maxPoints     = 2000 // dashboard points per series
)

// params reads one request's query parameters strictly: it rejects parameters the route does
// not accept and repeats of parameters that are not repeatable. An empty value is the same as an
// absent parameter, so forms can send every field.
type params struct {
	v url.Values
}

// newParams checks v against the route's accepted parameter names; repeatable names may appear
// more than once.
func newParams(v url.Values, accepted []string, repeatable ...string) (params, error) {
	for name, vals := range v {
		if !slices.Contains(accepted, name) {
			if len(accepted) == 0 {
				return params{}, badRequest("unknown query parameter %q: this route takes no parameters", trunc(name))
			}
			return params{}, badRequest("unknown query parameter %q: accepted parameters are %s",
				trunc(name), strings.Join(accepted, ", "))
		}
		if len(vals) > 1 && !slices.Contains(repeatable, name) {
			return params{}, badRequest("query parameter %s given %d times: give it once", name, len(vals))
		}
		for _, s := range vals {
			if len(s) > maxValueBytes {
				return params{}, badRequest("query parameter %s is %d bytes long: at most %d", name, len(s), maxValueBytes)
			}
		}
	}
	return params{v: v}, nil
}

// str returns the parameter's value, "" when absent.
func (p params) str(name string) string { return p.v.Get(name) }

// oneOf returns the parameter's value, which must be one of allowed when present.
func (p params) oneOf(name string, allowed ...string) (string, error) {
	s := p.str(name)
	if s == "" || slices.Contains(allowed, s) {
		return s, nil
	}
	return "", badRequest("%s %q: want %s", name, trunc(s), strings.Join(allowed, " or "))
}

// limit returns the page size: def when absent, else an integer in 1..maxLimit.
func (p params) limit(def int) (int, error) {
	s := p.str("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, badRequest("limit %q: want a whole number from 1 to %d", trunc(s), maxLimit)
	}
	return n, nil
}

// cursor returns the paging cursor. Cursors Cairn issues are URL-safe base64 tokens; anything
// else cannot be one, and is a 400 here rather than a store error.
func (p params) cursor() (string, error) {
	s := p.str("cursor")
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '=') {
			return "", badRequest("cursor %q is not one this server returned: pass nextCursor from the previous page, or start again without a cursor", trunc(s))
		}
	}
	return s, nil
}

// time parses an RFC 3339 time or Unix milliseconds; the zero time when absent.
func (p params) time(name string) (time.Time, error) {
	s := p.str(name)
	if s == "" {
		return time.Time{}, nil
	}
	if isDigits(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err == nil && ms <= math.MaxInt64/int64(time.Millisecond) {
			return time.UnixMilli(ms).UTC(), nil
		}
	} else if t, err := time.Parse(time.RFC3339Nano, s); err == nil && time.Unix(0, t.UnixNano()).Equal(t) {
		return t, nil // in the range Unix nanoseconds can hold (years 1678 to 2262)
	}
	hint := ""
	if strings.Contains(s, " ") {
		hint = " (a + in a query string means a space: encode it as %2B)"
	}
	return time.Time{}, badRequest("%s %q: want RFC 3339 (2026-11-22T15:50:49Z) or Unix milliseconds (1795362649713)%s",
		name, trunc(s), hint)
}

// timeRange parses start and end, which must be in order when both are given.
func (p params) timeRange() (start, end time.Time, err error) {
	if start, err = p.time("start"); err != nil {
		return
	}
	if end, err = p.time("end"); err != nil {
		return
	}
	if !start.IsZero() && !end.IsZero() && !start.Before(end) {
		err = badRequest("start %s is not before end %s: swap them or widen the range",
			start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano))
	}
	return
}

// duration parses milliseconds (a bare number, fractions allowed) or a Go duration; 0 when
// absent. Negative durations are errors.
func (p params) duration(name string) (time.Duration, error) {
	s := p.str(name)
	if s == "" {
		return 0, nil
	}
	var d time.Duration
	ok := false
	if ms, err := strconv.ParseFloat(s, 64); err == nil {
		ns := ms * float64(time.Millisecond)
		if ok = ns >= 0 && ns < math.MaxInt64; ok {
			d = time.Duration(ns)
		}
	} else if pd, err := time.ParseDuration(s); err == nil && pd >= 0 {
		d, ok = pd, true
	}
	if !ok {
		return 0, badRequest("%s %q: want milliseconds (250) or a Go duration (250ms, 1.5s), not negative", name, trunc(s))
	}
	return d, nil
}

// attrs parses every attr=key=value parameter.
func (p params) attrs() ([]store.AttrFilter, error) {
	vals := p.v["attr"]
	if len(vals) > maxAttrs {
		return nil, badRequest("attr given %d times: at most %d", len(vals), maxAttrs)
	}
	var out []store.AttrFilter
	for _, s := range vals {
		if s == "" {
			continue
		}
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, badRequest("attr %q: want key=value (gen_ai.request.model=gpt-4o)", trunc(s))
		}
		out = append(out, store.AttrFilter{Key: k, Value: v})
	}
	return out, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
