package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
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
	// Fast path: bucket and count of one byte each (histBuckets is 128: any one-byte bucket is
	// valid).
	for len(b) >= 2 && b[0] < 0x80 && b[1] < 0x80 {
		into[b[0]] += uint64(b[1])
		b = b[2:]
	}
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

// Stored rollups are one row per hour and group (service, operation, model, provider, source):
// the hour's totals, a mask of the minutes that have data, and those minutes packed in one blob
// (minutes), each with the same fields. A dashboard over 7 days then reads 168 rows per group
// whatever its step and alignment: an hour that falls inside one step is added from its totals,
// an hour cut by a step or range edge from its minutes. The row id is the hour's number (hours
// since 1970) << 32 | the group's id in genai_groups.

const (
	minuteNs = int64(60e9)
	hourNs   = 60 * minuteNs
)

func hourOf(ns int64) int64 { return ns - ((ns%hourNs)+hourNs)%hourNs }

// rollupID is the row id of a group's hour (hour a whole hour).
func rollupID(hour, group int64) int64 { return hour/hourNs<<32 | group }

// hourOfID is the start of the hour of row id.
func hourOfID(id int64) int64 { return id >> 32 * hourNs }

// groupKey is a group of rollups.
type groupKey struct {
	service, operation, model, provider string
	source                              int
}

// minuteRec is the rollup of one minute of a stored hour, or of the whole hour (its totals).
type minuteRec struct {
	off                           int // minute of the hour, 0..59
	calls, errors, in, out, costN int64
	cost                          float64
	hist                          []byte // encoded latency histogram
}

// encodeRec appends r: the totals of an hour, or (withOff) a minute of its minutes blob.
func encodeRec(e *encoder, r *minuteRec, withOff bool) {
	if withOff {
		e.byte1(byte(r.off))
	}
	e.varint(r.calls)
	e.varint(r.errors)
	e.varint(r.in)
	e.varint(r.out)
	e.varint(r.costN)
	e.f64(r.cost)
	e.uvarint(uint64(len(r.hist)))
	e.b = append(e.b, r.hist...)
}

// decodeRec decodes what encodeRec wrote; r.hist aliases the input.
func decodeRec(d *decoder, r *minuteRec, withOff bool) {
	if withOff {
		r.off = int(d.byte1())
		if d.err == nil && r.off >= 60 {
			d.err = errCorrupt
		}
	}
	r.calls, r.errors, r.in, r.out, r.costN = d.varint(), d.varint(), d.varint(), d.varint(), d.varint()
	r.cost = d.f64()
	r.hist = d.raw(d.uvarint())
}

// encodeMinutes packs minute records (sorted by off) into the minutes column.
func encodeMinutes(recs []minuteRec) []byte {
	e := encoder{b: make([]byte, 0, 32*len(recs))}
	for i := range recs {
		encodeRec(&e, &recs[i], true)
	}
	return e.b
}

func encodeTotals(t *minuteRec) []byte {
	e := encoder{b: make([]byte, 0, 32)}
	encodeRec(&e, t, false)
	return e.b
}

func decodeTotals(b []byte, t *minuteRec) error {
	d := &decoder{b: b}
	decodeRec(d, t, false)
	if d.err != nil {
		return fmt.Errorf("rollup totals: %w", d.err)
	}
	return nil
}

// minuteReader iterates over a minutes blob without allocating; rec.hist aliases the blob.
type minuteReader struct {
	d   decoder
	rec minuteRec
}

func newMinuteReader(b []byte) *minuteReader { return &minuteReader{d: decoder{b: b}} }

// next decodes the next record into m.rec; false at the end or on corrupt data (then err).
func (m *minuteReader) next() bool {
	if len(m.d.b) == 0 || m.d.err != nil {
		return false
	}
	decodeRec(&m.d, &m.rec, true)
	return m.d.err == nil
}

func (m *minuteReader) err() error { return m.d.err }

// decodeMinutes decodes a whole minutes blob; hists are copied.
func decodeMinutes(b []byte) ([]minuteRec, error) {
	var out []minuteRec
	m := newMinuteReader(b)
	for m.next() {
		r := m.rec
		r.hist = slices.Clone(r.hist)
		out = append(out, r)
	}
	if err := m.err(); err != nil {
		return nil, fmt.Errorf("rollup minutes: %w", err)
	}
	return out, nil
}

// minuteDelta is what a transaction adds to one minute of an hour row.
type minuteDelta struct {
	off int
	r   *rollup
}

// groupID returns the id of a rollup group, creating it.
func (w *writeTx) groupID(g groupKey) (int64, error) {
	st, err := w.stmt("select_rollup_group")
	if err != nil {
		return 0, err
	}
	var id int64
	err = st.QueryRowContext(w.ctx, g.service, g.operation, g.model, g.provider, g.source).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		res, err := w.exec("insert_rollup_group", g.service, g.operation, g.model, g.provider, g.source)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	if err != nil {
		return 0, fmt.Errorf("look up rollup group: %w", err)
	}
	return id, nil
}

// writeRollups merges this transaction's per-minute rollups into the stored hours.
func (w *writeTx) writeRollups() error {
	if len(w.rollups) == 0 {
		return nil
	}
	type hourKey struct {
		hour int64
		g    groupKey
	}
	byHour := make(map[hourKey][]minuteDelta)
	for k, r := range w.rollups {
		hk := hourKey{hourOf(k.minute), groupKey{k.service, k.operation, k.model, k.provider, k.source}}
		byHour[hk] = append(byHour[hk], minuteDelta{int((k.minute - hk.hour) / minuteNs), r})
	}
	groups := make(map[groupKey]int64)
	for hk, ds := range byHour {
		id, ok := groups[hk.g]
		if !ok {
			var err error
			if id, err = w.groupID(hk.g); err != nil {
				return err
			}
			groups[hk.g] = id
		}
		// Minute order: the totals' float sums come out the same whatever the map order.
		slices.SortFunc(ds, func(a, b minuteDelta) int { return a.off - b.off })
		if err := w.mergeHour(rollupID(hk.hour, id), ds); err != nil {
			return err
		}
	}
	return nil
}

// mergeHour adds minute deltas to one stored hour row (creating it).
func (w *writeTx) mergeHour(id int64, ds []minuteDelta) error {
	sel, err := w.stmt("select_rollup")
	if err != nil {
		return err
	}
	var t minuteRec // the hour's totals
	var mask int64
	var totals, minutes []byte
	err = sel.QueryRowContext(w.ctx, id).Scan(&mask, &totals, &minutes)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("load rollup: %w", err)
	default:
		if err := decodeTotals(totals, &t); err != nil {
			return err
		}
	}
	recs, err := decodeMinutes(minutes)
	if err != nil {
		return err
	}
	total := make(hist)
	if err := decodeHist(t.hist, total); err != nil {
		return fmt.Errorf("rollup histogram: %w", err)
	}
	for _, d := range ds {
		i, found := slices.BinarySearchFunc(recs, d.off, func(r minuteRec, off int) int { return r.off - off })
		if !found {
			recs = slices.Insert(recs, i, minuteRec{off: d.off})
		}
		r := &recs[i]
		r.calls += d.r.calls
		r.errors += d.r.errors
		r.in += d.r.in
		r.out += d.r.out
		r.cost += d.r.cost
		r.costN += d.r.costN
		t.calls += d.r.calls
		t.errors += d.r.errors
		t.in += d.r.in
		t.out += d.r.out
		t.cost += d.r.cost
		t.costN += d.r.costN
		for b, c := range d.r.h {
			total[b] += c
		}
		// The delta is this transaction's own: fold the stored minute into it.
		if err := decodeHist(r.hist, d.r.h); err != nil {
			return fmt.Errorf("rollup histogram: %w", err)
		}
		r.hist = d.r.h.encode()
		mask |= 1 << d.off
	}
	t.hist = total.encode()
	return w.saveHour(id, &t, mask, recs)
}

// saveHour writes one hour row.
func (w *writeTx) saveHour(id int64, t *minuteRec, mask int64, recs []minuteRec) error {
	_, err := w.exec("replace_rollup", id, mask, encodeTotals(t), encodeMinutes(recs))
	return err
}

// retainRollups deletes the rollups of minutes before cutoff: whole hours in SQL, then the
// minutes before cutoff of the hour holding it (its totals recomputed from the minutes left).
func (w *writeTx) retainRollups(cutoff int64) error {
	hour := hourOf(cutoff)
	if _, err := w.exec("delete_old_rollups", rollupID(hour, 0)); err != nil {
		return err
	}
	if hour == cutoff {
		return nil
	}
	st, err := w.stmt("rollups_between")
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(w.ctx, rollupID(hour, 0), rollupID(hour+hourNs, 0))
	if err != nil {
		return fmt.Errorf("read rollups to prune: %w", err)
	}
	type cut struct {
		id   int64
		recs []minuteRec
	}
	var cuts []cut
	for rows.Next() {
		var c cut
		var minutes []byte
		if err := rows.Scan(&c.id, &minutes); err != nil {
			rows.Close()
			return fmt.Errorf("scan rollup to prune: %w", err)
		}
		if c.recs, err = decodeMinutes(minutes); err != nil {
			rows.Close()
			return err
		}
		cuts = append(cuts, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read rollups to prune: %w", err)
	}
	first := int((cutoff - hour + minuteNs - 1) / minuteNs) // the first minute kept
	for _, c := range cuts {
		if len(c.recs) == 0 || c.recs[0].off >= first {
			continue
		}
		keep := slices.DeleteFunc(c.recs, func(r minuteRec) bool { return r.off < first })
		if len(keep) == 0 {
			if _, err := w.exec("delete_rollup", c.id); err != nil {
				return err
			}
			continue
		}
		t, mask, err := sumMinutes(keep)
		if err != nil {
			return err
		}
		if err := w.saveHour(c.id, &t, mask, keep); err != nil {
			return err
		}
	}
	return nil
}

// sumMinutes returns the totals and mask of an hour's minutes.
func sumMinutes(recs []minuteRec) (minuteRec, int64, error) {
	var t minuteRec
	var mask int64
	total := make(hist)
	for _, r := range recs {
		t.calls += r.calls
		t.errors += r.errors
		t.in += r.in
		t.out += r.out
		t.cost += r.cost
		t.costN += r.costN
		if err := decodeHist(r.hist, total); err != nil {
			return t, 0, fmt.Errorf("rollup histogram: %w", err)
		}
		mask |= 1 << r.off
	}
	t.hist = total.encode()
	return t, mask, nil
}
