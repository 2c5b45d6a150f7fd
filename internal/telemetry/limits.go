package telemetry

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxValueBytes is the default cap on one attribute value or log body string: generous,
// because prompts and completions are large by nature.
const DefaultMaxValueBytes = 1 << 20

// Sanitize makes a batch safe to store and show: every string becomes valid UTF-8 (invalid
// bytes are replaced by U+FFFD) and every string value longer than maxValueBytes is cut at a
// rune boundary, with its original size recorded in the item's Truncated map, so nothing is cut
// silently. maxValueBytes <= 0 disables cutting.
func Sanitize(b *Batch, maxValueBytes int) {
	for _, s := range b.Spans {
		s.Name = validUTF8(s.Name)
		s.Status.Message = validUTF8(s.Status.Message)
		sanitizeAttrs(s.Attributes, "", maxValueBytes, &s.Truncated)
		for i := range s.Events {
			s.Events[i].Name = validUTF8(s.Events[i].Name)
			sanitizeAttrs(s.Events[i].Attributes, "events["+strconv.Itoa(i)+"].", maxValueBytes, &s.Truncated)
		}
		for i := range s.Links {
			sanitizeAttrs(s.Links[i].Attributes, "links["+strconv.Itoa(i)+"].", maxValueBytes, &s.Truncated)
		}
		sanitizeResource(s.Resource, maxValueBytes)
	}
	for _, l := range b.Logs {
		l.EventName = validUTF8(l.EventName)
		l.SeverityText = validUTF8(l.SeverityText)
		l.Body = sanitizeValue(l.Body, "body", maxValueBytes, &l.Truncated)
		sanitizeAttrs(l.Attributes, "", maxValueBytes, &l.Truncated)
		sanitizeResource(l.Resource, maxValueBytes)
	}
	for _, m := range b.Metrics {
		m.Name = validUTF8(m.Name)
		var cut map[string]int
		sanitizeAttrs(m.Attributes, "", maxValueBytes, &cut)
		sanitizeResource(m.Resource, maxValueBytes)
	}
}

func sanitizeResource(r *Resource, max int) {
	if r == nil {
		return
	}
	var cut map[string]int
	sanitizeAttrs(r.Attributes, "", max, &cut)
}

func sanitizeAttrs(a Attributes, prefix string, max int, cut *map[string]int) {
	for k, v := range a {
		if !utf8.ValidString(k) {
			delete(a, k)
			k = validUTF8(k)
		}
		a[k] = sanitizeValue(v, prefix+k, max, cut)
	}
}

func sanitizeValue(v any, key string, max int, cut *map[string]int) any {
	switch v := v.(type) {
	case string:
		v = validUTF8(v)
		if max > 0 && len(v) > max {
			if *cut == nil {
				*cut = make(map[string]int)
			}
			(*cut)[key] = len(v)
			return cutAtRune(v, max)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = sanitizeValue(e, key+"["+strconv.Itoa(i)+"]", max, cut)
		}
		return v
	case map[string]any:
		for k, e := range v {
			if !utf8.ValidString(k) {
				delete(v, k)
				k = validUTF8(k)
			}
			v[k] = sanitizeValue(e, key+"."+k, max, cut)
		}
		return v
	default:
		return v
	}
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// cutAtRune returns the longest prefix of s no longer than max bytes that ends on a rune boundary.
func cutAtRune(s string, max int) string {
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
