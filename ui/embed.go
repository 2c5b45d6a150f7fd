// Package ui serves Cairn's web UI: a single-page app built by Vite into dist/ and embedded in
// the binary. Build it with `npm ci && npm run build` in this directory before `go build`;
// without a build the handler serves a page that says so.
package ui

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/cairn-dev/cairn/internal/httpgzip"
)

//go:embed all:dist
var dist embed.FS

// contentSecurityPolicy forbids inline and foreign scripts: prompts, completions and attribute
// values are untrusted, and the UI renders them as text only; the policy is the second line of
// defence if a rendering bug ever lets markup through.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// notBuilt is served in place of index.html when the binary was built without `npm run build`.
const notBuilt = `<!doctype html><meta charset="utf-8"><title>Cairn</title>
<p>The Cairn UI was not built into this binary. Run <code>npm ci &amp;&amp; npm run build</code>
in <code>ui/</code>, then rebuild cairn. The JSON API is at <a href="/api/v1/info">/api/v1/info</a>.</p>`

// Options configure Handler.
type Options struct {
	// PreloadTraces makes the page served for /traces/{id} ask the browser to fetch that
	// trace's JSON (GET /api/v1/traces/{id}?view=compact, the page's first request) at once,
	// while it is still loading the script, rather than after it: the two overlap. Leave it off
	// when the API requires a token, which a preload cannot send.
	PreloadTraces bool
}

// Handler serves the built UI. Files under dist/ are served with their content type; hashed
// assets (dist/assets/*) are cached for a year since their names change with their content;
// every other path falls back to index.html, uncached, so client-side routes such as
// /traces/{id} survive a reload. Text files (the bundle, styles, index.html, SVG) go gzipped
// to clients that accept it, each compressed once, when first asked for.
func Handler(opts Options) http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path literal, which "dist" is not.
		panic(err)
	}
	return &handler{files: sub, opts: opts}
}

type handler struct {
	files fs.FS
	opts  Options
	gz    sync.Map // file name → []byte, its gzip form (the embedded files never change)
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the UI is read-only: use GET", http.StatusMethodNotAllowed)
		return
	}
	setSecurityHeaders(w)
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name != "" && name != "index.html" && !strings.HasPrefix(path.Base(name), ".") {
		if data, err := fs.ReadFile(h.files, name); err == nil {
			h.serveAsset(w, r, name, data)
			return
		}
		if strings.HasPrefix(name, "assets/") {
			// A missing hashed asset is a stale page after an upgrade, not a client route.
			http.Error(w, "asset not found: reload the page", http.StatusNotFound)
			return
		}
	}
	h.serveIndex(w, r)
}

// serveAsset writes one built file with its content type and cache lifetime.
func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, name string, data []byte) {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	w.Header().Set("Content-Type", ctype)
	if strings.HasPrefix(name, "assets/") {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	h.writeBody(w, r, name, data)
}

// serveIndex writes index.html (or the not-built page) for any client-side route.
func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	data, err := fs.ReadFile(h.files, "index.html")
	if err != nil {
		data = []byte(notBuilt)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	name := "index.html"
	if m := tracePage.FindStringSubmatch(r.URL.Path); m != nil && h.opts.PreloadTraces && bytes.Contains(data, []byte("</head>")) {
		// The id is hex (the pattern says so), and exactly what the page will put in its URL.
		preload := `<link rel="preload" href="/api/v1/traces/` + m[1] + `?view=compact" as="fetch" crossorigin="anonymous">`
		data = bytes.Replace(data, []byte("</head>"), []byte(preload+"</head>"), 1)
		name = "" // a page of its own: not cached
	}
	h.writeBody(w, r, name, data)
}

// tracePage matches the UI route of one trace, /traces/{32 hex digits}.
var tracePage = regexp.MustCompile(`^/traces/([0-9a-fA-F]{32})/*$`)

func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// writeBody sends a file, in its gzip form when the client accepts gzip and the file is text
// of at least httpgzip.MinSize bytes. name keys the cache of gzip forms; "" is not cached.
func (h *handler) writeBody(w http.ResponseWriter, r *http.Request, name string, data []byte) {
	hdr := w.Header()
	if len(data) >= httpgzip.MinSize && compressible(hdr.Get("Content-Type")) {
		hdr.Add("Vary", "Accept-Encoding")
		if httpgzip.Accepts(r.Header.Get("Accept-Encoding")) {
			data = h.gzipped(name, data)
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}

// gzipped returns the gzip form of a file, compressing it (at the best ratio: it is done once)
// the first time.
func (h *handler) gzipped(name string, data []byte) []byte {
	if z, ok := h.gz.Load(name); ok && name != "" {
		return z.([]byte)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level
	_, _ = zw.Write(data)                                    // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	if name == "" {
		return buf.Bytes()
	}
	z, _ := h.gz.LoadOrStore(name, buf.Bytes())
	return z.([]byte)
}

// compressible reports whether a file of this Content-Type is text worth compressing.
func compressible(contentType string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(contentType, p) {
			return true
		}
	}
	return false
}
