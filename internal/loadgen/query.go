package loadgen

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// queryKind is one kind of API request timed after ingest.
type queryKind struct {
	name  string
	path  func(r *rand.Rand) string
	items string // the JSON field whose length is the result count
}

// knownIDs are trace and session ids the server holds, to look up.
type knownIDs struct {
	traces   []string
	sessions []string
	gen      *Generator
	n        uint64 // traces the generator sent this phase
}

func (k *knownIDs) trace(r *rand.Rand) string {
	if k.n > 0 {
		id := k.gen.TraceID(r.Uint64N(k.n))
		return hex.EncodeToString(id[:])
	}
	return k.traces[r.IntN(len(k.traces))]
}

func (k *knownIDs) session(r *rand.Rand) string {
	if k.n > 0 {
		return k.gen.SessionID(r.Uint64N(k.n))
	}
	return k.sessions[r.IntN(len(k.sessions))]
}

// QueryNames lists the query rows of a report, in order.
var QueryNames = []string{
	"trace by id", "search", "search service", "search attribute", "search q common",
	"search q rare", "search session", "sessions list", "genai dashboard 7d/1h by model",
}

func queryKinds(ids *knownIDs, now time.Time) []queryKind {
	const limit = "limit=50"
	weekAgo := strconv.FormatInt(now.Add(-7*24*time.Hour).UnixMilli(), 10)
	end := strconv.FormatInt(now.Add(time.Minute).UnixMilli(), 10)
	fixed := func(p string) func(*rand.Rand) string { return func(*rand.Rand) string { return p } }
	return []queryKind{
		{QueryNames[0], func(r *rand.Rand) string { return "/api/v1/traces/" + ids.trace(r) }, "spans"},
		{QueryNames[1], fixed("/api/v1/traces?" + limit), "traces"},
		{QueryNames[2], fixed("/api/v1/traces?" + limit + "&service=" + url.QueryEscape(Services[1])), "traces"},
		{QueryNames[3], fixed("/api/v1/traces?" + limit + "&attr=" + url.QueryEscape("app.feature="+Features[2])), "traces"},
		{QueryNames[4], fixed("/api/v1/traces?" + limit + "&q=" + CommonWord), "traces"},
		{QueryNames[5], fixed("/api/v1/traces?" + limit + "&q=" + RareWord), "traces"},
		{QueryNames[6], func(r *rand.Rand) string {
			return "/api/v1/traces?" + limit + "&session=" + url.QueryEscape(ids.session(r))
		}, "traces"},
		{QueryNames[7], fixed("/api/v1/sessions?" + limit), "sessions"},
		{QueryNames[8], fixed("/api/v1/metrics/genai?start=" + weekAgo + "&end=" + end + "&step=1h&groupBy=model"), "groups"},
	}
}

// runQueries times cfg.Queries requests of each kind, one at a time.
func runQueries(ctx context.Context, cfg Config, api *apiClient, gen *Generator, tracesSent uint64) ([]QueryResult, error) {
	ids := &knownIDs{gen: gen, n: tracesSent}
	if tracesSent == 0 {
		if err := discoverIDs(ctx, api, ids); err != nil {
			return nil, err
		}
	}
	r := rand.New(rand.NewPCG(cfg.ContentSeed, 99))
	var out []QueryResult
	for _, k := range queryKinds(ids, time.Now()) {
		res := QueryResult{Name: k.name, Example: k.path(r), Requests: cfg.Queries}
		lat := make([]time.Duration, 0, cfg.Queries)
		var items int64
		for range cfg.Queries {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			path := k.path(r)
			t0 := time.Now()
			code, body, err := api.get(ctx, path)
			d := time.Since(t0)
			if err != nil || code != http.StatusOK {
				res.Errors++
				if res.FirstError == "" {
					if err != nil {
						res.FirstError = err.Error()
					} else {
						res.FirstError = fmt.Sprintf("HTTP %d: %s", code, clip(string(body), 200))
					}
				}
				continue
			}
			lat = append(lat, d)
			items += int64(countItems(body, k.items))
		}
		if n := len(lat); n > 0 {
			slices.Sort(lat)
			res.P50Ms = ms(percentile(lat, 0.50))
			res.P95Ms = ms(percentile(lat, 0.95))
			res.P99Ms = ms(percentile(lat, 0.99))
			res.MaxMs = ms(lat[n-1])
			res.MeanItems = float64(items) / float64(n)
		}
		out = append(out, res)
		fmt.Fprintf(cfg.Log, "  %-32s p50 %8.1f ms  p99 %8.1f ms  errors %d\n", k.name, res.P50Ms, res.P99Ms, res.Errors)
	}
	return out, nil
}

// discoverIDs fills ids from the newest traces, for --no-ingest.
func discoverIDs(ctx context.Context, api *apiClient, ids *knownIDs) error {
	code, body, err := api.get(ctx, "/api/v1/traces?limit=1000")
	if err != nil {
		return fmt.Errorf("list traces: %w", err)
	}
	if code != http.StatusOK {
		return fmt.Errorf("list traces: HTTP %d: %s", code, clip(string(body), 200))
	}
	var page struct {
		Traces []struct {
			TraceID   string `json:"traceId"`
			SessionID string `json:"sessionId"`
		} `json:"traces"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("list traces: %w", err)
	}
	for _, t := range page.Traces {
		ids.traces = append(ids.traces, t.TraceID)
		if t.SessionID != "" {
			ids.sessions = append(ids.sessions, t.SessionID)
		}
	}
	if len(ids.traces) == 0 {
		return errors.New("the server holds no traces to query: run without --no-ingest first")
	}
	if len(ids.sessions) == 0 {
		ids.sessions = []string{"no-such-session"}
	}
	return nil
}

// countItems returns the length of the array field in a JSON object, 0 if absent.
func countItems(body []byte, field string) int {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return 0
	}
	var arr []json.RawMessage
	if json.Unmarshal(obj[field], &arr) != nil {
		return 0
	}
	return len(arr)
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }
