// Package ui serves Cairn's web UI: a single-page app built by Vite into dist/ and embedded in
// the binary. Build it with `npm ci && npm run build` in this directory before `go build`;
// without a build the handler serves a page that says so.
package ui

import (
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
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

// Handler serves the built UI. Files under dist/ are served with their content type; hashed
// assets (dist/assets/*) are cached for a year since their names change with their content;
// every other path falls back to index.html, uncached, so client-side routes such as
// /traces/{id} survive a reload.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path literal, which "dist" is not.
		panic(err)
	}
	return &handler{files: sub}
}

type handler struct {
	files fs.FS
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
	writeBody(w, r, data)
}

// serveIndex writes index.html (or the not-built page) for any client-side route.
func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	data, err := fs.ReadFile(h.files, "index.html")
	if err != nil {
		data = []byte(notBuilt)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	writeBody(w, r, data)
}

func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

func writeBody(w http.ResponseWriter, r *http.Request, data []byte) {
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(data)
	}
}
