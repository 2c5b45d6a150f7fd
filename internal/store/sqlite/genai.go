package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// rollupRow is one stored minute of one (service, operation, model, provider, source).
type rollupRow struct {
	rollupKey
	rollup
	raw []byte // encoded latency histogram, decoded only by readers that need it
}

// loadRollups reads the rollups of [start, end), dropping metric-sourced rows of services that
// have span-sourced rows in the range (no double counting for apps sending both).
func (s *Store) loadRollups(ctx context.Context, start, end int64) ([]rollupRow, error) {
	rows, err := s.r.QueryContext(ctx, q("rollups"), start, end)
	if err != nil {
		return nil, fmt.Errorf("read GenAI rollups: %w", err)
	}
	defer rows.Close()
	var out []rollupRow
	spanServices := make(map[string]bool)
	for rows.Next() {
		var r rollupRow
		if err := rows.Scan(&r.minute, &r.service, &r.operation, &r.model, &r.provider, &r.source, &r.calls,
			&r.errors, &r.in, &r.out, &r.cost, &r.costN, &r.raw); err != nil {
			return nil, fmt.Errorf("scan rollup: %w", err)
		}
		if r.source == sourceSpans {
			spanServices[r.service] = true
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read GenAI rollups: %w", err)
	}
	return slices.DeleteFunc(out, func(r rollupRow) bool {
		return r.source == sourceMetrics && spanServices[r.service]
	}), nil
}

// GenAISeries returns dashboard series from the per-minute rollups: one point per step from
// Start to End, empty steps included.
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
	n := int((end.UnixNano() - start + stepNs - 1) / stepNs)
	if n <= 0 {
		return &store.GenAISeries{Step: step, Groups: []store.GenAIGroup{}}, nil
	}
	if n > 100_000 {
		return nil, store.InvalidQuery("step", "%d steps of %s between start and end: choose a larger step (at most 100000 points)", n, step)
	}
	rows, err := s.loadRollups(ctx, start, end.UnixNano())
	if err != nil {
		return nil, err
	}
	type acc struct {
		points []store.GenAIPoint
		hists  []*[histBuckets]uint64
	}
	groups := make(map[string]*acc)
	var keys []string
	for _, r := range rows {
		if gq.Service != "" && r.service != gq.Service || gq.Model != "" && r.model != gq.Model {
			continue
		}
		key := map[string]string{"": "", "model": r.model, "service": r.service, "operation": r.operation}[gq.GroupBy]
		g := groups[key]
		if g == nil {
			g = &acc{points: make([]store.GenAIPoint, n), hists: make([]*[histBuckets]uint64, n)}
			groups[key] = g
			keys = append(keys, key)
		}
		i := int((r.minute - start) / stepNs)
		if i < 0 || i >= n {
			continue
		}
		p := &g.points[i]
		p.Calls += r.calls
		p.Errors += r.errors
		p.InputTokens += r.in
		p.OutputTokens += r.out
		p.CostUSD += r.cost
		if g.hists[i] == nil {
			g.hists[i] = new([histBuckets]uint64)
		}
		if err := addHist(r.raw, g.hists[i]); err != nil {
			return nil, fmt.Errorf("rollup histogram: %w", err)
		}
	}
	if gq.GroupBy == "" && len(keys) == 0 {
		groups[""] = &acc{points: make([]store.GenAIPoint, n), hists: make([]*[histBuckets]uint64, n)}
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
				h := make(hist)
				for b, c := range a {
					if c > 0 {
						h[b] = c
					}
				}
				p.P50Ms, p.P95Ms, p.P99Ms = h.quantile(0.50), h.quantile(0.95), h.quantile(0.99)
			}
		}
		out.Groups = append(out.Groups, store.GenAIGroup{Key: k, Points: g.points})
	}
	return out, nil
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
	rows, err := s.loadRollups(ctx, start, end)
	if err != nil {
		return nil, err
	}
	byModel := make(map[string]*store.ModelStats)
	for _, r := range rows {
		m := byModel[r.model]
		if m == nil {
			m = &store.ModelStats{Model: r.model, FirstUnixNano: r.minute, LastUnixNano: r.minute + int64(time.Minute)}
			byModel[r.model] = m
		}
		if m.Provider == "" {
			m.Provider = r.provider
		}
		m.Calls += r.calls
		m.Errors += r.errors
		m.InputTokens += r.in
		m.OutputTokens += r.out
		if r.costN > 0 {
			c := r.cost
			if m.CostUSD != nil {
				c += *m.CostUSD
			}
			m.CostUSD = &c
		}
		m.FirstUnixNano = min(m.FirstUnixNano, r.minute)
		m.LastUnixNano = max(m.LastUnixNano, r.minute+int64(time.Minute))
	}
	out := make([]store.ModelStats, 0, len(byModel))
	for _, m := range byModel {
		out = append(out, *m)
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
