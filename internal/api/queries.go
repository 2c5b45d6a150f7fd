package api

import (
	"net/url"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
)

// Parameters each route accepts, in the order error messages list them.
var (
	traceParams   = []string{"service", "name", "status", "session", "user", "model", "minDuration", "maxDuration", "start", "end", "attr", "q", "limit", "cursor"}
	sessionParams = []string{"start", "end", "service", "user", "limit", "cursor"}
	genAIParams   = []string{"start", "end", "step", "groupBy", "service", "model"}
	modelParams   = []string{"start", "end"}
	seriesParams  = []string{"name", "service", "attr", "start", "end", "limit"}
	opParams      = []string{"service"}
)

// parseTraceQuery parses GET /api/v1/traces parameters. Every error is a 400 *apiError.
func parseTraceQuery(v url.Values) (store.TraceQuery, error) {
	var q store.TraceQuery
	p, err := newParams(v, traceParams, "attr")
	if err != nil {
		return q, err
	}
	q.Service, q.SpanName, q.Session = p.str("service"), p.str("name"), p.str("session")
	q.User, q.Model, q.Text = p.str("user"), p.str("model"), p.str("q")
	if q.Status, err = p.oneOf("status", "ok", "error"); err != nil {
		return q, err
	}
	if q.MinDuration, err = p.duration("minDuration"); err != nil {
		return q, err
	}
	if q.MaxDuration, err = p.duration("maxDuration"); err != nil {
		return q, err
	}
	if q.MaxDuration > 0 && q.MinDuration > q.MaxDuration {
		return q, badRequest("minDuration %s is more than maxDuration %s: swap them", q.MinDuration, q.MaxDuration)
	}
	if q.Start, q.End, err = p.timeRange(); err != nil {
		return q, err
	}
	if q.Attributes, err = p.attrs(); err != nil {
		return q, err
	}
	if q.Limit, err = p.limit(defaultLimit); err != nil {
		return q, err
	}
	q.Cursor, err = p.cursor()
	return q, err
}

// parseSessionQuery parses GET /api/v1/sessions parameters.
func parseSessionQuery(v url.Values) (store.SessionQuery, error) {
	var q store.SessionQuery
	p, err := newParams(v, sessionParams)
	if err != nil {
		return q, err
	}
	q.Service, q.User = p.str("service"), p.str("user")
	if q.Start, q.End, err = p.timeRange(); err != nil {
		return q, err
	}
	if q.Limit, err = p.limit(defaultLimit); err != nil {
		return q, err
	}
	q.Cursor, err = p.cursor()
	return q, err
}

// parseGenAIQuery parses GET /api/v1/metrics/genai parameters and fills the defaults: the last
// hour ending now, and a whole-minute step giving about 60 points.
func parseGenAIQuery(v url.Values, now time.Time) (store.GenAIQuery, error) {
	var q store.GenAIQuery
	p, err := newParams(v, genAIParams)
	if err != nil {
		return q, err
	}
	q.Service, q.Model = p.str("service"), p.str("model")
	if q.GroupBy, err = p.oneOf("groupBy", "model", "service", "operation"); err != nil {
		return q, err
	}
	if q.Start, q.End, err = p.timeRange(); err != nil {
		return q, err
	}
	switch {
	case q.End.IsZero() && q.Start.IsZero():
		q.End, q.Start = now, now.Add(-time.Hour)
	case q.End.IsZero():
		q.End = now
		if !q.Start.Before(q.End) {
			return q, badRequest("start %s is in the future: give an end after it", q.Start.UTC().Format(time.RFC3339))
		}
	case q.Start.IsZero():
		q.Start = q.End.Add(-time.Hour)
	}
	if q.Step, err = parseStep(p.str("step")); err != nil {
		return q, err
	}
	span := q.End.Sub(q.Start)
	if q.Step == 0 {
		q.Step = max(time.Minute, (span/60+time.Minute-1)/time.Minute*time.Minute)
	}
	if n := span / q.Step; n > maxPoints {
		return q, badRequest("step %s over %s gives %d points: at most %d, so use a larger step", q.Step, span, n, maxPoints)
	}
	return q, nil
}

// parseStep parses a Go duration that is a positive whole number of minutes; 0 when absent.
func parseStep(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d%time.Minute != 0 {
		return 0, badRequest("step %q: want a Go duration of whole minutes (1m, 5m, 1h)", trunc(s))
	}
	return d, nil
}

// parseModelQuery parses GET /api/v1/models parameters.
func parseModelQuery(v url.Values) (store.ModelQuery, error) {
	var q store.ModelQuery
	p, err := newParams(v, modelParams)
	if err != nil {
		return q, err
	}
	q.Start, q.End, err = p.timeRange()
	return q, err
}

// parseMetricQuery parses GET /api/v1/metrics/series parameters. limit bounds the points per
// series; absent, the store's default (1000) applies.
func parseMetricQuery(v url.Values) (store.MetricQuery, error) {
	var q store.MetricQuery
	p, err := newParams(v, seriesParams, "attr")
	if err != nil {
		return q, err
	}
	if q.Name = p.str("name"); q.Name == "" {
		return q, badRequest("name is required: the metric name, e.g. name=gen_ai.client.token.usage")
	}
	q.Service = p.str("service")
	if q.Attributes, err = p.attrs(); err != nil {
		return q, err
	}
	if q.Start, q.End, err = p.timeRange(); err != nil {
		return q, err
	}
	q.Limit, err = p.limit(0)
	return q, err
}
