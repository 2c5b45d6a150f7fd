package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// readTx runs f in one read transaction, so every statement sees the same snapshot.
func (s *Store) readTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return f(tx)
}

// resources decodes dictionary entries for one read; spans sharing a resource share the pointer.
type resources struct {
	s   *Store
	tx  *sql.Tx
	ctx context.Context
	m   map[int64]*telemetry.Resource
}

func (s *Store) newResources(ctx context.Context, tx *sql.Tx) *resources {
	return &resources{s: s, tx: tx, ctx: ctx, m: make(map[int64]*telemetry.Resource)}
}

func (r *resources) get(id sql.NullInt64) (*telemetry.Resource, error) {
	if !id.Valid {
		return nil, nil
	}
	if res, ok := r.m[id.Int64]; ok {
		return res, nil
	}
	raw, err := r.s.resourceBytes(r.ctx, r.tx, id.Int64)
	if err != nil {
		return nil, err
	}
	d := &decoder{b: raw}
	res := &telemetry.Resource{Attributes: d.attrs(0)}
	if d.err != nil {
		return nil, fmt.Errorf("resource %d: %w", id.Int64, d.err)
	}
	r.m[id.Int64] = res
	return res, nil
}

// resourceBytes returns an encoded resource, cached: resources never change once stored.
func (s *Store) resourceBytes(ctx context.Context, tx *sql.Tx, id int64) ([]byte, error) {
	s.resMu.Lock()
	b, ok := s.resCache[id]
	s.resMu.Unlock()
	if ok {
		return b, nil
	}
	if err := tx.QueryRowContext(ctx, q("resource"), id).Scan(&b); err != nil {
		return nil, fmt.Errorf("resource %d: %w", id, err)
	}
	s.resMu.Lock()
	if len(s.resCache) > 10_000 {
		clear(s.resCache)
	}
	s.resCache[id] = b
	s.resMu.Unlock()
	return b, nil
}

// summaryCols is the column list scanned by scanSummary.
const summaryCols = `t.trace_id, t.start_ns, t.end_ns, t.root_name, t.root_service, t.has_root, t.span_count,
  t.error_count, t.gen_count, t.in_tok, t.out_tok, t.cost, t.session, t.user_id, t.models`

type scanner interface{ Scan(dest ...any) error }

// withSeq scans a leading seq column before the columns its scanner's caller asks for.
type withSeq struct {
	scanner
	seq *int64
}

func (w withSeq) Scan(dest ...any) error { return w.scanner.Scan(append([]any{w.seq}, dest...)...) }

func scanSummary(row scanner) (store.TraceSummary, error) {
	var t store.TraceSummary
	var id []byte
	var cost sql.NullFloat64
	var models string
	if err := row.Scan(&id, &t.StartUnixNano, &t.EndUnixNano, &t.RootName, &t.RootService, &t.HasRoot,
		&t.SpanCount, &t.ErrorCount, &t.GenerationCount, &t.InputTokens, &t.OutputTokens, &cost, &t.SessionID,
		&t.UserID, &models); err != nil {
		return t, err
	}
	copy(t.TraceID[:], id)
	if cost.Valid {
		c := cost.Float64
		t.CostUSD = &c
	}
	t.Models = splitSet(models)
	return t, nil
}

// GetTrace returns every span (by start) and log record (by time) of a trace.
func (s *Store) GetTrace(ctx context.Context, id telemetry.TraceID) (*store.Trace, error) {
	var t store.Trace
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var seq int64
		err := tx.QueryRowContext(ctx, q("trace_seq"), id[:]).Scan(&seq)
		if err == nil {
			t.Summary, err = scanSummary(tx.QueryRowContext(ctx, q("trace_summary"), seq))
		}
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("trace %s: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("trace %s summary: %w", id, err)
		}
		res := s.newResources(ctx, tx)
		if t.Spans, err = s.traceSpans(ctx, tx, res, id, seq); err != nil {
			return err
		}
		t.Logs, err = s.traceLogs(ctx, tx, res, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func (s *Store) traceSpans(ctx context.Context, tx *sql.Tx, res *resources, id telemetry.TraceID, seq int64) ([]*telemetry.Span, error) {
	rows, err := tx.QueryContext(ctx, q("trace_spans"), seq)
	if err != nil {
		return nil, fmt.Errorf("spans of trace %s: %w", id, err)
	}
	defer rows.Close()
	var spans []*telemetry.Span
	for rows.Next() {
		sp := &telemetry.Span{TraceID: id}
		var spanID, parent, blob []byte
		var session sql.NullString
		var resID sql.NullInt64
		var kind, status int64
		var service string
		if err := rows.Scan(&spanID, &parent, &sp.StartUnixNano, &sp.EndUnixNano, &service, &sp.Name, &kind, &status,
			&session, &resID, &blob); err != nil {
			return nil, fmt.Errorf("scan span of trace %s: %w", id, err)
		}
		copy(sp.SpanID[:], spanID)
		copy(sp.ParentSpanID[:], parent)
		sp.Kind, sp.Status.Code, sp.SessionID = telemetry.SpanKind(kind), telemetry.StatusCode(status), session.String
		if sp.Resource, err = res.get(resID); err != nil {
			return nil, err
		}
		raw, err := s.decompress(blob)
		if err != nil {
			return nil, fmt.Errorf("span %s: %w", sp.SpanID, err)
		}
		if err := decodeSpan(raw, sp); err != nil {
			return nil, fmt.Errorf("span %s: %w", sp.SpanID, err)
		}
		spans = append(spans, sp)
	}
	return spans, rows.Err()
}

func (s *Store) traceLogs(ctx context.Context, tx *sql.Tx, res *resources, id telemetry.TraceID) ([]*telemetry.LogRecord, error) {
	rows, err := tx.QueryContext(ctx, q("trace_logs"), id[:])
	if err != nil {
		return nil, fmt.Errorf("logs of trace %s: %w", id, err)
	}
	defer rows.Close()
	var logs []*telemetry.LogRecord
	for rows.Next() {
		l := &telemetry.LogRecord{TraceID: id}
		var spanID, blob []byte
		var resID sql.NullInt64
		var sev int64
		if err := rows.Scan(&l.TimeUnixNano, &spanID, &sev, &resID, &blob); err != nil {
			return nil, fmt.Errorf("scan log of trace %s: %w", id, err)
		}
		copy(l.SpanID[:], spanID)
		l.SeverityNumber = int32(sev)
		if l.Resource, err = res.get(resID); err != nil {
			return nil, err
		}
		raw, err := s.decompress(blob)
		if err != nil {
			return nil, fmt.Errorf("log of trace %s: %w", id, err)
		}
		if err := decodeLog(raw, l); err != nil {
			return nil, fmt.Errorf("log of trace %s: %w", id, err)
		}
		logs = append(logs, l)
	}
	return logs, rows.Err()
}

// Services lists the service names seen, sorted.
func (s *Store) Services(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, q("services"))
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("scan service: %w", err)
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// Operations lists the span names (with kind) seen for a service, or for every service.
func (s *Store) Operations(ctx context.Context, service string) ([]store.Operation, error) {
	var rows *sql.Rows
	var err error
	if service == "" {
		rows, err = s.r.QueryContext(ctx, q("operations_all"))
	} else {
		rows, err = s.r.QueryContext(ctx, q("operations_of"), service)
	}
	if err != nil {
		return nil, fmt.Errorf("list operations of %q: %w", truncate(service), err)
	}
	defer rows.Close()
	out := []store.Operation{}
	for rows.Next() {
		var op store.Operation
		var kind int64
		if err := rows.Scan(&op.Name, &kind); err != nil {
			return nil, fmt.Errorf("scan operation: %w", err)
		}
		op.SpanKind = telemetry.SpanKind(kind)
		out = append(out, op)
	}
	return out, rows.Err()
}
