package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// rollupRow is one stored hour of one group.
type rollupRow struct {
	hour int64
	groupKey
	t       minuteRec // the hour's totals
	mask    int64
	minutes []byte // the packed minutes; nil when the hour is read from its totals
}

// whole reports whether the row is read from its totals: the hour lies inside the range and
// inside one step.
func (r *rollupRow) whole() bool { return r.minutes == nil }

// minuteMask returns the bits of the minutes of the hour starting at hour that lie in [start, end).
func minuteMask(hour, start, end int64) int64 {
	lo, hi := int64(0), int64(60)
	if start > hour {
		lo = min(60, (start-hour+minuteNs-1)/minuteNs)
	}
	if end < hour+hourNs {
		hi = max(0, (end-hour+minuteNs-1)/minuteNs)
	}
	if lo >= hi {
		return 0
	}
	return (int64(1)<<(hi-lo) - 1) << lo
}

// rollupTotals lets reads use an hour's totals; tests turn it off to check that they give the
// same answers as its minutes.
var rollupTotals = true

// loadRollups calls visit with each rollup hour that has data in [start, end) (start a whole
// minute), leaving out metric-sourced rows of services that have span-sourced rows in the range
// (no double counting for apps sending both). Hours inside the range and one step of stepNs
// come without minutes. The row's blobs are valid only during the call.
func (s *Store) loadRollups(ctx context.Context, start, end, stepNs int64, visit func(r *rollupRow) error) error {
	return s.readTx(ctx, func(tx *sql.Tx) error {
		groups := make(map[int64]groupKey)
		grows, err := tx.QueryContext(ctx, q("rollup_groups"))
		if err != nil {
			return fmt.Errorf("read GenAI rollup groups: %w", err)
		}
		defer grows.Close()
		for grows.Next() {
			var id int64
			var g groupKey
			if err := grows.Scan(&id, &g.service, &g.operation, &g.model, &g.provider, &g.source); err != nil {
				return fmt.Errorf("scan rollup group: %w", err)
			}
			groups[id] = g
		}
		if err := grows.Err(); err != nil {
			return fmt.Errorf("read GenAI rollup groups: %w", err)
		}
		rows, err := tx.QueryContext(ctx, q("rollups"), start, end, rollupID(hourOf(start), 0),
			rollupID(hourOf(end-1)+hourNs, 0), stepNs, rollupTotals)
		if err != nil {
			return fmt.Errorf("read GenAI rollups: %w", err)
		}
		defer rows.Close()
		spanServices := make(map[string]bool)
		var metricRows []rollupRow // visited last, once spanServices is complete
		var r rollupRow
		var totals, minutes sql.RawBytes
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id, &r.mask, &totals, &minutes); err != nil {
				return fmt.Errorf("scan rollup: %w", err)
			}
			r.hour, r.minutes = hourOfID(id), minutes // nil: a whole hour
			if !r.whole() && r.mask&minuteMask(r.hour, start, end) == 0 {
				continue // an edge hour with no data inside the range
			}
			if err := decodeTotals(totals, &r.t); err != nil {
				return err
			}
			r.groupKey = groups[id&(1<<32-1)]
			if r.source == sourceMetrics {
				c := r
				c.t.hist, c.minutes = slices.Clone(r.t.hist), slices.Clone([]byte(r.minutes))
				metricRows = append(metricRows, c)
				continue
			}
			spanServices[r.service] = true
			if err := visit(&r); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read GenAI rollups: %w", err)
		}
		for i := range metricRows {
			if !spanServices[metricRows[i].service] {
				if err := visit(&metricRows[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// seriesAcc is one dashboard series under construction.
type seriesAcc struct {
	points []store.GenAIPoint
	hists  []*[histBuckets]uint64
}

// add adds one minute (or one whole hour) of rollups to step i.
func (g *seriesAcc) add(i int, r *minuteRec) error {
	p := &g.points[i]
	p.Calls += r.calls
	p.Errors += r.errors
	p.InputTokens += r.in
	p.OutputTokens += r.out
	p.CostUSD += r.cost
	if g.hists[i] == nil {
		g.hists[i] = new([histBuckets]uint64)
	}
	if err := addHist(r.hist, g.hists[i]); err != nil {
		return fmt.Errorf("rollup histogram: %w", err)
	}
	return nil
}

// GenAISeries returns dashboard series from the rollups: one point per step from Start to End,
// empty steps included. Hours inside one step are read from their totals, the others minute by
// minute, so the answer is the same as summing minutes.
func (s *Store) GenAISeries(ctx context.Context, gq store.GenAIQuery) (*store.GenAISeries, error) {
	step := gq.Step
	if step <= 0 {
		step = time.Minute
	}
	if step%time.Minute != 0 {
		return nil, store.InvalidQuery("step", "%s: want a whole number of minutes", step)
	}
	switch gq.GroupBy {
	case "", "model", "service", "operation":
	default:
		return nil, store.InvalidQuery("groupBy", "%q: want model, service, operation or empty", truncate(gq.GroupBy))
	}
	end := gq.End
	if end.IsZero() {
		end = time.Now()
	}
	start := minuteOf(gq.Start.UnixNano())
	if gq.Start.IsZero() {
		start = minuteOf(end.Add(-time.Hour).UnixNano())
	}
	stepNs := step.Nanoseconds()
	endNs := end.UnixNano()
	n := int((endNs - start + stepNs - 1) / stepNs)
	if n <= 0 {
		return &store.GenAISeries{Step: step, Groups: []store.GenAIGroup{}}, nil
	}
	if n > 100_000 {
		return nil, store.InvalidQuery("step", "%d steps of %s between start and end: choose a larger step (at most 100000 points)", n, step)
	}
	groups := make(map[string]*seriesAcc)
	var keys []string
	err := s.loadRollups(ctx, start, endNs, stepNs, func(r *rollupRow) error {
		if gq.Service != "" && r.service != gq.Service || gq.Model != "" && r.model != gq.Model {
			return nil
		}
		var key string
		switch gq.GroupBy {
		case "model":
			key = r.model
		case "service":
			key = r.service
		case "operation":
			key = r.operation
		}
		g := groups[key]
		if g == nil {
			g = &seriesAcc{points: make([]store.GenAIPoint, n), hists: make([]*[histBuckets]uint64, n)}
			groups[key] = g
			keys = append(keys, key)
		}
		if r.whole() {
			return g.add(int((r.hour-start)/stepNs), &r.t)
		}
		mr := newMinuteReader(r.minutes)
		for mr.next() {
			m := r.hour + int64(mr.rec.off)*minuteNs
			if m < start || m >= endNs {
				continue
			}
			if err := g.add(int((m-start)/stepNs), &mr.rec); err != nil {
				return err
			}
		}
		if err := mr.err(); err != nil {
			return fmt.Errorf("rollup minutes: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if gq.GroupBy == "" && len(keys) == 0 {
		groups[""] = &seriesAcc{points: make([]store.GenAIPoint, n), hists: make([]*[histBuckets]uint64, n)}
		keys = []string{""}
	}
	slices.Sort(keys)
	out := &store.GenAISeries{Step: step, Groups: make([]store.GenAIGroup, 0, len(keys))}
	for _, k := range keys {
		g := groups[k]
		for i := range g.points {
			p := &g.points[i]
			p.TimeUnixNano = start + int64(i)*stepNs
			if a := g.hists[i]; a != nil {
				p.P50Ms, p.P95Ms, p.P99Ms = denseQuantile(a, 0.50), denseQuantile(a, 0.95), denseQuantile(a, 0.99)
			}
		}
		out.Groups = append(out.Groups, store.GenAIGroup{Key: k, Points: g.points})
	}
	return out, nil
}

// denseQuantile returns the q-quantile (0..1) of a dense histogram, or nil when it is empty.
func denseQuantile(a *[histBuckets]uint64, q float64) *float64 {
	var total uint64
	for _, c := range a {
		total += c
	}
	if total == 0 {
		return nil
	}
	rank := max(uint64(math.Ceil(q*float64(total))), 1)
	var seen uint64
	for i, c := range a {
		seen += c
		if seen >= rank {
			v := histValue(i)
			return &v
		}
	}
	return nil
}

// providerKey orders the rows naming a model's provider as the minute rows they sum were once
// read: by minute, then service, operation, provider and source. The first one names it.
type providerKey struct {
	minute                       int64
	service, operation, provider string
	source                       int
}

func (a providerKey) less(b providerKey) bool {
	if a.minute != b.minute {
		return a.minute < b.minute
	}
	if a.service != b.service {
		return a.service < b.service
	}
	if a.operation != b.operation {
		return a.operation < b.operation
	}
	if a.provider != b.provider {
		return a.provider < b.provider
	}
	return a.source < b.source
}

// Models lists the models seen in [Start, End) with totals, most calls first.
func (s *Store) Models(ctx context.Context, mq store.ModelQuery) ([]store.ModelStats, error) {
	start, end := int64(0), time.Now().UnixNano()
	if !mq.Start.IsZero() {
		start = minuteOf(mq.Start.UnixNano())
	}
	if !mq.End.IsZero() {
		end = mq.End.UnixNano()
	}
	type acc struct {
		store.ModelStats
		named providerKey
	}
	byModel := make(map[string]*acc)
	add := func(r *rollupRow, t *minuteRec, first, last int64) {
		m := byModel[r.model]
		if m == nil {
			m = &acc{ModelStats: store.ModelStats{Model: r.model, FirstUnixNano: first, LastUnixNano: last}}
			byModel[r.model] = m
		}
		if r.provider != "" {
			k := providerKey{first, r.service, r.operation, r.provider, r.source}
			if m.Provider == "" || k.less(m.named) {
				m.Provider, m.named = r.provider, k
			}
		}
		m.Calls += t.calls
		m.Errors += t.errors
		m.InputTokens += t.in
		m.OutputTokens += t.out
		if t.costN > 0 {
			c := t.cost
			if m.CostUSD != nil {
				c += *m.CostUSD
			}
			m.CostUSD = &c
		}
		m.FirstUnixNano = min(m.FirstUnixNano, first)
		m.LastUnixNano = max(m.LastUnixNano, last)
	}
	err := s.loadRollups(ctx, start, end, 1<<62, func(r *rollupRow) error {
		if r.whole() {
			first := r.hour + int64(bits.TrailingZeros64(uint64(r.mask)))*minuteNs
			last := r.hour + int64(64-bits.LeadingZeros64(uint64(r.mask)))*minuteNs
			add(r, &r.t, first, last)
			return nil
		}
		mr := newMinuteReader(r.minutes)
		for mr.next() {
			m := r.hour + int64(mr.rec.off)*minuteNs
			if m >= start && m < end {
				add(r, &mr.rec, m, m+minuteNs)
			}
		}
		if err := mr.err(); err != nil {
			return fmt.Errorf("rollup minutes: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]store.ModelStats, 0, len(byModel))
	for _, m := range byModel {
		out = append(out, m.ModelStats)
	}
	slices.SortFunc(out, func(a, b store.ModelStats) int {
		if c := cmpInt64(b.Calls, a.Calls); c != 0 {
			return c
		}
		return cmpString(a.Model, b.Model)
	})
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

const sessionCols = `id, service, user_id, trace_count, error_count, gen_count, first_ns, last_ns, in_tok, out_tok,
  cost, success`

func scanSession(row scanner) (store.SessionSummary, error) {
	var ss store.SessionSummary
	var cost sql.NullFloat64
	var success sql.NullInt64
	if err := row.Scan(&ss.ID, &ss.Service, &ss.UserID, &ss.TraceCount, &ss.ErrorCount, &ss.GenerationCount,
		&ss.FirstUnixNano, &ss.LastUnixNano, &ss.InputTokens, &ss.OutputTokens, &cost, &success); err != nil {
		return ss, err
	}
	if cost.Valid {
		c := cost.Float64
		ss.CostUSD = &c
	}
	if success.Valid {
		v := success.Int64 == 1
		ss.Success = &v
	}
	return ss, nil
}

// Sessions lists sessions by last activity, newest first, with a keyset cursor.
func (s *Store) Sessions(ctx context.Context, sq store.SessionQuery) (store.SessionPage, error) {
	limit := sq.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	b := &sqlBuilder{}
	if sq.Cursor != "" {
		last, id, err := decodeCursor(sq.Cursor)
		if err != nil {
			return store.SessionPage{}, err
		}
		b.where("(last_ns < ? OR last_ns = ? AND id < ?)", last, last, string(id))
	}
	if !sq.Start.IsZero() {
		b.where("last_ns >= ?", sq.Start.UnixNano())
	}
	if !sq.End.IsZero() {
		b.where("last_ns < ?", sq.End.UnixNano())
	}
	if sq.Service != "" {
		b.where("service = ?", sq.Service)
	}
	if sq.User != "" {
		b.where("user_id = ?", sq.User)
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+sessionCols+" FROM sessions"+b.clause()+
		" ORDER BY last_ns DESC, id DESC LIMIT ?", append(b.args, limit+1)...)
	if err != nil {
		return store.SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	page := store.SessionPage{Sessions: []store.SessionSummary{}}
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return store.SessionPage{}, fmt.Errorf("scan session: %w", err)
		}
		page.Sessions = append(page.Sessions, ss)
	}
	if err := rows.Err(); err != nil {
		return store.SessionPage{}, fmt.Errorf("list sessions: %w", err)
	}
	if len(page.Sessions) > limit {
		page.Sessions = page.Sessions[:limit]
		last := page.Sessions[limit-1]
		page.NextCursor = encodeCursor(last.LastUnixNano, []byte(last.ID))
	}
	return page, nil
}

// Session returns one session with its traces in time order and each trace's conversation turn.
func (s *Store) Session(ctx context.Context, id string) (*store.SessionDetail, error) {
	var sd store.SessionDetail
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		sd.Summary, err = scanSession(tx.QueryRowContext(ctx, q("session"), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("session %q: %w", truncate(id), store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("session %q: %w", truncate(id), err)
		}
		rows, err := tx.QueryContext(ctx, q("session_traces"), id)
		if err != nil {
			return fmt.Errorf("traces of session %q: %w", truncate(id), err)
		}
		defer rows.Close()
		var seqs []int64
		for rows.Next() {
			var seq int64
			t, err := scanSummary(withSeq{rows, &seq})
			if err != nil {
				return fmt.Errorf("scan trace of session: %w", err)
			}
			sd.Traces = append(sd.Traces, store.SessionTrace{TraceSummary: t})
			seqs = append(seqs, seq)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range sd.Traces {
			if err := s.conversationTurn(ctx, tx, &sd.Traces[i], seqs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sd, nil
}

// conversationTurn fills the first user message of the trace's earliest generation and the last
// output message of its latest generation.
func (s *Store) conversationTurn(ctx context.Context, tx *sql.Tx, st *store.SessionTrace, seq int64) error {
	rows, err := tx.QueryContext(ctx, q("generation_spans"), seq)
	if err != nil {
		return fmt.Errorf("generations of trace %s: %w", st.TraceID, err)
	}
	defer rows.Close()
	var gens []*telemetry.Generation
	for rows.Next() {
		var startNs, endNs int64
		var blob []byte
		if err := rows.Scan(&startNs, &endNs, &blob); err != nil {
			return fmt.Errorf("scan generation: %w", err)
		}
		raw, err := s.decompress(blob)
		if err != nil {
			return err
		}
		var sp telemetry.Span
		if err := decodeSpan(raw, &sp); err != nil {
			return fmt.Errorf("generation of trace %s: %w", st.TraceID, err)
		}
		if sp.Generation != nil {
			gens = append(gens, sp.Generation)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(gens) == 0 {
		return nil
	}
	for _, m := range gens[0].InputMessages {
		if m.Role == "user" {
			st.FirstUserMessage = m.Text()
			break
		}
	}
	if out := gens[len(gens)-1].OutputMessages; len(out) > 0 {
		st.LastAnswer = out[len(out)-1].Text()
	}
	return nil
}
