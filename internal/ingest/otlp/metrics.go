package otlp

import (
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// decodeMetrics decodes an ExportMetricsServiceRequest body into metric points, one per data
// point. err is set only when the body is undecodable.
func decodeMetrics(body []byte, enc encoding) ([]*telemetry.MetricPoint, *report, error) {
	req, fixes, err := decodeTolerant(body, enc, pmetricotlp.NewExportRequest, fixMetrics)
	if err != nil {
		return nil, nil, err
	}
	rep := &report{}
	if fixes != nil && fixes.exemplarsFixed > 0 {
		rep.warn("ids removed from %d exemplars: their trace or span id had the wrong length", fixes.exemplarsFixed)
	}
	return convertMetrics(req.Metrics(), rep), rep, nil
}

func fixMetrics(body []byte, enc encoding) ([]byte, *idFixes, error) {
	if enc == encJSON {
		return fixMetricsJSON(body)
	}
	return fixMetricsProto(body)
}

// metricMeta is what every point of one metric shares.
type metricMeta struct {
	base   telemetry.MetricPoint // Name, Description, Unit, Type, Monotonic, Temporality, Resource, Scope
	ri, si int                   // resourceMetrics and scopeMetrics index, for messages
	mi     int
}

// convertMetrics flattens pdata metrics into one MetricPoint per data point. A number point
// with no value is rejected (counted in partial success); the rest are kept.
func convertMetrics(md pmetric.Metrics, rep *report) []*telemetry.MetricPoint {
	n := md.DataPointCount()
	store := make([]telemetry.MetricPoint, 0, n)
	out := make([]*telemetry.MetricPoint, 0, n)
	emit := func(p telemetry.MetricPoint) {
		store = append(store, p)
		out = append(out, &store[len(store)-1])
	}
	for ri, rm := range md.ResourceMetrics().All() {
		res := convertResource(rm.Resource())
		for si, sm := range rm.ScopeMetrics().All() {
			scope := convertScope(sm.Scope())
			for mi, m := range sm.Metrics().All() {
				meta := metricMeta{ri: ri, si: si, mi: mi, base: telemetry.MetricPoint{
					Name: m.Name(), Description: m.Description(), Unit: m.Unit(), Resource: res, Scope: scope,
				}}
				convertMetric(m, meta, rep, emit)
			}
		}
	}
	return out
}

func convertMetric(m pmetric.Metric, meta metricMeta, rep *report, emit func(telemetry.MetricPoint)) {
	p := meta.base
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		p.Type = telemetry.MetricGauge
		numberPoints(m.Gauge().DataPoints(), p, meta, rep, emit)
	case pmetric.MetricTypeSum:
		s := m.Sum()
		p.Type, p.Monotonic, p.Temporality = telemetry.MetricSum, s.IsMonotonic(), temporality(s.AggregationTemporality())
		numberPoints(s.DataPoints(), p, meta, rep, emit)
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		p.Type, p.Temporality = telemetry.MetricHistogram, temporality(h.AggregationTemporality())
		for _, dp := range h.DataPoints().All() {
			emit(histogramPoint(dp, p))
		}
	case pmetric.MetricTypeExponentialHistogram:
		h := m.ExponentialHistogram()
		p.Type, p.Temporality = telemetry.MetricExponentialHistogram, temporality(h.AggregationTemporality())
		for _, dp := range h.DataPoints().All() {
			emit(exponentialPoint(dp, p))
		}
	case pmetric.MetricTypeSummary:
		p.Type = telemetry.MetricSummary
		for _, dp := range m.Summary().DataPoints().All() {
			emit(summaryPoint(dp, p))
		}
	}
}

func temporality(t pmetric.AggregationTemporality) string {
	switch t {
	case pmetric.AggregationTemporalityDelta:
		return "delta"
	case pmetric.AggregationTemporalityCumulative:
		return "cumulative"
	}
	return ""
}

func numberPoints(dps pmetric.NumberDataPointSlice, p telemetry.MetricPoint, meta metricMeta, rep *report,
	emit func(telemetry.MetricPoint)) {
	for i, dp := range dps.All() {
		switch dp.ValueType() {
		case pmetric.NumberDataPointValueTypeInt:
			p.Value = float64(dp.IntValue())
		case pmetric.NumberDataPointValueTypeDouble:
			p.Value = dp.DoubleValue()
		default:
			rep.reject("metric %q point %d (resourceMetrics[%d].scopeMetrics[%d].metrics[%d]) rejected: it has no value",
				p.Name, i, meta.ri, meta.si, meta.mi)
			continue
		}
		p.StartTimeUnixNano, p.TimeUnixNano = nanos(dp.StartTimestamp()), nanos(dp.Timestamp())
		p.Attributes = convertAttrs(dp.Attributes())
		emit(p)
	}
}

func histogramPoint(dp pmetric.HistogramDataPoint, p telemetry.MetricPoint) telemetry.MetricPoint {
	p.StartTimeUnixNano, p.TimeUnixNano = nanos(dp.StartTimestamp()), nanos(dp.Timestamp())
	p.Attributes = convertAttrs(dp.Attributes())
	p.Count, p.Sum = dp.Count(), dp.Sum()
	p.Min, p.Max = optional(dp.HasMin(), dp.Min()), optional(dp.HasMax(), dp.Max())
	p.BucketCounts = dp.BucketCounts().AsRaw()
	p.ExplicitBounds = dp.ExplicitBounds().AsRaw()
	// The model promises len(BucketCounts) == len(ExplicitBounds)+1; OTLP allows no buckets at
	// all (count and sum only), which is one bucket holding everything.
	if len(p.BucketCounts) != len(p.ExplicitBounds)+1 {
		p.BucketCounts, p.ExplicitBounds = []uint64{p.Count}, nil
	}
	return p
}

func summaryPoint(dp pmetric.SummaryDataPoint, p telemetry.MetricPoint) telemetry.MetricPoint {
	p.StartTimeUnixNano, p.TimeUnixNano = nanos(dp.StartTimestamp()), nanos(dp.Timestamp())
	p.Attributes = convertAttrs(dp.Attributes())
	p.Count, p.Sum = dp.Count(), dp.Sum()
	qs := dp.QuantileValues()
	p.Quantiles = make([][2]float64, qs.Len())
	for i, q := range qs.All() {
		p.Quantiles[i] = [2]float64{q.Quantile(), q.Value()}
	}
	return p
}

func optional(ok bool, v float64) *float64 {
	if !ok {
		return nil
	}
	return &v
}
