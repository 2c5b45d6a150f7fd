package sqlite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// genCall is one model call of the rollup tests, kept to compute the expected answers.
type genCall struct {
	start, dur                int64
	service, operation, model string
	provider                  string
	err                       bool
	in, out                   int64
	cost                      *float64
}

// writeCalls writes calls as generation spans, in batches of random size and shuffled order (so
// stored hours are merged with later minutes, and earlier ones).
func writeCalls(t *testing.T, s *Store, rng *rand.Rand, calls []genCall) {
	t.Helper()
	order := rng.Perm(len(calls))
	for lo := 0; lo < len(order); {
		hi := min(len(order), lo+1+rng.IntN(200))
		b := &telemetry.Batch{}
		for _, i := range order[lo:hi] {
			c := calls[i]
			var tid telemetry.TraceID
			tid[0], tid[1], tid[2] = 7, byte(i>>8), byte(i)
			sp := &telemetry.Span{TraceID: tid, SpanID: telemetry.SpanID{1, byte(i >> 8), byte(i)}, Name: "call",
				StartUnixNano: c.start, EndUnixNano: c.start + c.dur,
				Resource: &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": c.service}},
				Generation: &telemetry.Generation{Operation: c.operation, Provider: c.provider, RequestModel: c.model,
					Usage: telemetry.Usage{InputTokens: ptr(c.in), OutputTokens: ptr(c.out)}, CostUSD: c.cost}}
			if c.err {
				sp.Status.Code = telemetry.StatusError
			}
			b.Spans = append(b.Spans, sp)
		}
		if err := s.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
		lo = hi
	}
}

// randomCalls makes n calls over [from, from+span) in a few groups; one model has two providers
// and one group no provider, so the provider Models picks is tested too.
func randomCalls(rng *rand.Rand, n int, from, span int64) []genCall {
	var calls []genCall
	for range n {
		c := genCall{start: from + rng.Int64N(span), dur: int64(rng.ExpFloat64() * 3e8),
			service: []string{"a", "b", "c"}[rng.IntN(3)], operation: []string{"chat", "embeddings"}[rng.IntN(2)],
			model: []string{"m1", "m2", "m3"}[rng.IntN(3)], err: rng.IntN(10) == 0,
			in: rng.Int64N(1000), out: rng.Int64N(100)}
		switch c.model {
		case "m1":
			c.provider = []string{"openai", "azure"}[rng.IntN(2)]
		case "m2":
			c.provider = "anthropic"
		}
		if rng.IntN(4) != 0 {
			c.cost = ptr(float64(rng.IntN(1000)) * 1e-6)
		}
		calls = append(calls, c)
	}
	return calls
}

// expectSeries computes GenAISeries from the calls themselves, minute by minute.
func expectSeries(calls []genCall, q store.GenAIQuery) *store.GenAISeries {
	start := minuteOf(q.Start.UnixNano())
	end := q.End.UnixNano()
	step := q.Step.Nanoseconds()
	n := int((end - start + step - 1) / step)
	type acc struct {
		points []store.GenAIPoint
		hists  [][histBuckets]uint64
	}
	groups := map[string]*acc{}
	for _, c := range calls {
		m := minuteOf(c.start)
		if m < start || m >= end || q.Service != "" && c.service != q.Service || q.Model != "" && c.model != q.Model {
			continue
		}
		key := map[string]string{"": "", "model": c.model, "service": c.service, "operation": c.operation}[q.GroupBy]
		g := groups[key]
		if g == nil {
			g = &acc{points: make([]store.GenAIPoint, n), hists: make([][histBuckets]uint64, n)}
			groups[key] = g
		}
		i := int((m - start) / step)
		p := &g.points[i]
		p.Calls++
		if c.err {
			p.Errors++
		}
		p.InputTokens += c.in
		p.OutputTokens += c.out
		if c.cost != nil {
			p.CostUSD += *c.cost
		}
		g.hists[i][histBucket(float64(c.dur)/1e6)]++
	}
	if q.GroupBy == "" && len(groups) == 0 {
		groups[""] = &acc{points: make([]store.GenAIPoint, n), hists: make([][histBuckets]uint64, n)}
	}
	out := &store.GenAISeries{Step: q.Step, Groups: []store.GenAIGroup{}}
	for k, g := range groups {
		for i := range g.points {
			p := &g.points[i]
			p.TimeUnixNano = start + int64(i)*step
			if p.Calls > 0 {
				p.P50Ms, p.P95Ms, p.P99Ms = denseQuantile(&g.hists[i], 0.5), denseQuantile(&g.hists[i], 0.95),
					denseQuantile(&g.hists[i], 0.99)
			}
		}
		out.Groups = append(out.Groups, store.GenAIGroup{Key: k, Points: g.points})
	}
	slices.SortFunc(out.Groups, func(a, b store.GenAIGroup) int { return cmpString(a.Key, b.Key) })
	return out
}

// expectModels computes Models from the calls.
func expectModels(calls []genCall, start, end int64) []store.ModelStats {
	type named struct {
		k providerKey
		p string
	}
	by := map[string]*store.ModelStats{}
	prov := map[string]named{}
	for _, c := range calls {
		m := minuteOf(c.start)
		if m < start || m >= end {
			continue
		}
		ms := by[c.model]
		if ms == nil {
			ms = &store.ModelStats{Model: c.model, FirstUnixNano: m, LastUnixNano: m + minuteNs}
			by[c.model] = ms
		}
		if c.provider != "" {
			k := providerKey{m, c.service, c.operation, c.provider, sourceSpans}
			if p, ok := prov[c.model]; !ok || k.less(p.k) {
				prov[c.model] = named{k, c.provider}
			}
		}
		ms.Calls++
		if c.err {
			ms.Errors++
		}
		ms.InputTokens += c.in
		ms.OutputTokens += c.out
		if c.cost != nil {
			v := *c.cost
			if ms.CostUSD != nil {
				v += *ms.CostUSD
			}
			ms.CostUSD = &v
		}
		ms.FirstUnixNano = min(ms.FirstUnixNano, m)
		ms.LastUnixNano = max(ms.LastUnixNano, m+minuteNs)
	}
	var out []store.ModelStats
	for model, ms := range by {
		ms.Provider = prov[model].p
		out = append(out, *ms)
	}
	slices.SortFunc(out, func(a, b store.ModelStats) int {
		if c := cmpInt64(b.Calls, a.Calls); c != 0 {
			return c
		}
		return cmpString(a.Model, b.Model)
	})
	return out
}

// closeCost reports whether two cost sums are equal but for float rounding (sums taken in
// another order).
func closeCost(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b)) }

func diffSeries(got, want *store.GenAISeries) string {
	if got.Step != want.Step || len(got.Groups) != len(want.Groups) {
		return fmt.Sprintf("step %s, %d groups; want step %s, %d groups", got.Step, len(got.Groups), want.Step, len(want.Groups))
	}
	for gi, g := range got.Groups {
		w := want.Groups[gi]
		if g.Key != w.Key || len(g.Points) != len(w.Points) {
			return fmt.Sprintf("group %d: key %q, %d points; want %q, %d", gi, g.Key, len(g.Points), w.Key, len(w.Points))
		}
		for i, p := range g.Points {
			q := w.Points[i]
			pc, qc := p.CostUSD, q.CostUSD
			p.CostUSD, q.CostUSD = 0, 0
			if !samePct(p.P50Ms, q.P50Ms) || !samePct(p.P95Ms, q.P95Ms) || !samePct(p.P99Ms, q.P99Ms) {
				return fmt.Sprintf("group %q point %d: percentiles differ", g.Key, i)
			}
			p.P50Ms, p.P95Ms, p.P99Ms, q.P50Ms, q.P95Ms, q.P99Ms = nil, nil, nil, nil, nil, nil
			if p != q || !closeCost(pc, qc) {
				return fmt.Sprintf("group %q point %d:\n got %+v cost %v\nwant %+v cost %v", g.Key, i, p, pc, q, qc)
			}
		}
	}
	return ""
}

func samePct(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func diffModels(got, want []store.ModelStats) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d models, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		gc, wc := g.CostUSD, w.CostUSD
		g.CostUSD, w.CostUSD = nil, nil
		if g != w || (gc == nil) != (wc == nil) || gc != nil && !closeCost(*gc, *wc) {
			return fmt.Sprintf("model %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	return ""
}

// TestGenAIHoursMatchMinutes checks that the dashboard reads give the answers of a minute by
// minute sum of the calls, whether an hour is read from its totals or from its minutes, for
// steps and range edges on and off whole hours.
func TestGenAIHoursMatchMinutes(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	calls := randomCalls(rng, 3000, base, 9*hourNs)
	writeCalls(t, s, rng, calls)
	ctx := context.Background()
	defer func(v bool) { rollupTotals = v }(rollupTotals)
	steps := []time.Duration{time.Minute, 7 * time.Minute, 15 * time.Minute, time.Hour, 90 * time.Minute,
		2 * time.Hour, 168 * time.Minute, 24 * time.Hour}
	groupBys := []string{"", "model", "service", "operation"}
	for i := range 200 {
		// Starts and ends on whole hours, whole minutes and anywhere, inside and around the data.
		start := base - 2*hourNs + rng.Int64N(8*hourNs)
		end := start + rng.Int64N(10*hourNs) + 1
		switch i % 4 {
		case 0:
			start, end = hourOf(start), hourOf(end)+hourNs
		case 1:
			start = hourOf(start)
		case 2:
			end = minuteOf(end) + minuteNs
		}
		q := store.GenAIQuery{Start: time.Unix(0, start), End: time.Unix(0, end), Step: steps[rng.IntN(len(steps))],
			GroupBy: groupBys[rng.IntN(len(groupBys))]}
		switch rng.IntN(4) {
		case 0:
			q.Service = "b"
		case 1:
			q.Model = "m2"
		}
		want := expectSeries(calls, q)
		for _, totals := range []bool{true, false} {
			rollupTotals = totals
			got, err := s.GenAISeries(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffSeries(got, want); d != "" {
				t.Fatalf("GenAISeries %+v (hour totals %v): %s", q, totals, d)
			}
			ms, err := s.Models(ctx, store.ModelQuery{Start: q.Start, End: q.End})
			if err != nil {
				t.Fatal(err)
			}
			if d := diffModels(ms, expectModels(calls, minuteOf(start), end)); d != "" {
				t.Fatalf("Models [%d, %d) (hour totals %v): %s", start, end, totals, d)
			}
		}
	}
}

// TestGenAIMetricRollupsSameFromHours checks metric-sourced rollups (and their exclusion for
// services that also send spans) read the same from hour totals and from minutes.
func TestGenAIMetricRollupsSameFromHours(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	writeCalls(t, s, rng, randomCalls(rng, 500, base, 5*hourNs))
	var pts []*telemetry.MetricPoint
	for i := range 400 {
		service := []string{"a", "metrics-only"}[i%2]
		at := base + rng.Int64N(5*hourNs)
		pts = append(pts, &telemetry.MetricPoint{Name: metricDuration, Unit: "s", Type: telemetry.MetricHistogram,
			Temporality: "delta", TimeUnixNano: at, Count: 3, Sum: 1.5, BucketCounts: []uint64{1, 2, 0},
			ExplicitBounds: []float64{0.1, 1}, Resource: &telemetry.Resource{Attributes: telemetry.Attributes{"service.name": service}},
			Attributes: telemetry.Attributes{"gen_ai.request.model": "phi", "gen_ai.operation.name": "chat"}})
	}
	if err := s.Write(context.Background(), &telemetry.Batch{Metrics: pts}); err != nil {
		t.Fatal(err)
	}
	defer func(v bool) { rollupTotals = v }(rollupTotals)
	for _, q := range []store.GenAIQuery{
		{Start: time.Unix(0, base), End: time.Unix(0, base+5*hourNs), Step: time.Hour, GroupBy: "service"},
		{Start: time.Unix(0, base+17*minuteNs), End: time.Unix(0, base+4*hourNs+3), Step: time.Hour, GroupBy: "model"},
		{Start: time.Unix(0, base-hourNs), End: time.Unix(0, base+7*hourNs), Step: 3 * time.Hour},
	} {
		rollupTotals = true
		fromHours, err := s.GenAISeries(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		rollupTotals = false
		fromMinutes, err := s.GenAISeries(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffSeries(fromHours, fromMinutes); d != "" {
			t.Errorf("%+v: %s", q, d)
		}
		var metricsOnly bool
		for _, g := range fromHours.Groups {
			metricsOnly = metricsOnly || g.Key == "metrics-only"
		}
		if q.GroupBy == "service" && !metricsOnly {
			t.Errorf("%+v: no metrics-only group: %+v", q, fromHours.Groups)
		}
	}
}

// TestRetainRollupsCutHour: retention deletes the minutes before the cutoff, also inside the
// hour holding it, and the oldest item is then the first minute kept.
func TestRetainRollupsCutHour(t *testing.T) {
	s := openTest(t)
	rng := rand.New(rand.NewPCG(5, 6))
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	calls := randomCalls(rng, 1000, base, 4*hourNs)
	writeCalls(t, s, rng, calls)
	cutoff := base + 2*hourNs + 17*minuteNs + 12345
	var res store.RetentionResult
	if err := s.deleteOlder(context.Background(), cutoff, &res); err != nil {
		t.Fatal(err)
	}
	kept := slices.DeleteFunc(slices.Clone(calls), func(c genCall) bool { return minuteOf(c.start) < cutoff })
	gq := store.GenAIQuery{Start: time.Unix(0, base), End: time.Unix(0, base+4*hourNs), Step: 10 * time.Minute, GroupBy: "model"}
	got, err := s.GenAISeries(context.Background(), gq)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffSeries(got, expectSeries(kept, gq)); d != "" {
		t.Errorf("after retention: %s", d)
	}
	// The oldest item is the first minute kept, or a trace (each call is one) kept whose
	// minute was not.
	first := int64(math.MaxInt64)
	for _, c := range calls {
		if minuteOf(c.start) >= cutoff {
			first = min(first, minuteOf(c.start))
		} else if c.start >= cutoff {
			first = min(first, c.start)
		}
	}
	var oldest int64
	if err := s.w.QueryRow(q("oldest_item")).Scan(&oldest); err != nil {
		t.Fatal(err)
	}
	if oldest != first {
		t.Errorf("oldest item %d, want the first minute kept %d", oldest, first)
	}
}
