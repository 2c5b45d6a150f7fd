// Package httpgzip compresses HTTP answers with gzip for clients that accept it: Handler for
// dynamic answers (the JSON API), Accepts for handlers that keep precompressed bodies (the UI's
// embedded assets). Standard library only.
//
// A 10,000-span trace is 6.3 MB of JSON and 300 KB gzipped; with a remote browser the transfer
// is most of the page's load time.
package httpgzip

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// MinSize is the smallest answer Handler compresses: below it, the gzip header and the CPU cost
// more than the bytes saved (an answer this small fits one packet anyway).
const MinSize = 1024

// Level is the compression level for dynamic answers: on JSON within a few percent of
// DefaultCompression's size at about 60% of its CPU time.
const Level = 4

// Accepts reports whether an Accept-Encoding header value allows gzip: listed as gzip (or
// x-gzip) or *, with a q-value other than 0; an explicit gzip;q=0 refuses it even with *.
func Accepts(acceptEncoding string) bool {
	star := false
	for part := range strings.SplitSeq(acceptEncoding, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		ok := !zeroQ(params)
		if name == "*" {
			star = ok
			continue
		}
		return ok
	}
	return star
}

// zeroQ reports whether coding parameters hold q=0 (q=0, q=0.0, q=0.000).
func zeroQ(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q == 0
		}
	}
	return false
}

// compressible reports whether a Content-Type is worth compressing: text, JSON, JavaScript,
// SVG, XML. Images, fonts and archives are compressed already.
func compressible(contentType string) bool {
	ct := strings.ToLower(contentType)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	return strings.HasPrefix(ct, "text/") || strings.HasSuffix(ct, "json") || strings.HasSuffix(ct, "+xml") ||
		ct == "application/javascript" || ct == "application/xml" || ct == "image/svg+xml"
}

var writers = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, Level) // Level is valid
	return w
}}

// Handler compresses next's answers with gzip when the request accepts it and the answer is
// compressible, at least MinSize bytes, and not encoded already (no double compression). It
// adds Vary: Accept-Encoding to every answer, compressed or not, so that caches keep the two
// apart, and drops Content-Length from compressed ones. Answers are streamed: the first
// MinSize bytes are held back to decide, the rest is compressed as it is written.
func Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if r.Method == http.MethodHead || !Accepts(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &responseWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				gw.abandon()
				panic(p) // http.ErrAbortHandler and friends: the connection is cut, not ended
			}
			_ = gw.finish()
		}()
		next.ServeHTTP(gw, r)
	})
}

// responseWriter holds back the answer's first MinSize bytes, then sends it compressed or as it
// is.
type responseWriter struct {
	http.ResponseWriter
	status  int          // from WriteHeader, sent with the first bytes
	pending []byte       // written before the decision
	decided bool         // headers sent
	zw      *gzip.Writer // compressing, once decided
}

// WriteHeader records the status; it is sent once the encoding is decided. Informational
// answers go out at once, and answers without a body decide at once, uncompressed.
func (g *responseWriter) WriteHeader(code int) {
	switch {
	case g.decided || g.status != 0:
	case code < 200:
		g.ResponseWriter.WriteHeader(code)
	default:
		g.status = code
		if code == http.StatusNoContent || code == http.StatusNotModified || code == http.StatusPartialContent {
			g.decide(false)
		}
	}
}

func (g *responseWriter) Write(p []byte) (int, error) {
	if g.decided {
		if g.zw != nil {
			return g.zw.Write(p)
		}
		return g.ResponseWriter.Write(p)
	}
	if len(g.pending)+len(p) < MinSize {
		g.pending = append(g.pending, p...)
		return len(p), nil
	}
	if err := g.start(true); err != nil {
		return 0, err
	}
	return g.Write(p)
}

// start decides the encoding (compressing when allowed and wanted) and sends what was held back.
func (g *responseWriter) start(want bool) error {
	h := g.Header()
	if h.Get("Content-Type") == "" && len(g.pending) > 0 {
		// net/http would sniff the compressed bytes: sniff the plain ones.
		h.Set("Content-Type", http.DetectContentType(g.pending))
	}
	g.decide(want && h.Get("Content-Encoding") == "" && compressible(h.Get("Content-Type")))
	if len(g.pending) == 0 {
		return nil
	}
	p := g.pending
	g.pending = nil
	_, err := g.Write(p)
	return err
}

// decide sends the headers, compressed or not.
func (g *responseWriter) decide(compress bool) {
	g.decided = true
	if g.status == 0 {
		g.status = http.StatusOK
	}
	if compress {
		h := g.Header()
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		g.zw = writers.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(g.status)
}

// finish sends what is held back (an answer below MinSize, uncompressed) and ends the gzip
// stream.
func (g *responseWriter) finish() error {
	if !g.decided {
		if g.status == 0 && len(g.pending) == 0 {
			return nil // nothing written: net/http answers 200 with no body itself
		}
		if err := g.start(false); err != nil {
			return err
		}
	}
	if g.zw == nil {
		return nil
	}
	err := g.zw.Close()
	g.zw.Reset(io.Discard)
	writers.Put(g.zw)
	g.zw = nil
	return err
}

// abandon drops the answer after a panic: the gzip stream is not ended, so the client sees a
// cut connection rather than a complete-looking answer.
func (g *responseWriter) abandon() {
	if g.zw != nil {
		g.zw.Reset(io.Discard)
		writers.Put(g.zw)
		g.zw = nil
	}
}

// Flush sends what was written so far: it decides the encoding if still open, flushes the gzip
// stream, then the connection.
func (g *responseWriter) Flush() {
	if !g.decided {
		_ = g.start(true)
	}
	if g.zw != nil {
		_ = g.zw.Flush()
	}
	_ = http.NewResponseController(g.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (g *responseWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
