package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// docWords returns the distinct words of a document's content as ingest indexed them, read
// again from the span (src > 0) or log record (src < 0) it was made of, or from the whole trace
// for src 0 (see docWordsFunc); "" when the content is gone.
func (s *Store) docWords(ctx context.Context, seq, src int64) (string, error) {
	if src == 0 {
		return s.traceWords(ctx, seq)
	}
	name := "span_data"
	if src < 0 {
		name, src = "log_data", -src
	}
	var blob []byte
	err := s.r.QueryRowContext(ctx, q(name), src).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%s %d: %w", name, src, err)
	}
	raw, err := s.decompress(blob)
	if err != nil {
		return "", fmt.Errorf("%s %d: %w", name, src, err)
	}
	if name == "span_data" {
		var sp telemetry.Span
		if err := decodeSpan(raw, &sp); err != nil {
			return "", fmt.Errorf("span %d: %w", src, err)
		}
		return distinctWords(sp.ContentText()), nil
	}
	var l telemetry.LogRecord
	if err := decodeLog(raw, &l); err != nil {
		return "", fmt.Errorf("log record %d: %w", src, err)
	}
	return distinctWords(l.ContentText()), nil
}

// traceWords returns the distinct words of the content of every span and log record of the
// trace with sequence number seq ("" when the trace is gone).
func (s *Store) traceWords(ctx context.Context, seq int64) (string, error) {
	var words string
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var raw []byte
		err := tx.QueryRowContext(ctx, q("trace_id_of_seq"), seq).Scan(&raw)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("trace id of seq %d: %w", seq, err)
		}
		var id telemetry.TraceID
		copy(id[:], raw)
		res := s.newResources(ctx, tx)
		spans, err := s.traceSpans(ctx, tx, res, id, seq)
		if err != nil {
			return err
		}
		logs, err := s.traceLogs(ctx, tx, res, id)
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, sp := range spans {
			b.WriteString(sp.ContentText())
			b.WriteByte('\n')
		}
		for _, l := range logs {
			b.WriteString(l.ContentText())
			b.WriteByte('\n')
		}
		words = distinctWords(b.String())
		return nil
	})
	return words, err
}

// docRange lists the documents (id, seq, src) with from < id <= to, at most limit, in id order.
func (s *Store) docRange(ctx context.Context, from, to int64, limit int) ([][3]int64, error) {
	rows, err := s.r.QueryContext(ctx, q("doc_range"), from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("list text documents after %d: %w", from, err)
	}
	defer rows.Close()
	var out [][3]int64
	for rows.Next() {
		var d [3]int64
		if err := rows.Scan(&d[0], &d[1], &d[2]); err != nil {
			return nil, fmt.Errorf("list text documents after %d: %w", from, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
