package genai

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Attribute values arrive typed (OTLP: int64, float64, bool, []any) or as strings
// (Application Insights properties: "30", "0.7", "true", "[\"stop\"]", "('stop',)").
// These helpers accept both so that every mapping works for every transport.

// asString returns v as a string: strings as they are, scalars formatted.
func asString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// asInt returns v as an int64 when it is an integer, an integral float or a string of one.
func asInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case float64:
		if v == math.Trunc(v) && !math.IsInf(v, 0) && math.Abs(v) < 1<<62 {
			return int64(v), true
		}
	case string:
		s := strings.TrimSpace(v)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return asInt(f)
		}
	}
	return 0, false
}

// asFloat returns v as a float64 when it is a finite number or a string of one.
func asFloat(v any) (float64, bool) {
	var f float64
	switch v := v.(type) {
	case float64:
		f = v
	case int64:
		f = float64(v)
	case int:
		f = float64(v)
	case int32:
		f = float64(v)
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// asBool returns v as a bool: true/false in any case (Python writes True), 1/0.
func asBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case int64:
		return v != 0, v == 0 || v == 1
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1":
			return true, true
		case "false", "0":
			return false, true
		}
	}
	return false, false
}

// asStrings returns v as a list of strings: an array, a JSON array string ("[\"stop\"]"), a
// Python repr of a tuple or list ("('stop',)", "['a', 'b']"), or one plain string.
func asStrings(v any) []string {
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := asString(e); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	case string:
		return parseStringList(v)
	}
	if s, ok := asString(v); ok {
		return []string{s}
	}
	return nil
}

// parseStringList parses the string forms of a list of strings.
func parseStringList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if s[0] == '[' {
		var arr []any
		if json.Unmarshal([]byte(s), &arr) == nil {
			return asStrings(arr)
		}
	}
	if (s[0] == '[' && s[len(s)-1] == ']') || (s[0] == '(' && s[len(s)-1] == ')') {
		return parsePythonList(s[1 : len(s)-1])
	}
	return []string{s}
}

// parsePythonList splits the inside of a Python list or tuple repr into its elements,
// unquoting '...' and "..." elements (with backslash escapes) and keeping others as written.
func parsePythonList(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == ',' || c == '\t' || c == '\n':
			i++
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			out = append(out, b.String())
			i = j + 1
		default:
			j := strings.IndexByte(s[i:], ',')
			if j < 0 {
				j = len(s) - i
			}
			out = append(out, strings.TrimSpace(s[i:i+j]))
			i += j
		}
	}
	return out
}

// first returns the value of the first key present in a.
func first(a map[string]any, keys ...string) (any, bool) {
	for _, k := range keys {
		if v, ok := a[k]; ok && v != nil {
			return v, true
		}
	}
	return nil, false
}

// firstString returns the first non-empty string value among keys.
func firstString(a map[string]any, keys ...string) string {
	for _, k := range keys {
		if v, ok := a[k]; ok {
			if s, ok := asString(v); ok && s != "" {
				return s
			}
		}
	}
	return ""
}

// firstInt returns a pointer to the first integer value among keys, nil when none.
func firstInt(a map[string]any, keys ...string) *int64 {
	for _, k := range keys {
		if v, ok := a[k]; ok {
			if n, ok := asInt(v); ok {
				return &n
			}
		}
	}
	return nil
}

// firstFloat returns the first number among keys.
func firstFloat(a map[string]any, keys ...string) (float64, bool) {
	for _, k := range keys {
		if v, ok := a[k]; ok {
			if f, ok := asFloat(v); ok {
				return f, true
			}
		}
	}
	return 0, false
}
