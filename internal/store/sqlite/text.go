package sqlite

import (
	"fmt"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Text search walks the documents matching a query newest first (search.go). To know when it
// may stop, every block of textBlockDocs documents (fts rowid >> textBlockShift) has in
// fts_blocks an upper bound of the start of the traces its documents belong to. A trace's
// start only moves earlier as spans arrive, so a bound taken once stays true: the start of the
// document's trace at the end of the transaction that indexed it. A document whose trace has
// no summary yet (a log record that came before any span) waits in fts_pending, and is bound
// by the transaction that brings the trace's first spans. Such a trace cannot be found
// meanwhile anyway: search returns summaries.
const (
	textBlockShift = 6
	textBlockDocs  = 1 << textBlockShift
)

// boundText maintains fts_blocks and fts_pending for this transaction; it runs once, after
// every document, span and summary of the transaction is written.
func (w *writeTx) boundText() error {
	// Documents waiting for traces this transaction touched, which may now have a summary. A
	// trace new in this transaction has none.
	var touched []int64
	for _, ref := range w.seqs {
		if !ref.isNew {
			touched = append(touched, ref.seq)
		}
	}
	if len(touched) > 0 {
		var pending bool
		st, err := w.stmt("any_pending")
		if err != nil {
			return err
		}
		if err := st.QueryRowContext(w.ctx).Scan(&pending); err != nil {
			return fmt.Errorf("any_pending: %w", err)
		}
		if pending {
			seqs := jsonInts(touched)
			if _, err := w.exec("bound_pending", seqs); err != nil {
				return err
			}
			if _, err := w.exec("delete_bound_pending", seqs); err != nil {
				return err
			}
		}
	}
	if w.s.lastDoc == w.lastDoc {
		return nil
	}
	if _, err := w.exec("bound_docs", w.lastDoc); err != nil {
		return err
	}
	st, err := w.stmt("unbound_docs")
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(w.ctx, w.lastDoc)
	if err != nil {
		return fmt.Errorf("unbound_docs: %w", err)
	}
	var wait [][2]int64
	for rows.Next() {
		var doc, seq int64
		if err := rows.Scan(&doc, &seq); err != nil {
			rows.Close()
			return fmt.Errorf("unbound_docs: %w", err)
		}
		wait = append(wait, [2]int64{doc, seq})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("unbound_docs: %w", err)
	}
	if len(wait) == 0 {
		return nil
	}
	ids := make(map[int64]telemetry.TraceID, len(w.seqs))
	for id, ref := range w.seqs {
		ids[ref.seq] = id
	}
	for _, d := range wait {
		id := ids[d[1]]
		if _, err := w.exec("insert_pending", d[1], d[0], id[:]); err != nil {
			return err
		}
	}
	return nil
}

// retainText deletes the documents of traces that have no summary and no log record left
// (their log records were deleted by age), and the bounds of blocks left empty.
func (w *writeTx) retainText() error {
	if err := w.deleteDocs("delete_orphan_fts_docs"); err != nil {
		return err
	}
	for _, name := range []string{"delete_orphan_pending", "delete_old_fts_blocks"} {
		if _, err := w.exec(name); err != nil {
			return err
		}
	}
	return nil
}
