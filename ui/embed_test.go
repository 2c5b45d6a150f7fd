package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func TestHandlerGzip(t *testing.T) {
	bundle := []byte("export const x = 1;\n" + strings.Repeat("function f(){return 42}\n", 200))
	h := &handler{files: fstest.MapFS{
		"index.html":          {Data: []byte(`<!doctype html><title>Cairn</title><script type="module" src="/assets/index.js"></script>`)},
		"assets/index-abc.js": {Data: bundle},
		"favicon.png":         {Data: bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 500)},
	}}
	f := func(path, acceptEncoding string, wantGzip, wantVary bool) []byte {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if got := rec.Header().Get("Content-Encoding") == "gzip"; got != wantGzip {
			t.Errorf("GET %s (%q): gzip %v, want %v", path, acceptEncoding, got, wantGzip)
		}
		if got := rec.Header().Get("Vary") == "Accept-Encoding"; got != wantVary {
			t.Errorf("GET %s: Vary %q", path, rec.Header().Get("Vary"))
		}
		if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
			t.Errorf("GET %s: Content-Length %s for %d bytes", path, cl, len(body))
		}
		if wantGzip {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
		return body
	}
	if got := f("/assets/index-abc.js", "gzip, deflate, br", true, true); !bytes.Equal(got, bundle) {
		t.Errorf("the gzipped bundle decompresses to %d bytes, want the %d of the bundle", len(got), len(bundle))
	}
	f("/assets/index-abc.js", "gzip", true, true) // cached form, same answer
	if got := f("/assets/index-abc.js", "", false, true); !bytes.Equal(got, bundle) {
		t.Errorf("the plain bundle differs")
	}
	f("/traces/abc", "gzip", false, false) // index.html: below the minimum size
	f("/favicon.png", "gzip", false, false)
}

// TestHandlerPreload: the page served for /traces/{id} preloads that trace's compact JSON (the
// page's first request) when enabled; other pages, malformed ids and a disabled option do not.
func TestHandlerPreload(t *testing.T) {
	files := fstest.MapFS{"index.html": {Data: []byte(`<!doctype html><head><title>Cairn</title></head><body></body>`)}}
	const id = "0af7651916cd43dd8448eb211c80319c"
	f := func(preload bool, path string, want bool) {
		t.Helper()
		rec := httptest.NewRecorder()
		(&handler{files: files, opts: Options{PreloadTraces: preload}}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		link := `<link rel="preload" href="/api/v1/traces/` + id + `?view=compact" as="fetch" crossorigin="anonymous"></head>`
		if got := strings.Contains(rec.Body.String(), link); got != want || strings.Count(rec.Body.String(), "preload") > 1 {
			t.Errorf("GET %s (preload %v): %s; want the preload: %v", path, preload, rec.Body, want)
		}
	}
	f(true, "/traces/"+id, true)
	f(true, "/traces/"+id+"?span=b7ad6b7169203331", true)
	f(true, "/traces/"+id+"/", true)
	f(false, "/traces/"+id, false) // an API token: the preload could not send it
	f(true, "/traces", false)
	f(true, "/traces/"+id+"x", false)
	f(true, "/traces/%3Cscript%3E", false)
	f(true, "/sessions/"+id, false)
}
