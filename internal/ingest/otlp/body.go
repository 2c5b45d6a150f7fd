package otlp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// maxPooledBuffer is the largest body buffer kept for reuse; rarer bigger ones are left to the
// garbage collector so that one huge request does not pin memory forever.
const maxPooledBuffer = 8 << 20

// bodyReader reads request bodies within a size limit, compressed and decompressed, reusing
// buffers and gzip readers between requests (pdata copies what it keeps, so a body buffer is
// free again as soon as decoding is done).
type bodyReader struct {
	limit int64
	bufs  sync.Pool // *bytes.Buffer
	gzips sync.Pool // *gzip.Reader
}

// httpError is a refusal with its HTTP status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// errClientGone means the body could not be read because the client went away: no answer.
var errClientGone = errors.New("client went away while sending the body")

func (br *bodyReader) tooLarge(what string) *httpError {
	return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf(
		"request body %s larger than the %d-byte (%.1f MiB) limit; send smaller batches, or raise the limit with --max-body-bytes",
		what, br.limit, float64(br.limit)/(1<<20))}
}

// read returns the decompressed body in a pooled buffer; release it with put. Errors are an
// *httpError (answer with it) or errClientGone.
func (br *bodyReader) read(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	if r.ContentLength > br.limit {
		return nil, br.tooLarge("is")
	}
	var src io.Reader = http.MaxBytesReader(w, r.Body, br.limit)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := br.gzipReader(src)
		if err != nil {
			return nil, br.readError(r, err, "gzip header")
		}
		defer br.gzips.Put(zr)
		src = zr
	default:
		return nil, &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf(
			"Content-Encoding %q is not supported; send gzip or no encoding", clip(enc, 32))}
	}
	buf := br.get()
	if r.ContentLength > 0 && r.Header.Get("Content-Encoding") == "" {
		buf.Grow(int(r.ContentLength))
	}
	// Read one byte past the limit, so that an oversized (decompressed) body is detected
	// without ever holding more than limit+1 bytes of it: a gzip bomb stops here.
	n, err := buf.ReadFrom(io.LimitReader(src, br.limit+1))
	if err != nil {
		br.put(buf)
		return nil, br.readError(r, err, "body")
	}
	if n > br.limit {
		br.put(buf)
		return nil, br.tooLarge("decompresses to")
	}
	return buf, nil
}

func (br *bodyReader) gzipReader(src io.Reader) (*gzip.Reader, error) {
	if zr, ok := br.gzips.Get().(*gzip.Reader); ok {
		return zr, zr.Reset(src)
	}
	return gzip.NewReader(src)
}

// readError classifies a failed read: past the compressed limit (413), a client that went
// away (no answer), or an unreadable body such as corrupt or truncated gzip (400).
func (br *bodyReader) readError(r *http.Request, err error, what string) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return br.tooLarge("is")
	}
	if r.Context().Err() != nil {
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	return &httpError{http.StatusBadRequest, fmt.Sprintf("read %s: %v; send the body whole, and gzip-compressed only when Content-Encoding says gzip", what, err)}
}

func (br *bodyReader) get() *bytes.Buffer {
	if b, ok := br.bufs.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

func (br *bodyReader) put(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	br.bufs.Put(b)
}

// clip shortens a client-supplied string for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
