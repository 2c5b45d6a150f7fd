package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// defaultLimit is the page size when a query does not say.
const defaultLimit = 20

// maxLimit bounds a page whatever the caller asks.
const maxLimit = 1000

// sqlBuilder collects WHERE conditions and their arguments. Values always travel as
// parameters; only fixed SQL fragments are concatenated.
type sqlBuilder struct {
	conds []string
	args  []any
}

func (b *sqlBuilder) where(cond string, args ...any) {
	b.conds = append(b.conds, cond)
	b.args = append(b.args, args...)
}

func (b *sqlBuilder) clause() string {
	if len(b.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.conds, " AND ")
}

// SearchTraces returns summaries of matching traces, newest first, with a keyset cursor.
func (s *Store) SearchTraces(ctx context.Context, tq store.TraceQuery) (store.TracePage, error) {
	limit := tq.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	b := &sqlBuilder{}
	if err := traceConds(b, tq); err != nil {
		return store.TracePage{}, err
	}
	page := store.TracePage{Traces: []store.TraceSummary{}}
	m := ftsQuery(tq.Text)
	walk, err := s.walkText(ctx, tq, m)
	if err != nil {
		return store.TracePage{}, err
	}
	if walk {
		// A walk that reads too many documents (other filters reject most traces, or a page
		// far down) gives way to walking the traces.
		budget := -1
		if tq.SpanName == "" && len(tq.Attributes) == 0 {
			budget = max(textWalkBudget, 20*(limit+1))
		}
		if page.Traces, walk, err = s.searchText(ctx, b, tq.Start, m, limit, budget); err != nil {
			return store.TracePage{}, err
		}
	}
	if !walk {
		page.Traces = []store.TraceSummary{}
		if err := s.textCond(ctx, b, tq, m); err != nil {
			return store.TracePage{}, err
		}
		query := "SELECT " + summaryCols + " FROM traces t" + b.clause() +
			" ORDER BY t.start_ns DESC, t.trace_id DESC LIMIT ?"
		rows, err := s.r.QueryContext(ctx, query, append(b.args, limit+1)...)
		if err != nil {
			return store.TracePage{}, fmt.Errorf("search traces: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanSummary(rows)
			if err != nil {
				return store.TracePage{}, fmt.Errorf("scan trace summary: %w", err)
			}
			page.Traces = append(page.Traces, t)
		}
		if err := rows.Err(); err != nil {
			return store.TracePage{}, fmt.Errorf("search traces: %w", err)
		}
	}
	if len(page.Traces) > limit {
		page.Traces = page.Traces[:limit]
		last := page.Traces[limit-1]
		page.NextCursor = encodeCursor(last.StartUnixNano, last.TraceID[:])
	}
	return page, nil
}

// traceConds translates a query into conditions on traces t (and its spans).
func traceConds(b *sqlBuilder, tq store.TraceQuery) error {
	if tq.Cursor != "" {
		start, id, err := decodeCursor(tq.Cursor)
		if err != nil {
			return err
		}
		b.where("(t.start_ns < ? OR t.start_ns = ? AND t.trace_id < ?)", start, start, id)
	}
	if !tq.Start.IsZero() {
		b.where("t.start_ns >= ?", tq.Start.UnixNano())
	}
	if !tq.End.IsZero() {
		b.where("t.start_ns < ?", tq.End.UnixNano())
	}
	switch tq.Status {
	case "":
	case "error":
		b.where("t.error_count > 0")
	case "ok":
		b.where("t.error_count = 0")
	default:
		return store.InvalidQuery("status", "%q: want \"ok\" or \"error\"", truncate(tq.Status))
	}
	if tq.MinDuration > 0 {
		b.where("t.end_ns - t.start_ns >= ?", tq.MinDuration.Nanoseconds())
	}
	if tq.MaxDuration > 0 {
		b.where("t.end_ns - t.start_ns <= ?", tq.MaxDuration.Nanoseconds())
	}
	if tq.Session != "" {
		b.where("t.session = ? AND t.session <> ''", tq.Session) // lets the partial index serve it
	}
	if tq.User != "" {
		b.where("t.user_id = ?", tq.User)
	}
	if tq.Model != "" {
		b.where("instr(t.models, ?) > 0", "\n"+setItem(tq.Model)+"\n")
	}
	if tq.Service != "" {
		b.where("instr(t.services, ?) > 0", "\n"+setItem(tq.Service)+"\n")
	}
	spanConds(b, tq)
	return nil
}

// ftsMaterializeMax is the number of matching documents up to which a text search that does
// not walk the documents (see walkText) builds the whole match set; past it the words are
// common, and probing the index per trace, newest first, finds a page after a few probes
// instead of collecting (and sorting) every match.
var ftsMaterializeMax = 20_000 // a variable for tests

// textWalkEndMax is how many traces may start at or after a query's end for a text search to
// walk the documents: each of their documents is read and then set aside.
var textWalkEndMax = 1_000 // a variable for tests

// textWalk lets text searches walk documents (walkText); tests turn it off to compare.
var textWalk = true

// textWalkBudget is how many matching documents a text search reads without filling its page
// (textWalkFullBudget times as many in all) before it gives way to walking the traces, unless
// the search has span filters (a name, attributes): those cost more per trace walked than the
// documents do. A variable for tests.
var textWalkBudget = 2_000

// walkText reports whether a text search walks the matching documents newest first
// (searchText) rather than the traces (textCond). The walk reads about a page's worth of
// documents whatever the words, unless other filters reject most traces; so the traces are
// walked instead when a filter is selective and indexed (a session), when the filter is a user,
// or when many traces started at or after the end of the range (their documents come first).
func (s *Store) walkText(ctx context.Context, tq store.TraceQuery, m string) (bool, error) {
	if m == "" || !textWalk || tq.Session != "" || tq.User != "" {
		return false, nil
	}
	if tq.End.IsZero() {
		return true, nil
	}
	var n int
	if err := s.r.QueryRowContext(ctx, q("traces_from"), tq.End.UnixNano(), textWalkEndMax).Scan(&n); err != nil {
		return false, fmt.Errorf("full-text search: %w", err)
	}
	return n < textWalkEndMax, nil
}

// textCond adds the full-text condition of a search that walks the traces: with a session,
// probe the index for each of its traces; otherwise choose by how many documents match: a rare
// word is answered from its match set (a few traces, sorted), a common word by walking traces
// newest first and probing the index for each until the page is full.
func (s *Store) textCond(ctx context.Context, b *sqlBuilder, tq store.TraceQuery, m string) error {
	if m == "" {
		return nil
	}
	if tq.Session == "" {
		var n int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT rowid FROM fts WHERE fts MATCH ? LIMIT ?)",
			m, ftsMaterializeMax+1).Scan(&n); err != nil {
			return fmt.Errorf("full-text search: %w", err)
		}
		if n <= ftsMaterializeMax {
			b.where("t.seq IN (SELECT d.seq FROM fts_docs d WHERE d.id IN (SELECT rowid FROM fts WHERE fts MATCH ?))", m)
			return nil
		}
	}
	// CROSS JOIN keeps fts_docs outer: each probe is one rowid lookup in the index, not a
	// walk of every match.
	b.where("EXISTS (SELECT 1 FROM fts_docs d CROSS JOIN fts WHERE d.seq = t.seq AND fts.rowid = d.id AND fts MATCH ?)", m)
	return nil
}

// spanConds adds the span-level filters: one span must match all of them.
func spanConds(b *sqlBuilder, tq store.TraceQuery) {
	if tq.Service == "" && tq.SpanName == "" && len(tq.Attributes) == 0 {
		return
	}
	sb := &sqlBuilder{}
	sb.where("s.seq = t.seq")
	if tq.Service != "" {
		sb.where("s.service = ?", tq.Service)
	}
	if tq.SpanName != "" {
		sb.where("s.name = ?", tq.SpanName)
	}
	for _, a := range tq.Attributes {
		if indexableFilter(a.Key, a.Value) {
			sb.where("instr(s.attrs, ?) > 0", "\n"+a.Key+"="+a.Value+"\n")
		} else {
			sb.where("cairn_attr(s.data, ?, ?)", a.Key, a.Value)
		}
	}
	b.where("EXISTS (SELECT 1 FROM spans s"+sb.clause()+")", sb.args...)
}

// ftsQuery turns free text into an FTS5 query: every word a quoted string (so no FTS5 syntax
// from the user is interpreted), all words required. The index keeps no positions
// (detail=none, much cheaper to write), so words are split where the tokenizer would split them
// and each is matched on its own.
func ftsQuery(text string) string {
	words := strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) })
	for i, w := range words {
		words[i] = `"` + w + `"`
	}
	return strings.Join(words, " ")
}

// Cursors are URL-safe base64 of "<ns>:<hex id>:<check>", check being 8 hex digits of a hash
// of the rest: a cursor edited by hand or cut short is refused instead of silently paging from
// an arbitrary point.
func encodeCursor(ns int64, id []byte) string {
	body := strconv.FormatInt(ns, 10) + ":" + hex.EncodeToString(id)
	return base64.RawURLEncoding.EncodeToString([]byte(body + ":" + cursorCheck(body)))
}

func cursorCheck(body string) string {
	return fmt.Sprintf("%08x", uint32(xxhash.Sum64String("cairn-cursor\x00"+body)))
}

// decodeCursor parses a cursor; the error wraps store.ErrInvalidQuery and names the parameter.
func decodeCursor(c string) (int64, []byte, error) {
	bad := store.InvalidQuery("cursor", "%q is not one this server returned: pass nextCursor from the previous page, or start again without a cursor", truncate(c))
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, nil, bad
	}
	i := strings.LastIndexByte(string(raw), ':')
	if i < 0 || string(raw[i+1:]) != cursorCheck(string(raw[:i])) {
		return 0, nil, bad
	}
	n, id, ok := strings.Cut(string(raw[:i]), ":")
	if !ok {
		return 0, nil, bad
	}
	ns, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return 0, nil, bad
	}
	b, err := hex.DecodeString(id)
	if err != nil {
		return 0, nil, bad
	}
	return ns, b, nil
}

// attrMatch implements SQL function cairn_attr(data, key, value): whether the span blob has
// attribute key rendering as value. Used only for filters the attrs column cannot answer.
func (s *Store) attrMatch(_ *sqliteFuncCtx, args []driver.Value) (driver.Value, error) {
	blob, _ := args[0].([]byte)
	key, _ := args[1].(string)
	want, _ := args[2].(string)
	raw, err := s.decompress(blob)
	if err != nil {
		return nil, err
	}
	var sp telemetry.Span
	if err := decodeSpan(raw, &sp); err != nil {
		return nil, err
	}
	v, ok := sp.Attributes[key]
	if ok && renderValue(v) == want {
		return int64(1), nil
	}
	return int64(0), nil
}
