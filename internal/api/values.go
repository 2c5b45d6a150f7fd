package api

import (
	"encoding/json"
	"math"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// jsonFloat is a float64 that renders NaN and ±Inf, which JSON cannot carry, as null.
type jsonFloat float64

// MarshalJSON implements json.Marshaler.
func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if !isFinite(float64(f)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// nonFinite renders NaN and ±Inf inside attribute values, where the type of a value is part of
// what it says: as the strings JavaScript would print.
func nonFinite(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case f > 0:
		return "Infinity"
	default:
		return "-Infinity"
	}
}

// renderAttrs returns attributes ready for encoding/json: never nil (JSON {} rather than null),
// and free of values JSON cannot carry. int64 stays a number and []byte becomes base64, as
// encoding/json renders them. The map is returned as it is when nothing needs replacing, which is
// the common case, so rendering does not copy it.
func renderAttrs(a telemetry.Attributes) map[string]any {
	if a == nil {
		return map[string]any{}
	}
	v, _ := jsonSafe(map[string]any(a))
	return v.(map[string]any)
}

// jsonSafe returns v with every non-finite float replaced by a string and every value type
// outside the telemetry model replaced by nil, copying only the maps and slices on the path to a
// replaced value. changed reports whether anything was replaced.
func jsonSafe(v any) (out any, changed bool) {
	switch v := v.(type) {
	case nil, string, bool, int64, int, []byte, json.Number:
		return v, false
	case float64:
		if isFinite(v) {
			return v, false
		}
		return nonFinite(v), true
	case float32:
		return jsonSafe(float64(v))
	case []any:
		var cp []any
		for i, e := range v {
			if se, ch := jsonSafe(e); ch {
				if cp == nil {
					cp = append([]any(nil), v...)
				}
				cp[i] = se
			}
		}
		if cp != nil {
			return cp, true
		}
		return v, false
	case map[string]any:
		var cp map[string]any
		for k, e := range v {
			if se, ch := jsonSafe(e); ch {
				if cp == nil {
					cp = make(map[string]any, len(v))
					for k2, e2 := range v {
						cp[k2] = e2
					}
				}
				cp[k] = se
			}
		}
		if cp != nil {
			return cp, true
		}
		return v, false
	case telemetry.Attributes:
		return jsonSafe(map[string]any(v))
	default:
		// Receivers produce only the types above, but generation content may hold others
		// (decoded tool arguments). A value that cannot encode would take the whole answer
		// down with it, so it is dropped; the check runs only for these rare types.
		if _, err := json.Marshal(v); err != nil {
			return nil, true
		}
		return v, false
	}
}

// safeValue is jsonSafe without the flag.
func safeValue(v any) any {
	out, _ := jsonSafe(v)
	return out
}
