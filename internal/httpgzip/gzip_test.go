package httpgzip

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestAccepts(t *testing.T) {
	f := func(header string, want bool) {
		t.Helper()
		if got := Accepts(header); got != want {
			t.Errorf("Accepts(%q) = %v, want %v", header, got, want)
		}
	}
	f("gzip", true)
	f("gzip, deflate, br, zstd", true) // Chromium
	f("deflate, GZIP;q=0.5", true)
	f("x-gzip", true)
	f("*", true)
	f("br;q=1.0, *;q=0.1", true)
	f("", false)
	f("identity", false)
	f("br, deflate", false)
	f("gzip;q=0", false)
	f("gzip; q=0.000", false)
	f("*;q=0", false)
	f("*, gzip;q=0", false) // the explicit refusal wins
	f("gzipped", false)
}

// serve runs h for a GET with the given Accept-Encoding and returns the answer, its body
// decompressed when it says gzip.
func serve(t *testing.T, h http.Handler, method, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, "/x", nil)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	rec := httptest.NewRecorder()
	Handler(h).ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("not gzip: %v", err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatalf("corrupt gzip: %v", err)
		}
	}
	return resp, body
}

// answer is a handler writing body in pieces of chunk bytes, as writeJSON does (headers,
// Content-Length, then the body).
func answer(contentType string, status int, body []byte, chunk int, extra ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(extra); i += 2 {
			w.Header().Set(extra[i], extra[i+1])
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		for len(body) > 0 {
			n := min(chunk, len(body))
			_, _ = w.Write(body[:n])
			body = body[n:]
		}
	})
}

func TestHandler(t *testing.T) {
	big := []byte(`{"spans":[` + strings.Repeat(`{"name":"step","start":123},`, 2000) + `{}]}`)
	small := []byte(`{"services":["a","b"]}`)
	f := func(name string, h http.Handler, method, acceptEncoding string, wantGzip bool, wantBody []byte, wantLength bool) {
		t.Helper()
		resp, body := serve(t, h, method, acceptEncoding)
		if got := resp.Header.Get("Content-Encoding") == "gzip"; got != wantGzip {
			t.Errorf("%s: compressed %v, want %v", name, got, wantGzip)
		}
		if !bytes.Equal(body, wantBody) {
			t.Errorf("%s: body %.80q (%d bytes), want %d bytes", name, body, len(body), len(wantBody))
		}
		if resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: Vary %q, want Accept-Encoding", name, resp.Header.Get("Vary"))
		}
		if got := resp.Header.Get("Content-Length") != ""; got != wantLength {
			t.Errorf("%s: Content-Length %q, want one: %v", name, resp.Header.Get("Content-Length"), wantLength)
		}
	}
	f("large JSON", answer("application/json; charset=utf-8", 200, big, 4096, "X-Content-Type-Options", "nosniff"), "GET", "gzip, br", true, big, false)
	f("large JSON in small writes", answer("application/json", 200, big, 100), "GET", "gzip", true, big, false)
	f("large JSON, one write", answer("application/json", 200, big, len(big)), "GET", "gzip", true, big, false)
	f("large error", answer("application/json", 404, big, 500), "GET", "gzip", true, big, false)
	f("small JSON", answer("application/json", 200, small, 10), "GET", "gzip", false, small, true)
	f("not accepted", answer("application/json", 200, big, 4096), "GET", "br, deflate", false, big, true)
	f("refused", answer("application/json", 200, big, 4096), "GET", "gzip;q=0", false, big, true)
	f("HEAD", answer("application/json", 200, nil, 1), "HEAD", "gzip", false, nil, true)
	f("image", answer("image/png", 200, big, 4096), "GET", "gzip", false, big, true)
	f("already encoded", answer("application/json", 200, big, 4096, "Content-Encoding", "br"), "GET", "gzip", false, big, true)
	f("no Content-Type: sniffed before compressing", answer("", 200, []byte(strings.Repeat("plain text ", 200)), 64), "GET", "gzip", true, []byte(strings.Repeat("plain text ", 200)), false)

	// The sniffed type is the plain body's, not the compressed bytes'.
	resp, _ := serve(t, answer("", 200, []byte(strings.Repeat("plain text ", 200)), 64), "GET", "gzip")
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("sniffed Content-Type %q", ct)
	}
	// No body: the status goes out as it is.
	resp, body := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) }), "GET", "gzip")
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("304: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Encoding"))
	}
	resp, _ = serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "GET", "gzip")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("empty handler: %d %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
}

// TestHandlerAbort: a handler that aborts part-way (http.ErrAbortHandler) still aborts; the gzip
// stream is not ended as if the answer were whole.
func TestHandlerAbort(t *testing.T) {
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bytes.Repeat([]byte("x"), 5000))
		panic(http.ErrAbortHandler)
	}))
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v; want http.ErrAbortHandler", p)
		}
		zr, err := gzip.NewReader(rec.Body)
		if err == nil {
			_, err = io.ReadAll(zr)
		}
		if err == nil {
			t.Errorf("the cut answer reads as a whole gzip stream")
		}
	}()
	h.ServeHTTP(rec, req)
}

// TestHandlerFlush: Flush sends what was written, compressed, before the handler ends.
func TestHandlerFlush(t *testing.T) {
	srv := httptest.NewServer(Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("first"))
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	})))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(zr, buf); err != nil || string(buf) != "first" {
		t.Errorf("read %q, %v; want the flushed %q", buf, err, "first")
	}
}
