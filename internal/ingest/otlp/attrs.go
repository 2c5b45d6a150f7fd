package otlp

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// convertAttrs turns a pdata map into telemetry.Attributes. It always returns a non-nil map,
// so later stages may add keys. Empty values (an AnyValue with nothing set) are left out:
// telemetry.Attributes has no "empty" value type.
func convertAttrs(m pcommon.Map) telemetry.Attributes {
	out := make(telemetry.Attributes, m.Len())
	for k, v := range m.All() {
		if x, ok := convertValue(v); ok {
			out[k] = x
		}
	}
	return out
}

// convertOptionalAttrs is convertAttrs that returns nil for an empty map, for events and links
// whose attributes are usually absent.
func convertOptionalAttrs(m pcommon.Map) telemetry.Attributes {
	if m.Len() == 0 {
		return nil
	}
	return convertAttrs(m)
}

// convertValue maps an OTLP AnyValue to the value types telemetry.Attributes documents:
// string, bool, int64, float64, []byte, []any and map[string]any. ok is false for an empty value.
func convertValue(v pcommon.Value) (any, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str(), true
	case pcommon.ValueTypeBool:
		return v.Bool(), true
	case pcommon.ValueTypeInt:
		return v.Int(), true
	case pcommon.ValueTypeDouble:
		return v.Double(), true
	case pcommon.ValueTypeBytes:
		return v.Bytes().AsRaw(), true
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		out := make([]any, 0, s.Len())
		for i := range s.Len() {
			if x, ok := convertValue(s.At(i)); ok {
				out = append(out, x)
			}
		}
		return out, true
	case pcommon.ValueTypeMap:
		m := v.Map()
		out := make(map[string]any, m.Len())
		for k, e := range m.All() {
			if x, ok := convertValue(e); ok {
				out[k] = x
			}
		}
		return out, true
	default:
		return nil, false
	}
}

// nanos converts an OTLP timestamp (unsigned nanoseconds) to the model's int64, saturating
// instead of wrapping to a negative time for values past year 2262.
func nanos(t pcommon.Timestamp) int64 {
	if uint64(t) > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(t)
}

// convertResource returns the one *Resource shared by every item of a Resource{Spans,Logs,Metrics}.
func convertResource(r pcommon.Resource) *telemetry.Resource {
	return &telemetry.Resource{Attributes: convertAttrs(r.Attributes())}
}

func convertScope(s pcommon.InstrumentationScope) telemetry.Scope {
	return telemetry.Scope{Name: s.Name(), Version: s.Version()}
}
