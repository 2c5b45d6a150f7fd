package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/cairn-dev/cairn/internal/store"
)

// handlerFunc is one route: it returns the value to render as JSON, or an error. An *apiError
// chooses its status and message; any other error is a 500 whose detail goes to the log only.
type handlerFunc func(r *http.Request) (any, error)

// apiError is an error the client sees as it is, with its HTTP status.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// errorf returns an *apiError with the given status and formatted message.
func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// badRequest returns a 400 *apiError.
func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

// statusOf returns the HTTP status an error is answered with.
func statusOf(err error) int {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e.status
	}
	return http.StatusInternalServerError
}

// serve adapts a handlerFunc to http.Handler: it renders the result or the error, and turns a
// panic into a 500 rather than a dropped connection.
func (s *server) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "api handler panicked", "path", r.URL.Path, "panic", trunc(fmt.Sprint(p)))
				s.writeError(w, r, errorf(http.StatusInternalServerError, "internal error; the server log has the detail"))
			}
		}()
		v, err := h(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if st, ok := v.(streamer); ok {
			s.writeStream(w, r, st)
			return
		}
		s.writeJSON(w, r, http.StatusOK, v)
	})
}

// writeJSON encodes v into a buffer first, so that an encoding failure is still a clean 500, and
// sends it with the headers every API answer carries. HTML escaping stays on: content is
// untrusted, and \u003c keeps it inert should anything ever render the JSON as HTML. Answers
// too large to buffer are streamers (writeStream).
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		s.log.ErrorContext(r.Context(), "api encode response", "path", r.URL.Path, "err", trunc(err.Error()))
		buf.Reset()
		status = http.StatusInternalServerError
		_ = json.NewEncoder(buf).Encode(errorBody{Error: internalMessage})
	}
	h := w.Header()
	setJSONHeaders(h)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// setJSONHeaders sets the headers every API answer carries.
func setJSONHeaders(h http.Header) {
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// jsonBuffers reuses writeJSON's buffers; those grown past maxPooledValue are dropped.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putJSONBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledValue {
		jsonBuffers.Put(b)
	}
}

// internalMessage is all a client learns of a server-side failure.
const internalMessage = "internal error reading the store; the server log has the detail"

type errorBody struct {
	Error string `json:"error"`
}

// writeError answers with {"error": ...}. Client errors carry their message; not-found store
// errors become 404s; anything else is logged (never with request content) and hidden.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, internalMessage
	if e, ok := errors.AsType[*apiError](err); ok {
		status, msg = e.status, e.msg
	} else if errors.Is(err, store.ErrInvalidQuery) {
		// The store refused the query itself (a cursor it did not issue, ...): the client's
		// mistake, and the store's message starts with the parameter's name.
		status, msg = http.StatusBadRequest, invalidQueryMessage(err)
	} else if errors.Is(err, store.ErrNotFound) {
		status, msg = http.StatusNotFound, "not found"
	} else if errors.Is(err, context.Canceled) {
		// The client went away; nobody reads the answer and there is nothing to fix.
		msg = "request canceled"
	} else {
		s.log.ErrorContext(r.Context(), "api store read failed", "path", r.URL.Path, "err", trunc(err.Error()))
	}
	s.writeJSON(w, r, status, errorBody{Error: msg})
}

// invalidQueryMessage is the message of the innermost error of err's chain that wraps
// store.ErrInvalidQuery, which store.InvalidQuery makes "param: what is wrong", without the
// context a caller may have added in front. It is cut to maxErrorBytes.
func invalidQueryMessage(err error) string {
	msg := err.Error()
	for e := err; e != nil && e != store.ErrInvalidQuery; e = errors.Unwrap(e) {
		if errors.Is(e, store.ErrInvalidQuery) {
			msg = e.Error()
		}
	}
	return truncTo(msg, maxErrorBytes)
}

// maxErrorBytes bounds an error message passed on from the store.
const maxErrorBytes = 1000

// trunc keeps values echoed in errors and logs short, cutting at a rune boundary.
func trunc(s string) string { return truncTo(s, 200) }

// truncTo cuts s to at most max bytes (and the mark), at a rune boundary.
func truncTo(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return "…"
}
