package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// opKey is one row of the operations table.
type opKey struct {
	service, name string
	kind          telemetry.SpanKind
}

// maxKnown bounds the writer's in-memory "already stored" sets; past it they are reset (the
// INSERT OR IGNORE behind them keeps correctness).
const maxKnown = 100_000

// Write commits every item of b in one transaction, or nothing. Spans already stored (same trace
// and span id) are ignored and not counted again.
func (s *Store) Write(ctx context.Context, b *telemetry.Batch) error {
	if b == nil || b.Len() == 0 {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write batch of %d items: %w", b.Len(), err)
	}
	p := s.prepare(b)

	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write of %d items: %w", b.Len(), err)
	}
	w := &writeTx{s: s, ctx: ctx, tx: tx, stmts: make(map[string]*sql.Stmt)}
	defer w.close()
	if err := w.write(p); err != nil {
		tx.Rollback()
		w.forgetCaches()
		return fmt.Errorf("write batch of %d spans, %d logs, %d metric points: %w",
			len(b.Spans), len(b.Logs), len(b.Metrics), err)
	}
	if err := ctx.Err(); err != nil {
		tx.Rollback()
		w.forgetCaches()
		return fmt.Errorf("write batch of %d items: %w", b.Len(), err)
	}
	if err := tx.Commit(); err != nil {
		w.forgetCaches()
		return fmt.Errorf("commit batch of %d items: %w", b.Len(), err)
	}
	s.kickCheckpointer()
	return nil
}

// writeTx is one write transaction.
type writeTx struct {
	s     *Store
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	// added records cache entries added in this transaction, undone if it rolls back.
	addedRes []int64
	addedOps []opKey
	rollups  map[rollupKey]*rollup
	// seqs maps the trace ids of this transaction to their trace_ids.seq.
	seqs map[telemetry.TraceID]int64
	// lastSeq and lastDoc are the store's counters when the transaction began (for rollback).
	lastSeq, lastDoc int64
}

// stmt returns the named statement prepared on this transaction.
func (w *writeTx) stmt(name string) (*sql.Stmt, error) {
	if st, ok := w.stmts[name]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, q(name))
	if err != nil {
		return nil, fmt.Errorf("prepare %s: %w", name, err)
	}
	w.stmts[name] = st
	return st, nil
}

func (w *writeTx) exec(name string, args ...any) (sql.Result, error) {
	st, err := w.stmt(name)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(w.ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

func (w *writeTx) close() {
	for _, st := range w.stmts {
		st.Close()
	}
}

// forgetCaches undoes cache entries of a rolled-back transaction.
func (w *writeTx) forgetCaches() {
	for _, id := range w.addedRes {
		delete(w.s.knownRes, id)
	}
	for _, k := range w.addedOps {
		delete(w.s.knownOps, k)
	}
	clear(w.s.cumulated) // cheap to rebuild from the stored points
	w.s.lastSeq, w.s.lastDoc = w.lastSeq, w.lastDoc
}

// seqOf returns the sequence number of a trace id, assigning the next one to an id never seen.
func (w *writeTx) seqOf(id telemetry.TraceID) (int64, error) {
	if seq, ok := w.seqs[id]; ok {
		return seq, nil
	}
	st, err := w.stmt("select_seq")
	if err != nil {
		return 0, err
	}
	var seq int64
	err = st.QueryRowContext(w.ctx, id[:]).Scan(&seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		seq = w.s.lastSeq + 1
		if _, err := w.exec("insert_seq", id[:], seq); err != nil {
			return 0, err
		}
		w.s.lastSeq = seq
	case err != nil:
		return 0, fmt.Errorf("look up trace %s: %w", id, err)
	}
	w.seqs[id] = seq
	return seq, nil
}

func (w *writeTx) write(p *prepared) error {
	if err := w.writeResources(p.resources); err != nil {
		return err
	}
	w.rollups = make(map[rollupKey]*rollup)
	w.seqs = make(map[telemetry.TraceID]int64)
	w.lastSeq, w.lastDoc = w.s.lastSeq, w.s.lastDoc
	if err := w.writeSpans(p); err != nil {
		return err
	}
	if err := w.writeLogs(p.logs); err != nil {
		return err
	}
	if err := w.writeMetrics(p.metrics); err != nil {
		return err
	}
	return w.writeRollups()
}

func (w *writeTx) writeResources(rs []resourceRow) error {
	if len(w.s.knownRes) > maxKnown {
		clear(w.s.knownRes)
	}
	for _, r := range rs {
		if w.s.knownRes[r.id] {
			continue
		}
		if _, err := w.exec("insert_resource", r.id, r.data); err != nil {
			return err
		}
		w.s.knownRes[r.id] = true
		w.addedRes = append(w.addedRes, r.id)
	}
	return nil
}

// writeSpans inserts spans, then updates the summaries of the traces and sessions they touch.
func (w *writeTx) writeSpans(p *prepared) error {
	rows := p.spans
	if len(rows) == 0 {
		return nil
	}
	deltas := make(map[telemetry.TraceID]*traceAgg)
	var order []telemetry.TraceID
	inserted := 0
	for i := range rows {
		p.waitSpan(i)
		r := &rows[i]
		seq, err := w.seqOf(r.s.TraceID)
		if err != nil {
			return err
		}
		ok, err := w.insertSpan(r, seq)
		if err != nil {
			return fmt.Errorf("span %d (trace %s span %s): %w", i, r.s.TraceID, r.s.SpanID, err)
		}
		if !ok {
			continue // already stored: idempotent retry
		}
		inserted++
		a := spanAgg(r.s, r.service)
		if d := deltas[r.s.TraceID]; d != nil {
			d.merge(a)
		} else {
			deltas[r.s.TraceID] = a
			order = append(order, r.s.TraceID)
		}
		w.addSpanRollup(r)
	}
	newTraces, sessions, err := w.mergeTraces(order, deltas)
	if err != nil {
		return err
	}
	for _, id := range sessions {
		if err := w.refreshSession(id); err != nil {
			return err
		}
	}
	if err := w.addCounter("spans", inserted); err != nil {
		return err
	}
	return w.addCounter("traces", newTraces)
}

// insertSpan inserts one span and its full-text document; it reports false for a duplicate.
func (w *writeTx) insertSpan(r *spanRow, seq int64) (bool, error) {
	sp := r.s
	var parent any
	if !sp.ParentSpanID.IsZero() {
		parent = sp.ParentSpanID[:]
	}
	// model is NULL exactly for spans that are not model calls ("" for one with no model named).
	var model, session, in, out any
	if sp.SessionID != "" {
		session = sp.SessionID
	}
	if g := sp.Generation; g != nil && g.IsModelCall() {
		model = r.model
		in, out = optInt(g.Usage.InputTokens), optInt(g.Usage.OutputTokens)
	}
	res, err := w.exec("insert_span", seq, sp.SpanID[:], parent, sp.StartUnixNano, sp.EndUnixNano,
		r.service, sp.Name, int64(sp.Kind), int64(sp.Status.Code), model, in, out, session, r.resID, r.attrs, r.data)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if err := w.addOperation(opKey{r.service, sp.Name, sp.Kind}); err != nil {
		return false, err
	}
	return true, w.addText(seq, r.content)
}

func optInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func (w *writeTx) addOperation(k opKey) error {
	if w.s.knownOps[k] {
		return nil
	}
	if len(w.s.knownOps) > maxKnown {
		clear(w.s.knownOps)
	}
	if _, err := w.exec("insert_operation", k.service, k.name, int64(k.kind)); err != nil {
		return err
	}
	w.s.knownOps[k] = true
	w.addedOps = append(w.addedOps, k)
	return nil
}

// addText indexes content (already reduced to its distinct words) for full-text search under
// the trace's seq.
func (w *writeTx) addText(seq int64, text string) error {
	if text == "" {
		return nil
	}
	id := w.s.lastDoc + 1
	if _, err := w.exec("insert_fts_doc", id, seq); err != nil {
		return err
	}
	w.s.lastDoc = id
	_, err := w.exec("insert_fts", id, text)
	return err
}

// mergeTraces folds each trace's delta into its stored summary. It returns how many traces are
// new and the sessions to refresh.
func (w *writeTx) mergeTraces(order []telemetry.TraceID, deltas map[telemetry.TraceID]*traceAgg) (int, []string, error) {
	var sessions []string
	seen := make(map[string]bool)
	newTraces := 0
	for _, id := range order {
		d := deltas[id]
		seq := w.seqs[id]
		old, err := w.loadTrace(id, seq)
		if err != nil {
			return 0, nil, err
		}
		if old == nil {
			newTraces++
		} else {
			old.merge(d)
			d = old
		}
		if err := w.saveTrace(seq, d, old == nil); err != nil {
			return 0, nil, err
		}
		if d.session != "" && !seen[d.session] {
			seen[d.session] = true
			sessions = append(sessions, d.session)
		}
	}
	return newTraces, sessions, nil
}

func (w *writeTx) loadTrace(id telemetry.TraceID, seq int64) (*traceAgg, error) {
	st, err := w.stmt("select_trace")
	if err != nil {
		return nil, err
	}
	a := &traceAgg{id: id}
	var cost sql.NullFloat64
	var success, successNs sql.NullInt64
	var models, services string
	err = st.QueryRowContext(w.ctx, seq).Scan(&a.start, &a.end, &a.rootName, &a.rootService, &a.hasRoot, &a.spans,
		&a.errors, &a.gens, &a.in, &a.out, &cost, &a.session, &a.user, &models, &services, &success, &successNs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load summary of trace %s: %w", id, err)
	}
	a.cost, a.costKnown = cost.Float64, cost.Valid
	a.models, a.services = splitSet(models), splitSet(services)
	a.rootStart = a.start
	if a.hasRoot {
		a.rootStart = math.MinInt64 // the stored root wins over a later duplicate root
	}
	if success.Valid {
		v := success.Int64 == 1
		a.success, a.successNs = &v, successNs.Int64
	}
	return a, nil
}

func (w *writeTx) saveTrace(seq int64, a *traceAgg, isNew bool) error {
	var cost, success, successNs any
	if a.costKnown {
		cost = a.cost
	}
	if a.success != nil {
		success, successNs = boolInt(*a.success), a.successNs
	}
	if isNew {
		_, err := w.exec("insert_trace", seq, a.id[:], a.start, a.end, a.rootName, a.rootService, a.hasRoot,
			a.spans, a.errors, a.gens, a.in, a.out, cost, a.session, a.user, joinSet(a.models),
			joinSet(a.services), success, successNs)
		return err
	}
	_, err := w.exec("update_trace", seq, a.start, a.end, a.rootName, a.rootService, a.hasRoot, a.spans,
		a.errors, a.gens, a.in, a.out, cost, a.session, a.user, joinSet(a.models), joinSet(a.services),
		success, successNs)
	return err
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// refreshSession recomputes one session row from its traces' summaries.
func (w *writeTx) refreshSession(id string) error {
	st, err := w.stmt("session_agg")
	if err != nil {
		return err
	}
	var n int64
	var errs, gens, in, out float64
	var first, last sql.NullInt64
	var cost sql.NullFloat64
	var service, user sql.NullString
	var success sql.NullInt64
	if err := st.QueryRowContext(w.ctx, id).Scan(&n, &errs, &gens, &first, &last, &in, &out, &cost,
		&service, &user, &success); err != nil {
		return fmt.Errorf("aggregate session %q: %w", truncate(id), err)
	}
	if n == 0 {
		_, err := w.exec("delete_session", id)
		return err
	}
	var succ any
	if success.Valid {
		succ = success.Int64
	}
	var c any
	if cost.Valid {
		c = cost.Float64
	}
	_, err = w.exec("replace_session", id, service.String, user.String, n, int64(errs), int64(gens),
		first.Int64, last.Int64, int64(in), int64(out), c, succ)
	return err
}

func (w *writeTx) addCounter(name string, n int) error {
	if n == 0 {
		return nil
	}
	_, err := w.exec("add_counter", n, name)
	return err
}

func (w *writeTx) writeLogs(rows []logRow) error {
	for i := range rows {
		r := &rows[i]
		l := r.l
		var trace, span any
		if !l.TraceID.IsZero() {
			trace = l.TraceID[:]
		}
		if !l.SpanID.IsZero() {
			span = l.SpanID[:]
		}
		if _, err := w.exec("insert_log", l.TimeUnixNano, trace, span, int64(l.SeverityNumber), r.service,
			r.resID, r.data); err != nil {
			return fmt.Errorf("log %d: %w", i, err)
		}
		if trace != nil && r.content != "" {
			seq, err := w.seqOf(l.TraceID)
			if err != nil {
				return fmt.Errorf("log %d: %w", i, err)
			}
			if err := w.addText(seq, r.content); err != nil {
				return fmt.Errorf("log %d text: %w", i, err)
			}
		}
	}
	return w.addCounter("logs", len(rows))
}

func (w *writeTx) writeMetrics(rows []metricRow) error {
	// Points of one series in time order, so cumulative differences see their predecessor.
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmpInt64(rows[a].m.TimeUnixNano, rows[b].m.TimeUnixNano)
	})
	for _, i := range order {
		r := &rows[i]
		if err := w.addMetricRollup(r); err != nil {
			return fmt.Errorf("metric point %d (%s) rollup: %w", i, truncate(r.m.Name), err)
		}
		if _, err := w.exec("insert_metric", r.m.Name, r.service, r.attrHash, r.m.TimeUnixNano, r.resID,
			r.data); err != nil {
			return fmt.Errorf("metric point %d (%s): %w", i, truncate(r.m.Name), err)
		}
	}
	return w.addCounter("metrics", len(rows))
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// truncate shortens untrusted text for error messages.
func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "…"
}
