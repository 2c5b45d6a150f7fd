package sqlite

import (
	"runtime"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// maxIndexedAttr is the longest attribute key or value rendering kept in the spans.attrs search
// column. Longer values are still searchable: the filter then decodes the span blob.
const maxIndexedAttr = 128

// spanRow is a span ready to insert: everything CPU-heavy (encoding, compression, content text)
// is done before the write transaction starts, in parallel.
type spanRow struct {
	s       *telemetry.Span
	service string
	resID   any // int64 or nil
	attrs   string
	data    []byte
	content string
	model   string
}

type logRow struct {
	l       *telemetry.LogRecord
	service string
	resID   any
	data    []byte
	content string
}

type metricRow struct {
	m        *telemetry.MetricPoint
	service  string
	resID    any
	attrHash int64
	data     []byte
}

// resourceRow is a dictionary entry to insert.
type resourceRow struct {
	id   int64
	data []byte
}

// prepared is a batch ready for the write transaction: everything that needs no lock is done.
type prepared struct {
	spans     []spanRow
	logs      []logRow
	metrics   []metricRow
	resources []resourceRow
}

// Prepare does the CPU-heavy part of writing b (encoding, compression, full-text word
// extraction, resource hashing) on the caller's goroutine, without taking the writer lock, and
// returns the result for WritePrepared. It is safe for concurrent use: the write pipeline calls
// it on each request's goroutine, so the single writer goroutine only runs SQL. b must not
// change until the prepared batch is written.
func (s *Store) Prepare(b *telemetry.Batch) any { return s.prepare(b, false) }

// prepare encodes a batch, spreading the work over GOMAXPROCS goroutines when parallel is set
// (a direct Write, where nothing else runs beside the writer). Resources are deduplicated by
// pointer, then by content hash.
func (s *Store) prepare(b *telemetry.Batch, parallel bool) *prepared {
	p := &prepared{
		spans:   make([]spanRow, len(b.Spans)),
		logs:    make([]logRow, len(b.Logs)),
		metrics: make([]metricRow, len(b.Metrics)),
	}
	resIDs := make(map[*telemetry.Resource]int64)
	seen := make(map[int64]bool)
	resID := func(r *telemetry.Resource) any {
		if r == nil {
			return nil
		}
		if id, ok := resIDs[r]; ok {
			return id
		}
		e := encoder{}
		e.attrs(r.Attributes)
		id := int64(xxhash.Sum64(e.b))
		resIDs[r] = id
		if !seen[id] {
			seen[id] = true
			p.resources = append(p.resources, resourceRow{id: id, data: e.b})
		}
		return id
	}
	for i, sp := range b.Spans {
		p.spans[i] = spanRow{s: sp, service: sp.Service(), resID: resID(sp.Resource)}
	}
	for i, l := range b.Logs {
		p.logs[i] = logRow{l: l, service: l.Resource.ServiceName(), resID: resID(l.Resource)}
	}
	for i, m := range b.Metrics {
		e := encoder{}
		e.attrs(m.Attributes)
		p.metrics[i] = metricRow{m: m, service: m.Resource.ServiceName(), resID: resID(m.Resource),
			attrHash: int64(xxhash.Sum64(e.b))}
	}
	run := func(n int, f func(i int)) {
		if parallel {
			s.parallel(n, f)
			return
		}
		for i := range n {
			f(i)
		}
	}
	run(len(p.spans), func(i int) { s.prepareSpan(&p.spans[i]) })
	run(len(p.logs), func(i int) { s.prepareLog(&p.logs[i]) })
	for i := range p.metrics {
		e := encoder{}
		encodeMetric(&e, p.metrics[i].m)
		p.metrics[i].data = s.compress(nil, e.b)
	}
	return p
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines, in contiguous chunks.
func (s *Store) parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64+1)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}

// encodeBuffers are reused encoding buffers: compress copies what it keeps.
var encodeBuffers = sync.Pool{New: func() any { return &encoder{b: make([]byte, 0, 4096)} }}

func putEncoder(e *encoder) {
	if cap(e.b) <= 1<<20 {
		e.b = e.b[:0]
		encodeBuffers.Put(e)
	}
}

func (s *Store) prepareSpan(r *spanRow) {
	sp := r.s
	e := encodeBuffers.Get().(*encoder)
	encodeSpan(e, sp)
	r.data = s.compress(nil, e.b)
	putEncoder(e)
	r.attrs = attrSearchText(sp.Attributes)
	r.content = distinctWords(sp.ContentText())
	if g := sp.Generation; g != nil {
		r.model = g.RequestModel
		if r.model == "" {
			r.model = g.ResponseModel
		}
	}
}

func (s *Store) prepareLog(r *logRow) {
	e := encodeBuffers.Get().(*encoder)
	encodeLog(e, r.l)
	r.data = s.compress(nil, e.b)
	putEncoder(e)
	if !r.l.TraceID.IsZero() {
		r.content = distinctWords(r.l.ContentText())
	}
}

// isWordRune reports whether r is part of a word for full-text search: what FTS5's unicode61
// tokenizer keeps (letters, numbers, private use) and combining marks.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Co, r)
}

// distinctWords reduces text to its distinct words, space-separated, in first-seen order. The
// full-text index keeps no positions or counts (detail=none), so indexing each word once finds
// the same documents while the tokenizer and index writer do a fraction of the work. Words
// differing only in ASCII case are one word (the tokenizer folds case); other words are
// compared exactly, so nothing the tokenizer would tell apart is dropped. Words are compared by
// a 64-bit hash (a collision, about 1 in 10^16 per pair, would only drop one word of one
// document from the index).
func distinctWords(text string) string {
	if text == "" {
		return ""
	}
	ws := wordSets.Get().(*wordSet)
	defer wordSets.Put(ws)
	ws.reset(len(text) / 4)
	out := ws.out[:0]
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	for i := 0; i < len(text); {
		c := text[i]
		// Skip separators.
		if c < utf8.RuneSelf {
			if !asciiWord[c] {
				i++
				continue
			}
		} else if r, n := utf8.DecodeRuneInString(text[i:]); !isWordRune(r) {
			i += n
			continue
		}
		start := i
		h := uint64(offset)
		for i < len(text) {
			c := text[i]
			if c < utf8.RuneSelf {
				if !asciiWord[c] {
					break
				}
				h = (h ^ uint64(asciiLower[c])) * prime
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) {
				break
			}
			for k := range n {
				h = (h ^ uint64(text[i+k])) * prime
			}
			i += n
		}
		if !ws.add(h) {
			continue
		}
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, text[start:i]...)
	}
	res := string(out)
	if cap(out) <= 64<<10 {
		ws.out = out
	}
	return res
}

// wordSet is a set of word hashes (open addressing, linear probing) and an output buffer,
// reused across calls through wordSets.
type wordSet struct {
	slots []uint64 // 0: empty
	n     int
	out   []byte
}

var wordSets = sync.Pool{New: func() any { return &wordSet{} }}

// reset empties the set, sized for about words entries.
func (ws *wordSet) reset(words int) {
	size := 256
	for size < 2*words {
		size *= 2
	}
	if len(ws.slots) < size || len(ws.slots) > 8*size {
		ws.slots = make([]uint64, size)
	} else {
		clear(ws.slots)
	}
	ws.n = 0
}

// add inserts h and reports whether it was absent.
func (ws *wordSet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 2*(ws.n+1) > len(ws.slots) {
		old := ws.slots
		ws.slots = make([]uint64, 2*len(old))
		ws.n = 0
		for _, v := range old {
			if v != 0 {
				ws.add(v)
			}
		}
	}
	mask := uint64(len(ws.slots) - 1)
	for i := (h ^ h>>29) & mask; ; i = (i + 1) & mask {
		switch ws.slots[i] {
		case 0:
			ws.slots[i] = h
			ws.n++
			return true
		case h:
			return false
		}
	}
}

// asciiLower folds ASCII upper case to lower case.
var asciiLower = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

// asciiWord marks the ASCII letters and digits.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

// attrSearchText renders short attributes as "\nkey=value\n..." so an attribute filter is one
// instr() over a small column instead of a blob decode.
func attrSearchText(a telemetry.Attributes) string {
	if len(a) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('\n')
	for k, v := range a {
		val := renderValue(v)
		if !indexableFilter(k, val) {
			continue
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(val)
		b.WriteByte('\n')
	}
	if b.Len() == 1 {
		return ""
	}
	return b.String()
}

// indexableFilter reports whether attribute key=value can appear in (and so be searched in) the
// attrs column unambiguously: no newline anywhere, no '=' in the key (the first '=' after a
// newline ends the key), and both short.
func indexableFilter(key, value string) bool {
	return len(key) <= maxIndexedAttr && len(value) <= maxIndexedAttr &&
		!strings.ContainsAny(key, "\n=") && !strings.Contains(value, "\n")
}
