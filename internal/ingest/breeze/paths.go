package breeze

import (
	"net/http"
	"strings"
)

// CollapseSlashes serves next with runs of slashes in the URL path collapsed to one, so that
// //v2.1/track (what the Python exporter requests when the endpoint ends in "/") reaches the
// /v2.1/track route. http.ServeMux would instead answer 301, which the exporters do not follow.
// Put it in front of the whole mux.
func CollapseSlashes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "//") {
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path = collapse(u.Path)
			if u.RawPath != "" {
				u.RawPath = collapse(u.RawPath)
			}
			r2.URL = &u
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

func collapse(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
