package reqbody

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Error is a refused body and the HTTP status to answer with: 400 (unreadable), 413 (too
// large), 415 (unknown Content-Encoding) or 429 (the Budget is spent: answer with Retry-After).
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Retryable reports whether the client should send the same request again later (429).
func (e *Error) Retryable() bool { return e.Status == http.StatusTooManyRequests }

// ErrClientGone means the body could not be read because the client went away: nobody reads
// an answer.
var ErrClientGone = errors.New("client went away while sending the body")

// gzipMinSize is the smallest gzip stream: a 10-byte header, an empty deflate block, and the
// 8-byte trailer whose last 4 bytes are the decompressed size (mod 2^32).
const gzipMinSize = 18

// Reader reads request bodies within a size limit, before and after decompression, reserving
// what it holds from a Budget. Buffers and gzip readers are reused between requests. It is safe
// for concurrent use.
type Reader struct {
	limit  int64
	budget *Budget
	bufs   bufPool
	gzips  sync.Pool // *gzip.Reader
}

// NewReader returns a Reader that refuses bodies larger than limit bytes (compressed or
// decompressed) and reserves what it holds from budget.
func NewReader(limit int64, budget *Budget) *Reader {
	return &Reader{limit: limit, budget: budget}
}

// Limit is the largest body accepted, in bytes.
func (rd *Reader) Limit() int64 { return rd.limit }

// TooLarge is the 413 for a body past the limit; what says how ("is", "decompresses to").
func (rd *Reader) TooLarge(what string) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf(
		"request body %s larger than the %d-byte (%.1f MiB) limit; send smaller batches, or raise the limit with --max-body (CAIRN_MAX_BODY)",
		what, rd.limit, float64(rd.limit)/(1<<20))}
}

// Body is a request body in memory, decompressed. Release it as soon as it has been decoded:
// that returns its buffer for reuse and its bytes to the Budget.
type Body struct {
	rd  *Reader
	buf []byte
	res Reservation
}

// Bytes returns the body. It is valid until Release.
func (b *Body) Bytes() []byte { return b.buf }

// Release returns the buffer and the reservation. It may be called more than once.
func (b *Body) Release() {
	if b.buf != nil {
		b.rd.bufs.put(b.buf)
		b.buf = nil
	}
	b.res.Release()
}

// Read reads r's body, decompressing gzip (Content-Encoding gzip or x-gzip). Errors are an
// *Error (answer with its status) or wrap ErrClientGone. The body is read whole first (a
// buffer sized by Content-Length), then inflated into a buffer sized by the gzip trailer, so
// that a well-formed request costs one buffer of each, and a bomb is refused once it has
// filled a buffer of the limit's size.
func (rd *Reader) Read(w http.ResponseWriter, r *http.Request) (*Body, error) {
	if r.ContentLength > rd.limit {
		return nil, rd.TooLarge("is")
	}
	gz := false
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		gz = true
	default:
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Msg: fmt.Sprintf(
			"Content-Encoding %q is not supported; send gzip or no encoding", clip(enc, 32))}
	}
	body := &Body{rd: rd, res: Reservation{b: rd.budget}}
	err := body.readRaw(http.MaxBytesReader(w, r.Body, rd.limit), r.ContentLength)
	if err == nil && gz {
		err = body.gunzip()
	}
	if err != nil {
		body.Release()
		return nil, rd.classify(r, err, gz)
	}
	return body, nil
}

// readRaw reads the body as sent: into one buffer of Content-Length bytes when the client
// declared it, else into a buffer that doubles up to the limit.
func (b *Body) readRaw(src io.Reader, contentLength int64) error {
	first := int64(32 << 10)
	if contentLength >= 0 {
		first = contentLength
	}
	buf, err := b.alloc(min(first, b.rd.limit))
	if err != nil {
		return err
	}
	b.buf, err = b.fill(src, buf, func(c int) int { return int(min(2*int64(c), b.rd.limit)) })
	if errors.Is(err, errFull) {
		return b.rd.TooLarge("is")
	}
	if err != nil {
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// gunzip replaces the compressed body by its decompressed form. The buffer is sized from the
// trailer's ISIZE, which every single-member gzip stream (what exporters send) states exactly;
// if the stream inflates past it (several members, or a lie), the buffer grows once to the
// limit, so that an honest stream never doubles and a bomb stops one byte past the limit.
func (b *Body) gunzip() error {
	raw := b.buf
	limit := b.rd.limit
	zr, err := b.rd.gzipReader(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("gzip header: %w", err)
	}
	defer b.rd.gzips.Put(zr)
	// A trailer past the limit is not refused unread: a truncated or corrupt stream ends in
	// arbitrary bytes, and deserves a 400 rather than a 413.
	hint := int64(0)
	if len(raw) >= gzipMinSize {
		hint = min(int64(binary.LittleEndian.Uint32(raw[len(raw)-4:])), limit)
	}
	out, err := b.alloc(hint)
	if err != nil {
		return err
	}
	out, err = b.fill(zr, out, func(int) int { return int(limit) })
	// The compressed form is no longer needed, whatever happened.
	b.free(raw)
	b.buf = out
	switch {
	case errors.Is(err, errFull):
		return b.rd.TooLarge("decompresses to")
	case err != nil:
		return fmt.Errorf("body: %w", err)
	}
	return nil
}

// errFull means fill stopped with more to read: the body is larger than the caller accepts.
var errFull = errors.New("body larger than its buffer may grow")

// fill reads src to its end into buf, growing it to next(cap) when it is full and more is
// coming; when next no longer grows it, it stops with errFull.
func (b *Body) fill(src io.Reader, buf []byte, next func(int) int) ([]byte, error) {
	for {
		for len(buf) < cap(buf) {
			n, err := src.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err == io.EOF {
				return buf, nil
			}
			if err != nil {
				return buf, err
			}
		}
		// Full: probe for one more byte before growing, so that a body of exactly the
		// declared size costs no second buffer.
		var probe [1]byte
		n, err := readSome(src, probe[:])
		if n == 0 {
			if err == io.EOF {
				return buf, nil
			}
			return buf, err
		}
		c := next(cap(buf))
		if c <= cap(buf) {
			return buf, errFull
		}
		grown, err := b.alloc(int64(c))
		if err != nil {
			return buf, err
		}
		grown = append(append(grown, buf...), probe[0])
		b.free(buf)
		buf = grown
	}
}

// readSome reads until it gets a byte or an error: Read may return 0, nil.
func readSome(src io.Reader, p []byte) (int, error) {
	for range 100 {
		if n, err := src.Read(p); n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// alloc reserves a buffer of at least n bytes (n <= limit) and returns it empty. Its capacity
// is n rounded up to a pooled size class, but never past the limit, and all of it counts.
func (b *Body) alloc(n int64) ([]byte, error) {
	c := min(b.rd.bufs.capFor(int(n)), int(max(n, b.rd.limit)))
	if err := b.res.Grow(int64(c)); err != nil {
		return nil, err
	}
	return b.rd.bufs.get(c), nil
}

// free returns a buffer that alloc gave and its reservation.
func (b *Body) free(buf []byte) {
	_ = b.res.Set(b.res.held - int64(cap(buf)))
	b.rd.bufs.put(buf)
}

func (rd *Reader) gzipReader(src io.Reader) (*gzip.Reader, error) {
	if zr, ok := rd.gzips.Get().(*gzip.Reader); ok {
		if err := zr.Reset(src); err != nil {
			rd.gzips.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(src)
}

// classify turns a failed read into what the receiver answers: the *Error as it is, past the
// compressed limit (413), a client that went away (no answer), or an unreadable body such as
// corrupt or truncated gzip (400).
func (rd *Reader) classify(r *http.Request, err error, gz bool) error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return rd.TooLarge("is")
	}
	if r.Context().Err() != nil {
		return fmt.Errorf("%w: %w", ErrClientGone, err)
	}
	hint := "send the body whole"
	if gz {
		hint += ", gzip-compressed only when Content-Encoding says gzip"
	}
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("read %v; %s", err, hint)}
}

// clip shortens a client-supplied string for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
