package otlp

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// exponentialPoint converts an exponential histogram point to explicit bounds, which is how the
// model stores every histogram.
func exponentialPoint(dp pmetric.ExponentialHistogramDataPoint, p telemetry.MetricPoint) telemetry.MetricPoint {
	p.StartTimeUnixNano, p.TimeUnixNano = nanos(dp.StartTimestamp()), nanos(dp.Timestamp())
	p.Attributes = convertAttrs(dp.Attributes())
	p.Count, p.Sum = dp.Count(), dp.Sum()
	p.Min, p.Max = optional(dp.HasMin(), dp.Min()), optional(dp.HasMax(), dp.Max())
	p.BucketCounts, p.ExplicitBounds = exponentialToExplicit(dp.Scale(), dp.ZeroCount(), dp.ZeroThreshold(),
		dp.Negative().Offset(), dp.Negative().BucketCounts().AsRaw(),
		dp.Positive().Offset(), dp.Positive().BucketCounts().AsRaw())
	return p
}

// exponentialToExplicit lays the buckets of an exponential histogram out in ascending order
// with their boundaries. At scale s, positive bucket i covers (base^i, base^(i+1)] and negative
// bucket i covers [-base^(i+1), -base^i), with base = 2^(2^-s); the zero bucket covers
// [-threshold, threshold]. Explicit bucket j covers (bounds[j-1], bounds[j]], the first
// reaching down to -Inf and the last up to +Inf, so bounds are the upper edges of every bucket
// but the last. Where the zero bucket does not touch the nearest populated bucket, an empty
// bucket fills the gap so no value is attributed to a wider range than it was recorded in.
// The result always satisfies len(counts) == len(bounds)+1.
func exponentialToExplicit(scale int32, zeroCount uint64, zeroThreshold float64,
	negOffset int32, neg []uint64, posOffset int32, pos []uint64) (counts []uint64, bounds []float64) {
	total := len(neg) + len(pos) + 3
	counts = make([]uint64, 0, total)
	bounds = make([]float64, 0, total)
	add := func(count uint64, upper float64) {
		counts = append(counts, count)
		bounds = append(bounds, upper)
	}
	edge := func(index int64) float64 { return math.Exp2(float64(index) * math.Exp2(-float64(scale))) }
	zt := math.Abs(zeroThreshold)
	for k := len(neg) - 1; k >= 0; k-- { // most negative first
		add(neg[k], -edge(int64(negOffset)+int64(k)))
	}
	if len(neg) > 0 && -edge(int64(negOffset)) < -zt {
		add(0, -zt)
	}
	add(zeroCount, zt)
	if len(pos) > 0 && edge(int64(posOffset)) > zt {
		add(0, edge(int64(posOffset)))
	}
	for k, c := range pos {
		add(c, edge(int64(posOffset)+int64(k)+1))
	}
	return counts, bounds[:len(bounds)-1] // the last bucket is open-ended
}
