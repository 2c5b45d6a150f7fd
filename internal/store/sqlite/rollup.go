package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Rollup sources: spans with a generation, or the gen_ai.client.* metrics of apps that send only
// metrics. Reads use metric rows only for services without span rows in the range, so an app
// sending both is not counted twice.
const (
	sourceSpans   = 0
	sourceMetrics = 1
)

// Latency histogram: bucket i holds latencies in (histBase·2^((i-1)/4), histBase·2^(i/4)] ms,
// 4 buckets per doubling (±9% per estimate), from 0.1 ms to ~5 days.
const (
	histBase    = 0.1
	histPerOct  = 4
	histBuckets = 128
)

func histBucket(ms float64) int {
	if !(ms > histBase) { // also NaN
		return 0
	}
	i := int(math.Ceil(math.Log2(ms/histBase) * histPerOct))
	return min(max(i, 0), histBuckets-1)
}

// histValue is a bucket's representative latency: its geometric middle.
func histValue(i int) float64 {
	if i == 0 {
		return histBase
	}
	return histBase * math.Exp2((float64(i)-0.5)/histPerOct)
}

// hist is a sparse latency histogram.
type hist map[int]uint64

// encode returns the histogram's bytes: never nil, since the hist column is NOT NULL and an
// empty histogram (a minute with token-usage points but no durations) is an empty blob.
func (h hist) encode() []byte {
	e := encoder{b: []byte{}}
	for i := range histBuckets {
		if c := h[i]; c > 0 {
			e.uvarint(uint64(i))
			e.uvarint(c)
		}
	}
	return e.b
}

func decodeHist(b []byte, into hist) error {
	d := &decoder{b: b}
	for len(d.b) > 0 && d.err == nil {
		i, c := d.uvarint(), d.uvarint()
		if i >= histBuckets {
			return errCorrupt
		}
		into[int(i)] += c
	}
	return d.err
}

// addHist adds an encoded histogram into a dense one (the dashboard's per-step accumulator).
func addHist(b []byte, into *[histBuckets]uint64) error {
	d := &decoder{b: b}
	for len(d.b) > 0 && d.err == nil {
		i, c := d.uvarint(), d.uvarint()
		if i >= histBuckets {
			return errCorrupt
		}
		into[i] += c
	}
	return d.err
}

// quantile returns the q-quantile (0..1), or nil for an empty histogram.
func (h hist) quantile(q float64) *float64 {
	var total uint64
	for _, c := range h {
		total += c
	}
	if total == 0 {
		return nil
	}
	rank := uint64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	var seen uint64
	for i := range histBuckets {
		seen += h[i]
		if seen >= rank {
			v := histValue(i)
			return &v
		}
	}
	return nil
}

type rollupKey struct {
	minute                              int64
	service, operation, model, provider string
	source                              int
}

type rollup struct {
	calls, errors, in, out, costN int64
	cost                          float64
	h                             hist
}

func (w *writeTx) rollupFor(k rollupKey) *rollup {
	r := w.rollups[k]
	if r == nil {
		r = &rollup{h: make(hist)}
		w.rollups[k] = r
	}
	return r
}

func minuteOf(ns int64) int64 {
	const m = int64(60e9)
	return ns - ((ns%m)+m)%m
}

// addSpanRollup counts a newly stored generation span in its minute.
func (w *writeTx) addSpanRollup(r *spanRow) {
	g := r.s.Generation
	if g == nil || !g.IsModelCall() {
		return
	}
	op := g.Operation
	if op == "" {
		op = r.s.Name
	}
	ru := w.rollupFor(rollupKey{minuteOf(r.s.StartUnixNano), r.service, op, r.model, g.Provider, sourceSpans})
	ru.calls++
	if r.s.Status.Code == telemetry.StatusError || g.ErrorType != "" {
		ru.errors++
	}
	if g.Usage.InputTokens != nil {
		ru.in += *g.Usage.InputTokens
	}
	if g.Usage.OutputTokens != nil {
		ru.out += *g.Usage.OutputTokens
	}
	if g.CostUSD != nil {
		ru.cost += *g.CostUSD
		ru.costN++
	}
	ru.h[histBucket(float64(r.s.DurationNano())/1e6)]++
}

// GenAI client metric names and attributes (OpenTelemetry GenAI semantic conventions).
const (
	metricDuration = "gen_ai.client.operation.duration"
	metricTokens   = "gen_ai.client.token.usage"
)

// cumul is the previous point of a cumulative series, to turn it into a delta.
type cumul struct {
	start   int64
	count   uint64
	sum     float64
	buckets []uint64
}

// addMetricRollup counts a gen_ai.client.* histogram point in its minute.
func (w *writeTx) addMetricRollup(r *metricRow) error {
	m := r.m
	if (m.Name != metricDuration && m.Name != metricTokens) || m.Type != telemetry.MetricHistogram {
		return nil
	}
	count, sum, buckets, err := w.delta(r)
	if err != nil || count == 0 {
		return err
	}
	a := m.Attributes
	model := a.String("gen_ai.request.model")
	if model == "" {
		model = a.String("gen_ai.response.model")
	}
	provider := a.String("gen_ai.provider.name")
	if provider == "" {
		provider = a.String("gen_ai.system")
	}
	op := a.String("gen_ai.operation.name")
	ru := w.rollupFor(rollupKey{minuteOf(m.TimeUnixNano), r.service, op, model, provider, sourceMetrics})
	if m.Name == metricTokens {
		switch a.String("gen_ai.token.type") {
		case "input":
			ru.in += int64(sum)
		case "output":
			ru.out += int64(sum)
		}
		return nil
	}
	ru.calls += int64(count)
	if a.String("error.type") != "" {
		ru.errors += int64(count)
	}
	scale := 1000.0 // seconds, the convention's unit
	if m.Unit == "ms" {
		scale = 1
	}
	for i, c := range buckets {
		if c == 0 {
			continue
		}
		ru.h[histBucket(bucketMiddle(m.ExplicitBounds, i)*scale)] += c
	}
	return nil
}

// bucketMiddle is a representative value of explicit-bounds bucket i.
func bucketMiddle(bounds []float64, i int) float64 {
	switch {
	case len(bounds) == 0:
		return 0
	case i == 0:
		return bounds[0] / 2
	case i >= len(bounds):
		return bounds[len(bounds)-1]
	default:
		return (bounds[i-1] + bounds[i]) / 2
	}
}

// delta returns what point r adds: itself for delta temporality, the difference from the
// series' previous point for cumulative (a reset, when counts drop, restarts from zero).
func (w *writeTx) delta(r *metricRow) (uint64, float64, []uint64, error) {
	m := r.m
	if m.Temporality != "cumulative" {
		return m.Count, m.Sum, m.BucketCounts, nil
	}
	key := m.Name + "\x00" + r.service + "\x00" + strconv.FormatInt(r.attrHash, 10)
	prev, ok := w.s.cumulated[key]
	if !ok {
		p, err := w.previousPoint(r)
		if err != nil {
			return 0, 0, nil, err
		}
		if p != nil {
			prev, ok = cumul{p.StartTimeUnixNano, p.Count, p.Sum, p.BucketCounts}, true
		}
	}
	if len(w.s.cumulated) > maxKnown {
		clear(w.s.cumulated)
	}
	w.s.cumulated[key] = cumul{m.StartTimeUnixNano, m.Count, m.Sum, m.BucketCounts}
	if !ok || prev.start != m.StartTimeUnixNano || prev.count > m.Count || len(prev.buckets) != len(m.BucketCounts) {
		return m.Count, m.Sum, m.BucketCounts, nil
	}
	d := make([]uint64, len(m.BucketCounts))
	for i, c := range m.BucketCounts {
		if c >= prev.buckets[i] {
			d[i] = c - prev.buckets[i]
		}
	}
	return m.Count - prev.count, m.Sum - prev.sum, d, nil
}

func (w *writeTx) previousPoint(r *metricRow) (*telemetry.MetricPoint, error) {
	st, err := w.stmt("prev_metric")
	if err != nil {
		return nil, err
	}
	var blob []byte
	err = st.QueryRowContext(w.ctx, r.m.Name, r.service, r.attrHash, r.m.TimeUnixNano).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	raw, err := w.s.decompress(blob)
	if err != nil {
		return nil, err
	}
	p := &telemetry.MetricPoint{}
	if err := decodeMetric(raw, p); err != nil {
		return nil, fmt.Errorf("previous point: %w", err)
	}
	return p, nil
}

// writeRollups merges this transaction's rollups into the stored minutes.
func (w *writeTx) writeRollups() error {
	if len(w.rollups) == 0 {
		return nil
	}
	sel, err := w.stmt("select_rollup")
	if err != nil {
		return err
	}
	for k, r := range w.rollups {
		var calls, errs, in, out, costN int64
		var cost float64
		var h []byte
		err := sel.QueryRowContext(w.ctx, k.minute, k.service, k.operation, k.model, k.provider, k.source).
			Scan(&calls, &errs, &in, &out, &cost, &costN, &h)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("load rollup: %w", err)
		default:
			if err := decodeHist(h, r.h); err != nil {
				return fmt.Errorf("rollup histogram: %w", err)
			}
		}
		if _, err := w.exec("replace_rollup", k.minute, k.service, k.operation, k.model, k.provider, k.source,
			calls+r.calls, errs+r.errors, in+r.in, out+r.out, cost+r.cost, costN+r.costN, r.h.encode()); err != nil {
			return err
		}
	}
	return nil
}
