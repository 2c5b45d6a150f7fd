package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

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
// and span id) are ignored and not counted again. Unlike WritePrepared, it returns only once
// the batch's content is in the full-text index too, so a search right after it finds it.
func (s *Store) Write(ctx context.Context, b *telemetry.Batch) error {
	if b == nil || b.Len() == 0 {
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write batch of %d items: %w", b.Len(), err)
	}
	lastDoc, err := s.writePrepared(ctx, []*prepared{s.prepare(b, true)})
	if err != nil {
		return err
	}
	return s.text.waitIndexed(ctx, lastDoc)
}

// WritePrepared commits batches made ready by Prepare in one transaction, or nothing: the
// write pipeline's group commit. Spans already stored, or repeated among the batches, are
// ignored and not counted again.
func (s *Store) WritePrepared(ctx context.Context, batches []any) error {
	ps := make([]*prepared, 0, len(batches))
	for _, b := range batches {
		p, ok := b.(*prepared)
		if !ok {
			return fmt.Errorf("WritePrepared: %T is not a batch from this store's Prepare", b)
		}
		ps = append(ps, p)
	}
	_, err := s.writePrepared(ctx, ps)
	return err
}

// writePrepared commits ps in one transaction and hands their text to the full-text indexer.
// It returns the highest document id assigned so far.
func (s *Store) writePrepared(ctx context.Context, ps []*prepared) (int64, error) {
	var spans, logs, points int
	for _, p := range ps {
		spans, logs, points = spans+len(p.spans), logs+len(p.logs), points+len(p.metrics)
	}
	items := spans + logs + points
	if items == 0 {
		return 0, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("write batch of %d items: %w", items, err)
	}
	// Backpressure from the indexer, before taking the lock that Retain and the checkpointer
	// also need.
	if err := s.text.waitRoom(ctx); err != nil {
		return 0, fmt.Errorf("write batch of %d items: %w", items, err)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	w, err := s.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("begin write of %d items: %w", items, err)
	}
	if err := w.write(ps); err != nil {
		w.rollback()
		return 0, fmt.Errorf("write batch of %d spans, %d logs, %d metric points: %w", spans, logs, points, err)
	}
	if err := ctx.Err(); err != nil {
		w.rollback()
		return 0, fmt.Errorf("write batch of %d items: %w", items, err)
	}
	if err := w.commit(); err != nil {
		return 0, fmt.Errorf("commit batch of %d items: %w", items, err)
	}
	return s.lastDoc, nil
}

// writeTx is one write transaction.
type writeTx struct {
	s *Store
	// ctx runs the statements. It is never cancelled: the driver would otherwise start a
	// watcher goroutine for every statement (a third of the writer's time went to them).
	// Write checks the caller's context before it begins and before it commits instead.
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	// added records cache entries added in this transaction, undone if it rolls back.
	addedRes []int64
	addedOps []opKey
	rollups  map[rollupKey]*rollup
	// seqs maps the trace ids of this transaction to their trace_ids.seq.
	seqs map[telemetry.TraceID]traceRef
	// docs are the full-text documents added (their fts_docs rows by flushText), handed to the
	// indexer after the commit; deletedDocs the documents deleted.
	docs        []textDoc
	deletedDocs []int64
	// lastSeq, lastDoc and lastSpan are the store's counters when the transaction began (for
	// rollback).
	lastSeq, lastDoc, lastSpan int64
}

// traceRef is a trace id's sequence number, and whether this transaction assigned it (then the
// trace has nothing stored yet: no spans, no summary).
type traceRef struct {
	seq   int64
	isNew bool
}

// textDoc is one full-text document: distinct words indexed under a trace, and where they
// come from (spans.id, or -logs.id; 0 when unknown).
type textDoc struct {
	id, seq, src int64
	text         string
}

// begin starts a write transaction; the caller holds s.wmu.
func (s *Store) begin(ctx context.Context) (*writeTx, error) {
	sctx := context.WithoutCancel(ctx)
	tx, err := s.w.BeginTx(sctx, nil)
	if err != nil {
		return nil, err
	}
	return &writeTx{s: s, ctx: sctx, tx: tx, stmts: make(map[string]*sql.Stmt),
		lastSeq: s.lastSeq, lastDoc: s.lastDoc, lastSpan: s.lastSpan}, nil
}

// rollback abandons the transaction and the cache entries it added.
func (w *writeTx) rollback() {
	w.tx.Rollback()
	w.forgetCaches()
}

// stmt returns the named statement (see queries.go) for this transaction. A name "x*n" is
// statement x with n rows: a multi-row INSERT, or an IN list of n parameters.
func (w *writeTx) stmt(name string) (*sql.Stmt, error) {
	if st, ok := w.stmts[name]; ok {
		return st, nil
	}
	dbst, err := w.s.writeStmt(name)
	if err != nil {
		return nil, err
	}
	st := w.tx.StmtContext(w.ctx, dbst)
	w.stmts[name] = st
	return st, nil
}

// writeStmt returns the named statement, prepared by prepareWrites.
func (s *Store) writeStmt(name string) (*sql.Stmt, error) {
	if st, ok := s.stmts[name]; ok {
		return st, nil
	}
	return nil, fmt.Errorf("statement %s was not prepared", name)
}

// multiRowStmts are the write statements also run with several rows (insertRows) or a long IN
// list (inChunk values).
var (
	multiRowStmts = []string{"insert_span", "insert_seq", "insert_trace", "insert_fts_doc", "replace_session"}
	inListStmts   = []string{"select_seqs", "select_span_ids", "session_aggs"}
)

// prepareWrites prepares every statement of write.sql, and the multi-row variants, once on the
// writer connection. (It must run before the first transaction: the pool's only connection is
// busy inside one.)
func (s *Store) prepareWrites(ctx context.Context) error {
	texts := make(map[string]string)
	for name, text := range mustParseQueries(writeSQL) {
		texts[name] = text
	}
	for _, name := range multiRowStmts {
		for _, n := range rowChunks {
			if n > 1 {
				texts[fmt.Sprintf("%s*%d", name, n)] = repeatRows(q(name), n)
			}
		}
	}
	for _, name := range inListStmts {
		texts[fmt.Sprintf("%s*%d", name, inChunk)] = repeatRows(q(name), inChunk)
	}
	for name, text := range texts {
		st, err := s.w.PrepareContext(ctx, text)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", name, err)
		}
		s.stmts[name] = st
	}
	return nil
}

// repeatRows turns a statement whose last parenthesised group is one row of parameters
// ("VALUES (?, ?)" or "IN (?)") into one with n such groups (n rows, or n list items).
func repeatRows(text string, n int) string {
	text = strings.TrimSuffix(strings.TrimSpace(text), ";")
	open := strings.LastIndexByte(text, '(')
	end := strings.LastIndexByte(text, ')')
	if open < 0 || end < open {
		panic("repeatRows: no parameter group in " + text)
	}
	group := text[open : end+1]
	if strings.HasSuffix(text[:open], "IN ") {
		group = text[open+1 : end] // IN (?, ?, ...)
		return text[:open+1] + strings.Repeat(group+", ", n-1) + group + text[end:]
	}
	return text[:open] + strings.Repeat(group+", ", n-1) + group + text[end+1:]
}

// rowChunks are the sizes of multi-row statements: n rows are written as statements of these
// many rows, largest first (at most 3 of each smaller size), so only 4 variants are prepared.
var rowChunks = [...]int{64, 16, 4, 1}

func chunkFor(n int) int {
	for _, c := range rowChunks {
		if c <= n {
			return c
		}
	}
	return 1
}

// insertRows runs the single-row INSERT name for every row of args (cols values per row, in
// order) as multi-row statements.
func (w *writeTx) insertRows(name string, cols int, args []any) error {
	n := len(args) / cols
	for i := 0; i < n; {
		k := chunkFor(n - i)
		key := name
		if k > 1 {
			key = fmt.Sprintf("%s*%d", name, k)
		}
		st, err := w.stmt(key)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(w.ctx, args[i*cols:(i+k)*cols]...); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		i += k
	}
	return nil
}

// inChunk is the number of parameters of the IN lists of lookups; shorter lists are padded by
// repeating their first value.
const inChunk = 64

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

// forgetCaches undoes cache entries of a rolled-back transaction.
func (w *writeTx) forgetCaches() {
	for _, id := range w.addedRes {
		delete(w.s.knownRes, id)
	}
	for _, k := range w.addedOps {
		delete(w.s.knownOps, k)
	}
	clear(w.s.cumulated) // cheap to rebuild from the stored points
	w.s.lastSeq, w.s.lastDoc, w.s.lastSpan = w.lastSeq, w.lastDoc, w.lastSpan
}

// resolveTraces gives every trace id of ids its sequence number: stored ids are looked up in
// bulk, ids never seen get the next numbers and are inserted.
func (w *writeTx) resolveTraces(ids []telemetry.TraceID) error {
	var fresh []telemetry.TraceID
	for _, id := range ids {
		if _, ok := w.seqs[id]; !ok {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	st, err := w.stmt(fmt.Sprintf("select_seqs*%d", inChunk))
	if err != nil {
		return err
	}
	args := make([]any, inChunk)
	for lo := 0; lo < len(fresh); lo += inChunk {
		chunk := fresh[lo:min(lo+inChunk, len(fresh))]
		for i := range args {
			args[i] = chunk[min(i, len(chunk)-1)][:]
		}
		if err := w.scanSeqs(st, args); err != nil {
			return err
		}
	}
	var rows []any
	for _, id := range fresh {
		if _, ok := w.seqs[id]; ok {
			continue
		}
		w.s.lastSeq++
		w.seqs[id] = traceRef{seq: w.s.lastSeq, isNew: true}
		rows = append(rows, id[:], w.s.lastSeq)
	}
	return w.insertRows("insert_seq", 2, rows)
}

func (w *writeTx) scanSeqs(st *sql.Stmt, args []any) error {
	rows, err := st.QueryContext(w.ctx, args...)
	if err != nil {
		return fmt.Errorf("look up trace ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		var seq int64
		if err := rows.Scan(&raw, &seq); err != nil {
			return fmt.Errorf("look up trace ids: %w", err)
		}
		var id telemetry.TraceID
		copy(id[:], raw)
		w.seqs[id] = traceRef{seq: seq}
	}
	return rows.Err()
}

// seqOf returns the sequence number of a trace id, assigning the next one to an id never seen.
func (w *writeTx) seqOf(id telemetry.TraceID) (int64, error) {
	if err := w.resolveTraces([]telemetry.TraceID{id}); err != nil {
		return 0, err
	}
	return w.seqs[id].seq, nil
}

func (w *writeTx) write(ps []*prepared) error {
	w.rollups = make(map[rollupKey]*rollup)
	w.seqs = make(map[telemetry.TraceID]traceRef)
	for _, p := range ps {
		if err := w.writeResources(p.resources); err != nil {
			return err
		}
	}
	// Every trace id the batches reference, in first-seen order, resolved in bulk.
	var ids []telemetry.TraceID
	idSeen := make(map[telemetry.TraceID]bool)
	add := func(id telemetry.TraceID) {
		if !idSeen[id] {
			idSeen[id] = true
			ids = append(ids, id)
		}
	}
	for _, p := range ps {
		for i := range p.spans {
			add(p.spans[i].s.TraceID)
		}
		for i := range p.logs {
			if l := p.logs[i].l; !l.TraceID.IsZero() && p.logs[i].content != "" {
				add(l.TraceID)
			}
		}
	}
	if err := w.resolveTraces(ids); err != nil {
		return err
	}
	if err := w.writeSpans(ps); err != nil {
		return err
	}
	for _, p := range ps {
		if err := w.writeLogs(p.logs); err != nil {
			return err
		}
	}
	for _, p := range ps {
		if err := w.writeMetrics(p.metrics); err != nil {
			return err
		}
	}
	if err := w.writeRollups(); err != nil {
		return err
	}
	if err := w.flushText(); err != nil {
		return err
	}
	return w.boundText()
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

// spanKey identifies a span for idempotence.
type spanKey struct {
	seq  int64
	span telemetry.SpanID
}

// spanCols is the number of values of one insert_span row.
const spanCols = 17

// writeSpans inserts spans, then updates the summaries of the traces and sessions they touch.
// A span already stored, or seen earlier in this transaction, is skipped: spans of traces
// stored before this transaction are looked up in bulk; a trace this transaction created has
// nothing stored.
func (w *writeTx) writeSpans(ps []*prepared) error {
	n := 0
	for _, p := range ps {
		n += len(p.spans)
	}
	if n == 0 {
		return nil
	}
	stored, err := w.storedSpans(ps)
	if err != nil {
		return err
	}
	seen := make(map[spanKey]struct{}, n)
	deltas := make(map[telemetry.TraceID]*traceAgg)
	var order []telemetry.TraceID
	args := make([]any, 0, n*spanCols)
	inserted := 0
	for _, p := range ps {
		for i := range p.spans {
			r := &p.spans[i]
			sp := r.s
			seq := w.seqs[sp.TraceID].seq
			k := spanKey{seq, sp.SpanID}
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			if _, dup := stored[k]; dup {
				continue // already stored: idempotent retry
			}
			w.s.lastSpan++
			args = appendSpanRow(args, r, w.s.lastSpan, seq)
			inserted++
			if err := w.addOperation(opKey{r.service, sp.Name, sp.Kind}); err != nil {
				return err
			}
			w.addText(seq, w.s.lastSpan, r.content)
			a := spanAgg(sp, r.service)
			if d := deltas[sp.TraceID]; d != nil {
				d.merge(a)
			} else {
				deltas[sp.TraceID] = a
				order = append(order, sp.TraceID)
			}
			w.addSpanRollup(r)
		}
	}
	if err := w.insertRows("insert_span", spanCols, args); err != nil {
		return err
	}
	newTraces, sessions, err := w.mergeTraces(order, deltas)
	if err != nil {
		return err
	}
	if err := w.refreshSessions(sessions); err != nil {
		return err
	}
	if err := w.addCounter("spans", inserted); err != nil {
		return err
	}
	return w.addCounter("traces", newTraces)
}

// appendSpanRow appends the insert_span values of r, stored as spans.id id.
func appendSpanRow(args []any, r *spanRow, id, seq int64) []any {
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
	return append(args, id, seq, sp.SpanID[:], parent, sp.StartUnixNano, sp.EndUnixNano, r.service, sp.Name,
		int64(sp.Kind), int64(sp.Status.Code), model, in, out, session, r.resID, r.attrs, r.data)
}

// storedSpans returns which spans of the batches, of traces stored before this transaction,
// are already stored.
func (w *writeTx) storedSpans(ps []*prepared) (map[spanKey]struct{}, error) {
	bySeq := make(map[int64][]telemetry.SpanID)
	var seqs []int64
	for _, p := range ps {
		for i := range p.spans {
			sp := p.spans[i].s
			ref := w.seqs[sp.TraceID]
			if ref.isNew {
				continue
			}
			if _, ok := bySeq[ref.seq]; !ok {
				seqs = append(seqs, ref.seq)
			}
			bySeq[ref.seq] = append(bySeq[ref.seq], sp.SpanID)
		}
	}
	stored := make(map[spanKey]struct{})
	if len(seqs) == 0 {
		return stored, nil
	}
	st, err := w.stmt(fmt.Sprintf("select_span_ids*%d", inChunk))
	if err != nil {
		return nil, err
	}
	args := make([]any, 1+inChunk)
	for _, seq := range seqs {
		ids := bySeq[seq]
		for lo := 0; lo < len(ids); lo += inChunk {
			chunk := ids[lo:min(lo+inChunk, len(ids))]
			args[0] = seq
			for i := range inChunk {
				args[1+i] = chunk[min(i, len(chunk)-1)][:]
			}
			if err := scanSpanIDs(w.ctx, st, args, seq, stored); err != nil {
				return nil, err
			}
		}
	}
	return stored, nil
}

func scanSpanIDs(ctx context.Context, st *sql.Stmt, args []any, seq int64, into map[spanKey]struct{}) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("look up stored spans: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return fmt.Errorf("look up stored spans: %w", err)
		}
		k := spanKey{seq: seq}
		copy(k.span[:], raw)
		into[k] = struct{}{}
	}
	return rows.Err()
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
// the trace's seq; src is where the content is stored (spans.id, or -logs.id), so that the
// indexer can read it again after a crash. Documents are inserted by flushText, many per
// statement.
func (w *writeTx) addText(seq, src int64, text string) {
	if text == "" {
		return
	}
	w.s.lastDoc++
	w.docs = append(w.docs, textDoc{id: w.s.lastDoc, seq: seq, src: src, text: text})
}

// flushText records which trace each document added belongs to; the words go to the indexer
// once the transaction commits (commit).
func (w *writeTx) flushText() error {
	if len(w.docs) == 0 {
		return nil
	}
	docs := make([]any, 0, 3*len(w.docs))
	for _, d := range w.docs {
		docs = append(docs, d.id, d.seq, d.src)
	}
	return w.insertRows("insert_fts_doc", 3, docs)
}

// deleteDocs runs the named DELETE ... RETURNING id on fts_docs and remembers the ids, whose
// words the indexer deletes after the commit.
func (w *writeTx) deleteDocs(name string, args ...any) error {
	st, err := w.stmt(name)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(w.ctx, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		w.deletedDocs = append(w.deletedDocs, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// commit commits the transaction, then hands its full-text changes to the indexer and tells
// the checkpointer the WAL grew.
func (w *writeTx) commit() error {
	if err := w.tx.Commit(); err != nil {
		w.forgetCaches()
		return err
	}
	w.s.text.push(w.docs, w.deletedDocs)
	w.s.kickCheckpointer()
	return nil
}

// traceCols is the number of values of one insert_trace row.
const traceCols = 19

// mergeTraces folds each trace's delta into its stored summary: traces this transaction
// created are inserted without a lookup. It returns how many traces are new and the sessions
// to refresh.
func (w *writeTx) mergeTraces(order []telemetry.TraceID, deltas map[telemetry.TraceID]*traceAgg) (int, []string, error) {
	var sessions []string
	seen := make(map[string]bool)
	newTraces := 0
	var rows []any
	for _, id := range order {
		d := deltas[id]
		ref := w.seqs[id]
		var old *traceAgg
		if !ref.isNew {
			var err error
			if old, err = w.loadTrace(id, ref.seq); err != nil {
				return 0, nil, err
			}
		}
		if old == nil {
			newTraces++
			rows = appendTraceRow(rows, ref.seq, d)
		} else {
			old.merge(d)
			d = old
			if err := w.updateTrace(ref.seq, d); err != nil {
				return 0, nil, err
			}
		}
		if d.session != "" && !seen[d.session] {
			seen[d.session] = true
			sessions = append(sessions, d.session)
		}
	}
	if err := w.insertRows("insert_trace", traceCols, rows); err != nil {
		return 0, nil, err
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

// summaryValues returns the nullable columns of a summary: cost, success, success_ns.
func summaryValues(a *traceAgg) (cost, success, successNs any) {
	if a.costKnown {
		cost = a.cost
	}
	if a.success != nil {
		success, successNs = boolInt(*a.success), a.successNs
	}
	return cost, success, successNs
}

// appendTraceRow appends the insert_trace values of a new summary.
func appendTraceRow(rows []any, seq int64, a *traceAgg) []any {
	cost, success, successNs := summaryValues(a)
	return append(rows, seq, a.id[:], a.start, a.end, a.rootName, a.rootService, a.hasRoot,
		a.spans, a.errors, a.gens, a.in, a.out, cost, a.session, a.user, joinSet(a.models),
		joinSet(a.services), success, successNs)
}

func (w *writeTx) updateTrace(seq int64, a *traceAgg) error {
	cost, success, successNs := summaryValues(a)
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

// sessionRowCols is the number of values of one replace_session row.
const sessionRowCols = 12

// refreshSessions recomputes session rows from their traces' summaries, many per statement.
func (w *writeTx) refreshSessions(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	st, err := w.stmt(fmt.Sprintf("session_aggs*%d", inChunk))
	if err != nil {
		return err
	}
	found := make(map[string]bool, len(ids))
	rows := make([]any, 0, len(ids)*sessionRowCols)
	args := make([]any, inChunk)
	for lo := 0; lo < len(ids); lo += inChunk {
		chunk := ids[lo:min(lo+inChunk, len(ids))]
		for i := range args {
			args[i] = chunk[min(i, len(chunk)-1)]
		}
		if rows, err = w.scanSessions(st, args, rows, found); err != nil {
			return err
		}
	}
	for _, id := range ids {
		if !found[id] { // no trace left: only retention gets here
			if _, err := w.exec("delete_session", id); err != nil {
				return err
			}
		}
	}
	return w.insertRows("replace_session", sessionRowCols, rows)
}

func (w *writeTx) scanSessions(st *sql.Stmt, args, out []any, found map[string]bool) ([]any, error) {
	rows, err := st.QueryContext(w.ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("aggregate sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		var errs, gens, in, out2 float64
		var first, last sql.NullInt64
		var cost sql.NullFloat64
		var service, user sql.NullString
		var success sql.NullInt64
		if err := rows.Scan(&id, &n, &errs, &gens, &first, &last, &in, &out2, &cost, &service, &user,
			&success); err != nil {
			return nil, fmt.Errorf("aggregate sessions: %w", err)
		}
		found[id] = true
		var succ, c any
		if success.Valid {
			succ = success.Int64
		}
		if cost.Valid {
			c = cost.Float64
		}
		out = append(out, id, service.String, user.String, n, int64(errs), int64(gens), first.Int64, last.Int64,
			int64(in), int64(out2), c, succ)
	}
	return out, rows.Err()
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
		res, err := w.exec("insert_log", l.TimeUnixNano, trace, span, int64(l.SeverityNumber), r.service,
			r.resID, r.data)
		if err != nil {
			return fmt.Errorf("log %d: %w", i, err)
		}
		if trace != nil && r.content != "" {
			seq, err := w.seqOf(l.TraceID)
			if err != nil {
				return fmt.Errorf("log %d: %w", i, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return fmt.Errorf("log %d: %w", i, err)
			}
			w.addText(seq, -id, r.content)
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
