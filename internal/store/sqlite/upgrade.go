package sqlite

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"slices"
)

//go:embed upgrade.sql
var upgradeSQL string

var upgradeQueries = mustParseQueries(upgradeSQL)

// upgradeTables brings a schema version 2, 3 or 4 file to version 5 in one transaction. From 2
// or 3: per-minute GenAI rollup rows become hour rows (rollup.go), and the text search bounds
// (text.go) are computed for the documents already indexed. Every upgrade drops the full-text
// index from cairn.db: it lives in text.db since version 5, where the indexer rebuilds it from
// the stored content after Open (the caller removed any old text.db).
func (s *Store) upgradeTables(ctx context.Context, from int) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin upgrade: %w", err)
	}
	defer tx.Rollback()
	// A file whose tables are already those of version 4 (only its version number is older)
	// just gets the number.
	var current bool
	if err := tx.QueryRowContext(ctx, upgradeQueries["has version 4 tables"]).Scan(&current); err != nil {
		return fmt.Errorf("inspect %s: %w", s.path, err)
	}
	if !current {
		if err := upgradeTx(ctx, tx); err != nil {
			return fmt.Errorf("upgrade %s from schema version %d: %w", s.path, from, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS fts"); err != nil {
		return fmt.Errorf("upgrade %s: drop the full-text index: %w", s.path, err)
	}
	var hasSrc bool
	if err := tx.QueryRowContext(ctx, upgradeQueries["has fts_docs.src"]).Scan(&hasSrc); err != nil {
		return fmt.Errorf("inspect %s: %w", s.path, err)
	}
	if !hasSrc {
		if _, err := tx.ExecContext(ctx, "ALTER TABLE fts_docs ADD COLUMN src INTEGER"); err != nil {
			return fmt.Errorf("upgrade %s: add fts_docs.src: %w", s.path, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit upgrade of %s: %w", s.path, err)
	}
	// Give the pages of the dropped index back to the file system (5% of the file at 1M spans).
	if _, err := s.w.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
		return fmt.Errorf("upgrade %s: return the old index's pages: %w", s.path, err)
	}
	return nil
}

func upgradeTx(ctx context.Context, tx *sql.Tx) error {
	var ddl []string
	for name := range upgradeQueries {
		if name[0] >= '1' && name[0] <= '9' {
			ddl = append(ddl, name)
		}
	}
	slices.Sort(ddl)
	for _, name := range ddl {
		if _, err := tx.ExecContext(ctx, upgradeQueries[name]); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := upgradeRollups(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, upgradeQueries["drop old rollups"]); err != nil {
		return err
	}
	return upgradeText(ctx, tx)
}

// upgradeRollups packs the minute rows of each hour and group into one hour row.
func upgradeRollups(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, upgradeQueries["old rollups"])
	if err != nil {
		return fmt.Errorf("read minute rollups: %w", err)
	}
	defer rows.Close()
	groups := make(map[groupKey]int64)
	hour := int64(0)
	var order []groupKey
	recs := make(map[groupKey][]minuteRec)
	flush := func() error {
		for _, g := range order {
			id, ok := groups[g]
			if !ok {
				res, err := tx.ExecContext(ctx, q("insert_rollup_group"), g.service, g.operation, g.model, g.provider, g.source)
				if err != nil {
					return err
				}
				if id, err = res.LastInsertId(); err != nil {
					return err
				}
				groups[g] = id
			}
			rs := recs[g]
			t, mask, err := sumMinutes(rs)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, q("replace_rollup"), rollupID(hour, id), mask, encodeTotals(&t),
				encodeMinutes(rs)); err != nil {
				return err
			}
		}
		order = order[:0]
		clear(recs)
		return nil
	}
	for rows.Next() {
		var minute int64
		var g groupKey
		var r minuteRec
		if err := rows.Scan(&minute, &g.service, &g.operation, &g.model, &g.provider, &g.source, &r.calls, &r.errors,
			&r.in, &r.out, &r.cost, &r.costN, &r.hist); err != nil {
			return fmt.Errorf("read minute rollups: %w", err)
		}
		if h := hourOf(minute); h != hour || len(order) == 0 {
			if err := flush(); err != nil {
				return err
			}
			hour = h
		}
		r.off = int((minute - hour) / minuteNs)
		if _, ok := recs[g]; !ok {
			order = append(order, g)
		}
		recs[g] = append(recs[g], r) // minutes ascending: rows come by minute
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read minute rollups: %w", err)
	}
	return flush()
}

// upgradeText bounds every indexed document's block, or keeps it pending.
func upgradeText(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, q("bound_docs"), 0); err != nil {
		return fmt.Errorf("bound text documents: %w", err)
	}
	rows, err := tx.QueryContext(ctx, upgradeQueries["unbound docs"])
	if err != nil {
		return fmt.Errorf("text documents without a summary: %w", err)
	}
	type doc struct {
		id, seq int64
		trace   []byte
	}
	var docs []doc
	for rows.Next() {
		var d doc
		if err := rows.Scan(&d.id, &d.seq, &d.trace); err != nil {
			rows.Close()
			return fmt.Errorf("text documents without a summary: %w", err)
		}
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("text documents without a summary: %w", err)
	}
	for _, d := range docs {
		if _, err := tx.ExecContext(ctx, q("insert_pending"), d.seq, d.id, d.trace); err != nil {
			return fmt.Errorf("pending text document: %w", err)
		}
	}
	return nil
}
