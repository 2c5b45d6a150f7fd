package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// The blob encoding is a compact, typed binary format: JSON would turn int64 attribute values
// into float64 and []byte into strings, and costs more bytes and time. Lengths and counts are
// uvarints; a count is stored as n+1 so that 0 means nil and nil-versus-empty survives a round
// trip. Map keys are written sorted, so equal values encode to equal bytes (the resource
// dictionary hashes them).

// Value tags.
const (
	tagNil byte = iota
	tagString
	tagFalse
	tagTrue
	tagInt
	tagFloat
	tagBytes
	tagArray
	tagMap
)

// maxDepth bounds nesting of decoded values so corrupt input cannot exhaust the stack.
const maxDepth = 128

var errCorrupt = errors.New("corrupt blob")

// encoder appends to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) byte1(v byte)     { e.b = append(e.b, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) f64(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }

func (e *encoder) bool1(v bool) {
	if v {
		e.byte1(1)
	} else {
		e.byte1(0)
	}
}

// count writes n+1, or 0 for a nil collection.
func (e *encoder) count(n int, isNil bool) {
	if isNil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(n) + 1)
}

func (e *encoder) optF64(v *float64) {
	if v == nil {
		e.byte1(0)
		return
	}
	e.byte1(1)
	e.f64(*v)
}

func (e *encoder) optInt(v *int64) {
	if v == nil {
		e.byte1(0)
		return
	}
	e.byte1(1)
	e.varint(*v)
}

// attrs writes a map[string]any with sorted keys.
func (e *encoder) attrs(m map[string]any) {
	e.count(len(m), m == nil)
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.str(k)
		e.value(m[k])
	}
}

// value writes one attribute value. Types outside the model's set are widened (int → int64,
// float32 → float64) or, as a last resort, stored as their decimal/string rendering, so a
// misbehaving receiver can never make a Write fail.
func (e *encoder) value(v any) {
	switch v := v.(type) {
	case nil:
		e.byte1(tagNil)
	case string:
		e.byte1(tagString)
		e.str(v)
	case bool:
		if v {
			e.byte1(tagTrue)
		} else {
			e.byte1(tagFalse)
		}
	case int64:
		e.byte1(tagInt)
		e.varint(v)
	case int:
		e.byte1(tagInt)
		e.varint(int64(v))
	case int32:
		e.byte1(tagInt)
		e.varint(int64(v))
	case uint32:
		e.byte1(tagInt)
		e.varint(int64(v))
	case float64:
		e.byte1(tagFloat)
		e.f64(v)
	case float32:
		e.byte1(tagFloat)
		e.f64(float64(v))
	case []byte:
		e.byte1(tagBytes)
		e.count(len(v), v == nil)
		e.b = append(e.b, v...)
	case []any:
		e.byte1(tagArray)
		e.count(len(v), v == nil)
		for _, x := range v {
			e.value(x)
		}
	case map[string]any:
		e.byte1(tagMap)
		e.attrs(v)
	case []string:
		e.byte1(tagArray)
		e.count(len(v), v == nil)
		for _, x := range v {
			e.value(x)
		}
	default:
		e.byte1(tagString)
		e.str(fmt.Sprint(v))
	}
}

// decoder reads what encoder wrote. Every read is bounds-checked; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte1() byte {
	if d.err != nil || len(d.b) == 0 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bool1() bool { return d.byte1() == 1 }

func (d *decoder) raw(n uint64) []byte {
	if d.err != nil || n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.raw(d.uvarint())) }

func (d *decoder) f64() float64 {
	r := d.raw(8)
	if r == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(r))
}

// count returns (n, isNil); n is bounded by the bytes left so corrupt input cannot make a
// huge allocation (every element takes at least one byte).
func (d *decoder) count() (int, bool) {
	c := d.uvarint()
	if c == 0 {
		return 0, true
	}
	n := c - 1
	if n > uint64(len(d.b)) {
		d.fail()
		return 0, true
	}
	return int(n), false
}

func (d *decoder) optF64() *float64 {
	if d.byte1() == 0 {
		return nil
	}
	v := d.f64()
	return &v
}

func (d *decoder) optInt() *int64 {
	if d.byte1() == 0 {
		return nil
	}
	v := d.varint()
	return &v
}

func (d *decoder) attrs(depth int) map[string]any {
	n, isNil := d.count()
	if isNil || d.err != nil {
		return nil
	}
	m := make(map[string]any, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		m[k] = d.value(depth + 1)
	}
	return m
}

func (d *decoder) value(depth int) any {
	if depth > maxDepth {
		d.fail()
		return nil
	}
	switch d.byte1() {
	case tagNil:
		return nil
	case tagString:
		return d.str()
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return d.varint()
	case tagFloat:
		return d.f64()
	case tagBytes:
		n, isNil := d.count()
		if isNil {
			return []byte(nil)
		}
		return slices.Clone(d.raw(uint64(n)))
	case tagArray:
		n, isNil := d.count()
		if isNil {
			return []any(nil)
		}
		a := make([]any, n)
		for i := range a {
			a[i] = d.value(depth + 1)
		}
		return a
	case tagMap:
		m := d.attrs(depth)
		if m == nil {
			return map[string]any(nil)
		}
		return m
	default:
		d.fail()
		return nil
	}
}

func (d *decoder) intMap() map[string]int {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	m := make(map[string]int, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		m[k] = int(d.varint())
	}
	return m
}

func (e *encoder) intMap(m map[string]int) {
	e.count(len(m), m == nil)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.str(k)
		e.varint(int64(m[k]))
	}
}

func (e *encoder) strs(s []string) {
	e.count(len(s), s == nil)
	for _, x := range s {
		e.str(x)
	}
}

func (d *decoder) strs() []string {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	s := make([]string, n)
	for i := range s {
		s[i] = d.str()
	}
	return s
}

// renderValue renders an attribute value as AttrFilter compares it: true/false, decimal
// numbers, strings as they are; other types as their Go rendering.
func renderValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}
