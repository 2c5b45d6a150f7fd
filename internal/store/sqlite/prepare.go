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

// prepared is a batch ready for the write transaction.
type prepared struct {
	spans     []spanRow
	logs      []logRow
	metrics   []metricRow
	resources []resourceRow
	// spansReady receives n when spans[:n] are encoded.
	spansReady chan int
	spansDone  int
}

// prepChunk is how many spans the encoder hands over at a time.
const prepChunk = 32

// waitSpan blocks until spans[i] is encoded.
func (p *prepared) waitSpan(i int) {
	for p.spansDone <= i {
		p.spansDone = <-p.spansReady
	}
}

// prepare encodes a batch. Resources are deduplicated by pointer, then by content hash.
func (s *Store) prepare(b *telemetry.Batch) *prepared {
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
	// Spans are encoded by a goroutine while the write transaction inserts those already done:
	// on two cores, encoding and compression then cost no wall time.
	chunks := (len(p.spans) + prepChunk - 1) / prepChunk
	p.spansReady = make(chan int, chunks)
	go func() {
		for c := range chunks {
			for i := c * prepChunk; i < min((c+1)*prepChunk, len(p.spans)); i++ {
				s.prepareSpan(&p.spans[i])
			}
			p.spansReady <- min((c+1)*prepChunk, len(p.spans))
		}
	}()
	s.parallel(len(p.logs), func(i int) { s.prepareLog(&p.logs[i]) })
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

func (s *Store) prepareSpan(r *spanRow) {
	sp := r.s
	e := encoder{b: make([]byte, 0, 1024)}
	encodeSpan(&e, sp)
	r.data = s.compress(make([]byte, 0, len(e.b)/2+64), e.b)
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
	e := encoder{b: make([]byte, 0, 256)}
	encodeLog(&e, r.l)
	r.data = s.compress(nil, e.b)
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
	seen := make(map[uint64]struct{}, 256)
	out := make([]byte, 0, len(text)/2)
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
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				h = (h ^ uint64(c)) * prime
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
		if _, dup := seen[h]; dup {
			continue
		}
		seen[h] = struct{}{}
		if len(out) > 0 {
			out = append(out, ' ')
		}
		out = append(out, text[start:i]...)
	}
	return string(out)
}

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
