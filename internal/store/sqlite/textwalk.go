package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// textChunkMax bounds how many documents searchText reads per statement.
const textChunkMax = 2048

// textWalkFullBudget multiplies a text walk's budget once its page is full: from then on it
// reads only blocks that may hold a better trace, and on live traffic (traces of many recent
// documents overlapping in start time) those can be a few thousand documents. Reading them
// costs a few microseconds each; the trace walk it would give way to probes the index per
// trace, about a millisecond each at a million documents.
const textWalkFullBudget = 8

// textHit is a trace a text walk found: its place in search order, and the seq under which
// its summary is read once the page is known.
type textHit struct {
	seq   int64
	start int64
	id    telemetry.TraceID
}

// before reports whether h sorts before o in search order: newest start first, then the
// larger trace id.
func (h *textHit) before(o *textHit) bool {
	if h.start != o.start {
		return h.start > o.start
	}
	return bytes.Compare(h.id[:], o.id[:]) > 0
}

// searchText answers a text search by walking the documents matching m newest first (by
// document id, that is arrival), looking up the start and id of their traces under the other
// conditions in b (cursor and time range included), and keeping the first limit+1 in search
// order; only their summaries are read. Arrival order is not start order, so it cannot stop
// at limit+1 traces: it stops when fts_blocks shows that no document left belongs to a trace
// that started at or after the last one kept (or the range's start), and neither looks up nor
// reads documents of blocks that hold none. Most pages read a few dozen documents, whether
// the words are common or rare; on live traffic, where recent traces overlap in start time, a
// few thousand.
//
// It gives up, reporting false, once it has read more than budget documents without filling
// the page, or textWalkFullBudget times as many in all (budget < 0: no limit).
func (s *Store) searchText(ctx context.Context, b *sqlBuilder, start time.Time, m string, limit, budget int) ([]store.TraceSummary, bool, error) {
	w := &textWalker{ctx: ctx, m: m, args: b.args, floor: math.MinInt64, want: limit + 1, budget: budget,
		seen: make(map[int64]bool)}
	w.lookup = "SELECT t.seq, t.start_ns, t.trace_id FROM json_each(?) j CROSS JOIN traces t ON t.seq = j.value"
	if len(b.conds) > 0 {
		w.lookup += " AND " + strings.Join(b.conds, " AND ")
	}
	if !start.IsZero() {
		w.floor = start.UnixNano() // traces that start before this do not match
	}
	var page []store.TraceSummary
	done := false
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		w.tx = tx
		var err error
		if done, err = w.run(); err != nil || !done {
			return err
		}
		page, err = w.page()
		return err
	})
	if err != nil || !done {
		return nil, false, err
	}
	return page, true, nil
}

// textWalker is the state of one searchText walk, inside its read transaction.
type textWalker struct {
	ctx    context.Context
	tx     *sql.Tx
	m      string // the FTS5 query
	lookup string // the hits among a JSON array of seqs that meet the other conditions
	args   []any  // the other conditions' arguments
	floor  int64  // traces that start before this do not match
	want   int
	budget int
	read   int            // documents read
	seen   map[int64]bool // seqs looked up
	top    []textHit      // the best want traces so far, in search order
}

// run walks the documents down from the newest, a chunk at a time (growing, as a page needs
// more documents the fewer traces pass the other conditions). It reports false when the walk
// exceeded its budget.
func (w *textWalker) run() (bool, error) {
	hi := int64(math.MaxInt64) // documents below this id are left to read
	chunk := max(w.want, 16)
	for {
		if bound := w.bound(); bound != math.MinInt64 {
			// Skip to the highest block below hi that may hold a better trace.
			c, err := qualifyingBlock(w.ctx, w.tx, bound, (hi-1)>>textBlockShift)
			if err != nil {
				return false, err
			}
			if !c.Valid {
				return true, nil
			}
			hi = min(hi, (c.Int64+1)<<textBlockShift)
		}
		docs, err := w.docs(hi, chunk)
		if err != nil {
			return false, err
		}
		if len(docs) == 0 {
			return true, nil
		}
		if w.read += len(docs); w.overBudget() {
			return false, nil
		}
		if err := w.take(docs); err != nil {
			return false, err
		}
		if len(docs) < chunk {
			return true, nil // every match read
		}
		hi = docs[len(docs)-1][0]
		chunk = min(chunk*4, textChunkMax)
	}
}

// bound is the start a trace must reach (at or after) to enter the page: the range's start,
// or once the page is full, its last trace's start if later.
func (w *textWalker) bound() int64 {
	if len(w.top) == w.want {
		return max(w.floor, w.top[w.want-1].start)
	}
	return w.floor
}

// overBudget reports whether the walk has read more documents than it may.
func (w *textWalker) overBudget() bool {
	switch {
	case w.budget < 0:
		return false
	case len(w.top) < w.want:
		return w.read > w.budget
	default:
		return w.read > textWalkFullBudget*w.budget
	}
}

// docs reads up to n documents matching the query below id hi, newest first, as (document
// id, seq).
func (w *textWalker) docs(hi int64, n int) ([][2]int64, error) {
	rows, err := w.tx.QueryContext(w.ctx, q("text_docs"), w.m, hi, n)
	if err != nil {
		return nil, fmt.Errorf("full-text search: %w", err)
	}
	defer rows.Close()
	docs := make([][2]int64, 0, n)
	for rows.Next() {
		var d [2]int64
		if err := rows.Scan(&d[0], &d[1]); err != nil {
			return nil, fmt.Errorf("full-text search: %w", err)
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("full-text search: %w", err)
	}
	return docs, nil
}

// take adds to the page the traces of docs that may belong on it: not seen before, in a
// block whose bound reaches the page's, and meeting the other conditions.
func (w *textWalker) take(docs [][2]int64) error {
	bound := w.bound()
	var bounds map[int64]int64
	if bound != math.MinInt64 {
		var err error
		if bounds, err = w.blockBounds(docs); err != nil {
			return err
		}
	}
	var seqs []int64
	for _, d := range docs {
		if w.seen[d[1]] {
			continue
		}
		if bound != math.MinInt64 {
			// No bound: the trace has no summary yet, so it cannot match.
			if b, ok := bounds[d[0]>>textBlockShift]; !ok || b < bound {
				continue
			}
		}
		w.seen[d[1]] = true
		seqs = append(seqs, d[1])
	}
	if len(seqs) == 0 {
		return nil
	}
	rows, err := w.tx.QueryContext(w.ctx, w.lookup, append([]any{jsonInts(seqs)}, w.args...)...)
	if err != nil {
		return fmt.Errorf("search traces: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h textHit
		var id sql.RawBytes
		if err := rows.Scan(&h.seq, &h.start, &id); err != nil {
			return fmt.Errorf("search traces: %w", err)
		}
		copy(h.id[:], id)
		w.add(h)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search traces: %w", err)
	}
	return nil
}

// add keeps h if it is among the best want traces so far.
func (w *textWalker) add(h textHit) {
	i := sort.Search(len(w.top), func(i int) bool { return h.before(&w.top[i]) })
	if i >= w.want {
		return
	}
	if len(w.top) == w.want {
		w.top = w.top[:w.want-1]
	}
	w.top = slices.Insert(w.top, i, h)
}

// blockBounds reads the bound (fts_blocks.max_start) of every block docs fall in that has one.
func (w *textWalker) blockBounds(docs [][2]int64) (map[int64]int64, error) {
	var blocks []int64
	for _, d := range docs {
		if b := d[0] >> textBlockShift; len(blocks) == 0 || blocks[len(blocks)-1] != b {
			blocks = append(blocks, b) // docs are in id order, so a block's come together
		}
	}
	rows, err := w.tx.QueryContext(w.ctx, q("text_block_bounds"), jsonInts(blocks))
	if err != nil {
		return nil, fmt.Errorf("full-text search: %w", err)
	}
	defer rows.Close()
	bounds := make(map[int64]int64, len(blocks))
	for rows.Next() {
		var b, maxStart int64
		if err := rows.Scan(&b, &maxStart); err != nil {
			return nil, fmt.Errorf("full-text search: %w", err)
		}
		bounds[b] = maxStart
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("full-text search: %w", err)
	}
	return bounds, nil
}

// page reads the summaries of the traces kept, in search order.
func (w *textWalker) page() ([]store.TraceSummary, error) {
	out := make([]store.TraceSummary, 0, len(w.top))
	if len(w.top) == 0 {
		return out, nil
	}
	seqs := make([]int64, len(w.top))
	for i, h := range w.top {
		seqs[i] = h.seq
	}
	rows, err := w.tx.QueryContext(w.ctx, "SELECT t.seq, "+summaryCols+
		" FROM json_each(?) j CROSS JOIN traces t ON t.seq = j.value", jsonInts(seqs))
	if err != nil {
		return nil, fmt.Errorf("search traces: %w", err)
	}
	defer rows.Close()
	found := make(map[int64]store.TraceSummary, len(seqs))
	for rows.Next() {
		var seq int64
		t, err := scanSummary(withSeq{rows, &seq})
		if err != nil {
			return nil, fmt.Errorf("scan trace summary: %w", err)
		}
		found[seq] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search traces: %w", err)
	}
	for _, h := range w.top {
		t, ok := found[h.seq]
		if !ok {
			return nil, fmt.Errorf("search traces: summary of trace %x vanished within one read transaction", h.id[:])
		}
		out = append(out, t)
	}
	return out, nil
}

// jsonInts renders ints as a JSON array, for json_each.
func jsonInts(v []int64) string {
	b := make([]byte, 0, 8*len(v)+2)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, x, 10)
	}
	return string(append(b, ']'))
}

// qualifyingBlock returns the highest text block at or below block that may hold a document
// of a trace starting at or after bound (invalid: none).
func qualifyingBlock(ctx context.Context, tx *sql.Tx, bound, block int64) (sql.NullInt64, error) {
	var c sql.NullInt64
	err := tx.QueryRowContext(ctx, q("text_block_near"), bound, block).Scan(&c)
	if err == nil && !c.Valid {
		err = tx.QueryRowContext(ctx, q("text_block"), bound, block).Scan(&c)
	}
	if err != nil {
		return c, fmt.Errorf("full-text search: %w", err)
	}
	return c, nil
}
