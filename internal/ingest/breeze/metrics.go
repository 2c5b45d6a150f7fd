package breeze

import (
	"errors"
	"fmt"
	"math"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// addMetrics converts a MetricData envelope into metric points: a gauge per single measurement,
// or, for an aggregate (count, min or max set; value is then the sum), a delta histogram with
// one bucket. The _OTELRESOURCE_ envelope is the resource, not a metric: it adds nothing.
func (d *decoder) addMetrics(e *envelope) error {
	if e.isOTelResource() {
		return nil
	}
	bd := &e.Data.BaseData
	if len(bd.Metrics) == 0 {
		return errors.New("MetricData has no metrics")
	}
	t, err := parseTime(e.Time)
	if err != nil {
		return err
	}
	res := d.resource(e)
	points := make([]*telemetry.MetricPoint, 0, len(bd.Metrics))
	for i, m := range bd.Metrics {
		if m.Name == "" {
			return fmt.Errorf("metrics[%d] has no name", i)
		}
		if !finite(m.Value) {
			return fmt.Errorf("metrics[%d] %q: value is not a finite number", i, truncate(m.Name, 100))
		}
		p := &telemetry.MetricPoint{
			Name:         m.Name,
			TimeUnixNano: t,
			Attributes:   metricAttributes(bd, m),
			Resource:     res,
			ProjectKey:   e.IKey,
		}
		if m.Count != nil || m.Min != nil || m.Max != nil {
			aggregate(p, m)
		} else {
			p.Type, p.Value = telemetry.MetricGauge, m.Value
		}
		points = append(points, p)
	}
	d.res.Batch.Metrics = append(d.res.Batch.Metrics, points...)
	return nil
}

// aggregate fills a one-bucket delta histogram from an aggregated data point.
func aggregate(p *telemetry.MetricPoint, m dataPoint) {
	p.Type = telemetry.MetricHistogram
	p.Temporality = "delta"
	p.StartTimeUnixNano = p.TimeUnixNano
	p.Sum = m.Value
	p.Count = 1
	if m.Count != nil && *m.Count >= 0 && *m.Count < math.MaxInt64 {
		p.Count = uint64(*m.Count)
	}
	p.BucketCounts = []uint64{p.Count}
	if m.Min != nil && finite(*m.Min) {
		p.Min = m.Min
	}
	if m.Max != nil && finite(*m.Max) {
		p.Max = m.Max
	}
}

func metricAttributes(bd *baseData, m dataPoint) telemetry.Attributes {
	a := make(telemetry.Attributes, len(bd.Properties)+1)
	for k, v := range bd.Properties {
		a[k] = propertyString(v)
	}
	setIfAbsent(a, "cairn.ai.metric_namespace", m.Namespace)
	return a
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
