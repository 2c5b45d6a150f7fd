package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
)

// version3Rollups is the rollup table of schema versions 2 and 3: one row per minute.
const version3Rollups = `CREATE TABLE genai_rollups (
  minute_ns INTEGER NOT NULL,
  service   TEXT    NOT NULL,
  operation TEXT    NOT NULL,
  model     TEXT    NOT NULL,
  provider  TEXT    NOT NULL,
  source    INTEGER NOT NULL,
  calls     INTEGER NOT NULL,
  errors    INTEGER NOT NULL,
  in_tok    INTEGER NOT NULL,
  out_tok   INTEGER NOT NULL,
  cost      REAL    NOT NULL,
  cost_n    INTEGER NOT NULL,
  hist      BLOB    NOT NULL,
  PRIMARY KEY (minute_ns, service, operation, model, provider, source)
) WITHOUT ROWID`

// version4Text is the full-text index of schema versions 2 to 4, in cairn.db.
const version4Text = `CREATE VIRTUAL TABLE fts USING fts5 (body, content = '', contentless_delete = 1, detail = none)`

// TestUpgradeFromVersion3 turns a store back into the version 3 layout (minute rollups, no text
// bounds), reopens it, and checks the upgraded store answers as before.
func TestUpgradeFromVersion3(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(21, 22))
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixNano()
	calls := randomCalls(rng, 2000, base, 6*hourNs)
	writeCalls(t, s, rng, calls)
	textFixture(t, s, rng, 400)
	searches := []store.TraceQuery{{Text: "alpha"}, {Text: "gamma"}, {Text: "kappa"}, {Text: "beta", Service: "svc-b"}}
	before := map[int]string{}
	for i, q := range searches {
		before[i] = fmt.Sprint(allPages(t, s, q, 9))
	}
	var pending int
	if err := s.w.QueryRow("SELECT count(*) FROM fts_pending").Scan(&pending); err != nil {
		t.Fatal(err)
	}

	// The version 3 layout, with the minute rows the calls make.
	type key struct {
		minute                              int64
		service, operation, model, provider string
	}
	minutes := map[key]*rollup{}
	for _, c := range calls {
		k := key{minuteOf(c.start), c.service, c.operation, c.model, c.provider}
		r := minutes[k]
		if r == nil {
			r = &rollup{h: make(hist)}
			minutes[k] = r
		}
		r.calls++
		if c.err {
			r.errors++
		}
		r.in += c.in
		r.out += c.out
		if c.cost != nil {
			r.cost += *c.cost
			r.costN++
		}
		r.h[histBucket(float64(c.dur)/1e6)]++
	}
	for _, stmt := range []string{"DROP TABLE genai_rollups", "DROP TABLE genai_groups", "DROP TABLE fts_blocks",
		"DROP TABLE fts_pending", version3Rollups, version4Text, "ALTER TABLE fts_docs DROP COLUMN src"} {
		if _, err := s.w.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for k, r := range minutes {
		if _, err := s.w.Exec("INSERT INTO genai_rollups VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)", k.minute,
			k.service, k.operation, k.model, k.provider, r.calls, r.errors, r.in, r.out, r.cost, r.costN, r.h.encode()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.w.Exec("PRAGMA user_version = 3"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("open version 3: %v", err)
	}
	defer s.Close()
	var v int
	if err := s.w.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("version after upgrade: %d, %v", v, err)
	}
	for _, q := range []store.GenAIQuery{
		{Start: time.Unix(0, base), End: time.Unix(0, base+6*hourNs), Step: time.Hour, GroupBy: "model"},
		{Start: time.Unix(0, base+13*minuteNs), End: time.Unix(0, base+5*hourNs+7), Step: 45 * time.Minute, GroupBy: "service"},
	} {
		got, err := s.GenAISeries(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffSeries(got, expectSeries(calls, q)); d != "" {
			t.Errorf("GenAISeries %+v after upgrade: %s", q, d)
		}
	}
	ms, err := s.Models(ctx, store.ModelQuery{Start: time.Unix(0, base), End: time.Unix(0, base+6*hourNs)})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffModels(ms, expectModels(calls, base, base+6*hourNs)); d != "" {
		t.Errorf("Models after upgrade: %s", d)
	}
	// The upgrade moved the full-text index to text.db, which the indexer rebuilds from the
	// stored content.
	if err := s.WaitIndexed(ctx); err != nil {
		t.Fatal(err)
	}
	for i, q := range searches {
		if got := fmt.Sprint(allPages(t, s, q, 9)); got != before[i] {
			t.Errorf("search %+v after upgrade differs", q)
		}
	}
	var after int
	if err := s.w.QueryRow("SELECT count(*) FROM fts_pending").Scan(&after); err != nil || after != pending {
		t.Errorf("%d documents waiting for spans after upgrade (%v), want %d", after, err, pending)
	}
}
