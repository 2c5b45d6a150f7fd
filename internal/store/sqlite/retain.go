package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
)

// retainChunk is how many traces one retention transaction deletes, so writers wait briefly.
const retainChunk = 500

// Retain deletes data older than r.MaxAge, then, oldest first, data beyond r.MaxBytes.
//
// Size is cairn.db plus its WAL (not the full-text index, text.db: see mainBytes). Deleting frees pages inside the file; the file was
// created with auto_vacuum=INCREMENTAL, so Retain then runs PRAGMA incremental_vacuum to give
// them back and a TRUNCATE checkpoint to fold and empty the WAL, and the file really shrinks.
func (s *Store) Retain(ctx context.Context, r store.Retention) (store.RetentionResult, error) {
	var res store.RetentionResult
	if r.MaxAge > 0 {
		if err := s.deleteOlder(ctx, time.Now().Add(-r.MaxAge).UnixNano(), &res); err != nil {
			return res, err
		}
		if err := s.compact(ctx); err != nil {
			return res, err
		}
	}
	if r.MaxBytes > 0 {
		for range 100 {
			size := s.mainBytes()
			if size <= r.MaxBytes {
				break
			}
			cutoff, ok, err := s.sizeCutoff(ctx)
			if err != nil || !ok {
				return res, err
			}
			if err := s.deleteOlder(ctx, cutoff, &res); err != nil {
				return res, err
			}
			if err := s.compact(ctx); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// sizeCutoff picks a time that removes about a tenth of the traces (at least the oldest item).
func (s *Store) sizeCutoff(ctx context.Context) (int64, bool, error) {
	var traces int64
	if err := s.w.QueryRowContext(ctx, "SELECT value FROM counters WHERE name = 'traces'").Scan(&traces); err != nil {
		return 0, false, fmt.Errorf("count traces: %w", err)
	}
	var oldest sql.NullInt64
	if err := s.w.QueryRowContext(ctx, q("oldest_item")).Scan(&oldest); err != nil {
		return 0, false, fmt.Errorf("find oldest item: %w", err)
	}
	if !oldest.Valid {
		return 0, false, nil // nothing left to delete
	}
	cutoff := oldest.Int64 + 1
	if traces > 10 {
		var q10 int64
		err := s.w.QueryRowContext(ctx, q("trace_start_quantile"), traces/10).Scan(&q10)
		if err != nil && err != sql.ErrNoRows {
			return 0, false, fmt.Errorf("find retention cutoff: %w", err)
		}
		cutoff = max(cutoff, q10)
	}
	return cutoff, true, nil
}

// deleteOlder deletes traces that started before cutoff (with their spans, logs and text) and
// logs, metric points and rollups older than cutoff, in short transactions.
func (s *Store) deleteOlder(ctx context.Context, cutoff int64, res *store.RetentionResult) error {
	for {
		n, err := s.deleteTraceChunk(ctx, cutoff, res)
		if err != nil {
			return err
		}
		if n < retainChunk {
			break
		}
	}
	return s.inWriteTx(ctx, func(w *writeTx) error {
		logOnly, err := w.oldLogOnlyTraces(cutoff)
		if err != nil {
			return err
		}
		for _, c := range []struct {
			name    string
			counter string
			n       *int64
		}{
			{"delete_old_logs", "logs", &res.DeletedLogs},
			{"delete_old_metrics", "metrics", &res.DeletedMetrics},
		} {
			r, err := w.exec(c.name, cutoff)
			if err != nil {
				return err
			}
			if c.n == nil {
				continue
			}
			n, _ := r.RowsAffected()
			*c.n += n
			if err := w.addCounter(c.counter, -int(n)); err != nil {
				return err
			}
		}
		for _, id := range logOnly {
			if _, err := w.exec("delete_orphan_trace_id", id); err != nil {
				return err
			}
		}
		if err := w.retainRollups(cutoff); err != nil {
			return err
		}
		return w.retainText()
	})
}

// oldLogOnlyTraces returns the ids of traces without spans whose log records older than cutoff
// are about to be deleted.
func (w *writeTx) oldLogOnlyTraces(cutoff int64) ([][]byte, error) {
	st, err := w.stmt("old_log_only_traces")
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(w.ctx, cutoff)
	if err != nil {
		return nil, fmt.Errorf("select log-only traces before %d: %w", cutoff, err)
	}
	defer rows.Close()
	var ids [][]byte
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan log-only trace: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Store) deleteTraceChunk(ctx context.Context, cutoff int64, res *store.RetentionResult) (int, error) {
	n := 0
	err := s.inWriteTx(ctx, func(w *writeTx) error {
		st, err := w.stmt("oldest_traces")
		if err != nil {
			return err
		}
		rows, err := st.QueryContext(ctx, cutoff, retainChunk)
		if err != nil {
			return fmt.Errorf("select old traces: %w", err)
		}
		type old struct {
			seq int64
			id  []byte
		}
		var ids []old
		sessions := make(map[string]bool)
		for rows.Next() {
			var o old
			var session string
			if err := rows.Scan(&o.seq, &o.id, &session); err != nil {
				rows.Close()
				return fmt.Errorf("scan old trace: %w", err)
			}
			ids = append(ids, o)
			if session != "" {
				sessions[session] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var spans, logs int64
		for _, o := range ids {
			if err := w.deleteDocs("delete_trace_fts_docs", o.seq); err != nil {
				return err
			}
			for _, name := range []string{"delete_trace_spans", "delete_trace_logs", "delete_trace", "delete_trace_id"} {
				var arg any = o.seq
				if name == "delete_trace_logs" || name == "delete_trace_id" {
					arg = o.id
				}
				r, err := w.exec(name, arg)
				if err != nil {
					return err
				}
				k, _ := r.RowsAffected()
				switch name {
				case "delete_trace_spans":
					spans += k
				case "delete_trace_logs":
					logs += k
				}
			}
		}
		touched := make([]string, 0, len(sessions))
		for id := range sessions {
			touched = append(touched, id)
		}
		slices.Sort(touched)
		if err := w.refreshSessions(touched); err != nil {
			return err
		}
		for name, k := range map[string]int64{"spans": spans, "logs": logs, "traces": int64(len(ids))} {
			if err := w.addCounter(name, -int(k)); err != nil {
				return err
			}
		}
		res.DeletedSpans += spans
		res.DeletedLogs += logs
		n = len(ids)
		return nil
	})
	return n, err
}

// inWriteTx runs f in a write transaction under the writer lock.
func (s *Store) inWriteTx(ctx context.Context, f func(w *writeTx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("begin retention: %w", err)
	}
	if err := f(w); err != nil {
		w.rollback()
		return fmt.Errorf("retention: %w", err)
	}
	if err := ctx.Err(); err != nil {
		w.rollback()
		return fmt.Errorf("retention: %w", err)
	}
	if err := w.commit(); err != nil {
		return fmt.Errorf("commit retention: %w", err)
	}
	return nil
}

// compact returns free pages to the file system and empties the WAL. A checkpoint blocked by a
// long reader is not an error: the next Retain finishes it.
func (s *Store) compact(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.w.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
		return fmt.Errorf("incremental vacuum: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// DiskBytes is the size of the store on disk: both database files (cairn.db and text.db) with
// their WALs and shared-memory indexes, read from the file system without touching the
// databases, so it is cheap enough for every /metrics scrape. Stats().DiskBytes is the same
// number.
func (s *Store) DiskBytes() int64 { return s.diskBytes() }

// diskBytes is the size of both database files (cairn.db and the full-text index text.db),
// their WALs and their shared-memory indexes.
func (s *Store) diskBytes() int64 {
	return filesBytes(s.path) + filesBytes(filepath.Join(filepath.Dir(s.path), "text.db"))
}

// mainBytes is the size of cairn.db, its WAL and its shared-memory index: what retention by
// size bounds. (text.db is left out: FTS5 frees the space of deleted documents only when it
// next merges their segments, so counting it could make retention delete far more than the
// excess.)
func (s *Store) mainBytes() int64 { return filesBytes(s.path) }

// filesBytes is the size of a SQLite file, its WAL and its shared-memory index.
func filesBytes(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// Stats reports row counts (kept by the write path) and the size on disk.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	st := store.Stats{DiskBytes: s.diskBytes()}
	rows, err := s.r.QueryContext(ctx, q("counters"))
	if err != nil {
		return st, fmt.Errorf("read counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			return st, fmt.Errorf("scan counter: %w", err)
		}
		switch name {
		case "spans":
			st.Spans = v
		case "logs":
			st.Logs = v
		case "metrics":
			st.MetricPoints = v
		case "traces":
			st.Traces = v
		}
	}
	return st, rows.Err()
}
