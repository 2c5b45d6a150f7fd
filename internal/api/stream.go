package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// streamer is an answer too large to build in memory before sending (a whole trace: 6 MB for
// 10,000 spans): it is encoded piece by piece straight to the client, so that the first bytes
// leave while the rest is encoded and no buffer of the whole answer is ever allocated. Its
// values are made JSON-safe while rendering (jsonSafe), so encoding them does not fail; a
// write error means the client went away.
type streamer interface {
	stream(j *jsonStream) error
}

// jsonStream writes JSON text and values to a buffered writer. It remembers the first error
// and does nothing after it, so that streamers check once at the end.
type jsonStream struct {
	w   *bufio.Writer
	buf bytes.Buffer  // one value at a time
	enc *json.Encoder // into buf: HTML escaping on, as writeJSON
	err error
}

// streamBufferSize is the write buffer between the encoder and the connection (or the gzip
// writer in front of it): large enough that a span is not a write of its own.
const streamBufferSize = 32 << 10

var jsonStreams = sync.Pool{New: func() any {
	j := &jsonStream{w: bufio.NewWriterSize(nil, streamBufferSize)}
	j.enc = json.NewEncoder(&j.buf)
	return j
}}

// maxPooledValue is the largest one-value buffer kept for reuse (a span with a long prompt can
// be megabytes; such buffers are left to the garbage collector).
const maxPooledValue = 1 << 20

func getJSONStream(w io.Writer) *jsonStream {
	j := jsonStreams.Get().(*jsonStream)
	j.w.Reset(w)
	j.err = nil
	return j
}

func putJSONStream(j *jsonStream) {
	j.w.Reset(nil)
	if j.buf.Cap() > maxPooledValue {
		j.buf = bytes.Buffer{}
	}
	jsonStreams.Put(j)
}

// raw writes JSON text as it is.
func (j *jsonStream) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

// value writes v encoded, without the newline json.Encoder ends values with.
func (j *jsonStream) value(v any) {
	if j.err != nil {
		return
	}
	j.buf.Reset()
	if j.err = j.enc.Encode(v); j.err != nil {
		return
	}
	b := j.buf.Bytes()
	_, j.err = j.w.Write(b[:len(b)-1])
}

// list writes n values as a JSON array, item(i) giving the i-th.
func (j *jsonStream) list(n int, item func(i int) any) {
	j.raw("[")
	for i := range n {
		if i > 0 {
			j.raw(",")
		}
		j.value(item(i))
		if j.err != nil {
			return
		}
	}
	j.raw("]")
}

// writeStream sends a streamer's answer with the headers every API answer carries, and without
// Content-Length. An error part-way aborts the connection rather than ending the answer early:
// a cut answer must never look like a whole one.
func (s *server) writeStream(w http.ResponseWriter, r *http.Request, v streamer) {
	setJSONHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	j := getJSONStream(w)
	defer putJSONStream(j)
	err := v.stream(j)
	if err == nil {
		err = j.w.Flush()
	}
	if err != nil {
		if r.Context().Err() == nil {
			s.log.ErrorContext(r.Context(), "api stream response", "path", r.URL.Path, "err", trunc(err.Error()))
		}
		panic(http.ErrAbortHandler)
	}
}
