package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// MetricSeries returns the points of metric mq.Name grouped by (service, attribute set), each
// series holding its latest mq.Limit points in time order.
func (s *Store) MetricSeries(ctx context.Context, mq store.MetricQuery) ([]store.MetricSeries, error) {
	if mq.Name == "" {
		return nil, store.InvalidQuery("name", "a metric name is required")
	}
	limit := mq.Limit
	if limit <= 0 {
		limit = 1000
	}
	b := &sqlBuilder{}
	b.where("name = ?", mq.Name)
	if mq.Service != "" {
		b.where("service = ?", mq.Service)
	}
	if !mq.Start.IsZero() {
		b.where("time_ns >= ?", mq.Start.UnixNano())
	}
	if !mq.End.IsZero() {
		b.where("time_ns < ?", mq.End.UnixNano())
	}
	type seriesKey struct {
		service string
		hash    int64
	}
	byKey := make(map[seriesKey]*store.MetricSeries)
	var order []seriesKey
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT service, attr_hash, time_ns, res_id, data FROM metric_points"+
			b.clause()+" ORDER BY service, attr_hash, time_ns DESC, id DESC", b.args...)
		if err != nil {
			return fmt.Errorf("metric series %q: %w", truncate(mq.Name), err)
		}
		defer rows.Close()
		res := s.newResources(ctx, tx)
		for rows.Next() {
			var k seriesKey
			var ns int64
			var resID sql.NullInt64
			var blob []byte
			if err := rows.Scan(&k.service, &k.hash, &ns, &resID, &blob); err != nil {
				return fmt.Errorf("scan metric point: %w", err)
			}
			ser := byKey[k]
			if ser != nil && len(ser.Points) >= limit {
				continue
			}
			p := &telemetry.MetricPoint{Name: mq.Name, TimeUnixNano: ns}
			raw, err := s.decompress(blob)
			if err != nil {
				return err
			}
			if err := decodeMetric(raw, p); err != nil {
				return fmt.Errorf("metric point of %q: %w", truncate(mq.Name), err)
			}
			if !attrsMatch(p.Attributes, mq.Attributes) {
				continue
			}
			if p.Resource, err = res.get(resID); err != nil {
				return err
			}
			if ser == nil {
				ser = &store.MetricSeries{Name: mq.Name, Type: p.Type, Unit: p.Unit, Service: k.service,
					Attributes: p.Attributes}
				byKey[k] = ser
				order = append(order, k)
			}
			ser.Points = append(ser.Points, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]store.MetricSeries, 0, len(order))
	for _, k := range order {
		ser := byKey[k]
		slices.Reverse(ser.Points)
		out = append(out, *ser)
	}
	return out, nil
}

// attrsMatch reports whether every filter matches an attribute's string rendering.
func attrsMatch(a telemetry.Attributes, filters []store.AttrFilter) bool {
	for _, f := range filters {
		v, ok := a[f.Key]
		if !ok || renderValue(v) != f.Value {
			return false
		}
	}
	return true
}
