package otlp

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
)

// HTTPHandler is the OTLP/HTTP receiver: POST /v1/traces, /v1/logs and /v1/metrics with
// protobuf or JSON bodies, optionally gzip-compressed.
type HTTPHandler struct {
	next   consumer.Consumer
	opts   Options
	logger *slog.Logger
	body   *reqbody.Reader
}

// NewHTTPHandler returns an OTLP/HTTP receiver that hands decoded batches to next. A nil
// logger discards.
func NewHTTPHandler(next consumer.Consumer, opts Options, logger *slog.Logger) *HTTPHandler {
	opts = opts.withDefaults()
	return &HTTPHandler{
		next:   next,
		opts:   opts,
		logger: discardIfNil(logger),
		body:   reqbody.NewReader(opts.MaxBodyBytes, opts.Budget),
	}
}

// Register adds the receiver's routes to mux: /v1/traces, /v1/logs and /v1/metrics (POST;
// other methods get 405).
func (h *HTTPHandler) Register(mux *http.ServeMux) {
	mux.Handle("/v1/traces", h.Handler(SignalTraces))
	mux.Handle("/v1/logs", h.Handler(SignalLogs))
	mux.Handle("/v1/metrics", h.Handler(SignalMetrics))
}

// Handler returns the http.Handler for one signal (SignalTraces, SignalLogs or SignalMetrics),
// for servers that mount the receiver on other paths. It panics on an unknown signal.
func (h *HTTPHandler) Handler(signalName string) http.Handler {
	sig := signalByName(signalName)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, sig) })
}

func signalByName(name string) *signal {
	switch name {
	case SignalTraces:
		return tracesSignal
	case SignalLogs:
		return logsSignal
	case SignalMetrics:
		return metricsSignal
	}
	panic(fmt.Sprintf("otlp: unknown signal %q; want traces, logs or metrics", name))
}

// serve answers one export request: 200 with an empty response or partial_success; 400 for an
// undecodable body; 405, 413, 415 for requests OTLP does not allow; 429 or 503 with
// Retry-After when the server cannot take the batch now — its memory budget for request bodies
// is spent, or the consumer is full (nothing acknowledged, the exporter retries). Every failure
// carries a google.rpc.Status in the request's encoding.
func (h *HTTPHandler) serve(w http.ResponseWriter, r *http.Request, sig *signal) {
	enc, ok := requestEncoding(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, enc, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed; OTLP/HTTP exports use POST", clip(r.Method, 16)))
		return
	}
	if !ok {
		writeStatus(w, encJSON, http.StatusUnsupportedMediaType, fmt.Sprintf(
			"Content-Type %q is not supported; send application/x-protobuf or application/json", clip(r.Header.Get("Content-Type"), 64)))
		return
	}
	body, err := h.body.Read(w, r)
	if err != nil {
		h.refuse(w, r, enc, sig, err)
		return
	}
	size := len(body.Bytes())
	// The body goes back to the pool and the budget as soon as it is decoded, not after the
	// commit the request then waits for.
	rep, err := export(r.Context(), h.next, h.opts.Observer, sig, body.Bytes(), enc, body.Release)
	if err != nil {
		h.exportFailed(w, r, enc, sig, size, err)
		return
	}
	h.writeResponse(w, enc, sig, rep)
}

// requestEncoding maps a Content-Type to an encoding; ok is false for unsupported types
// (enc is then JSON, the encoding used to explain the refusal).
func requestEncoding(contentType string) (enc encoding, ok bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return encJSON, false
	}
	switch mt {
	case contentTypeProto, "application/protobuf":
		return encProto, true
	case contentTypeJSON:
		return encJSON, true
	}
	return encJSON, false
}

func (h *HTTPHandler) refuse(w http.ResponseWriter, r *http.Request, enc encoding, sig *signal, err error) {
	if errors.Is(err, reqbody.ErrClientGone) {
		h.logger.LogAttrs(r.Context(), slog.LevelDebug, "otlp: client went away", slog.String("signal", sig.name))
		return
	}
	he, ok := errors.AsType[*reqbody.Error](err)
	if !ok {
		he = &reqbody.Error{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	level := slog.LevelDebug
	if he.Retryable() {
		level = slog.LevelWarn
		w.Header().Set("Retry-After", strconv.Itoa(h.opts.retryAfterSeconds()))
	}
	h.logger.LogAttrs(r.Context(), level, "otlp: request refused", slog.String("signal", sig.name),
		slog.Int("status", he.Status), slog.Int64("content_length", r.ContentLength))
	writeStatus(w, enc, he.Status, he.Msg)
}

// clip shortens a client-supplied string for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// exportFailed answers a request whose batch was not stored. Undecodable data is not logged:
// decoder messages can quote the body, and bodies carry prompts.
func (h *HTTPHandler) exportFailed(w http.ResponseWriter, r *http.Request, enc encoding, sig *signal, size int, err error) {
	ctx := r.Context()
	if _, ok := errors.AsType[*invalidError](err); ok {
		h.logger.LogAttrs(ctx, slog.LevelDebug, "otlp: undecodable request", slog.String("signal", sig.name),
			slog.String("encoding", enc.String()), slog.Int("bytes", size))
		writeStatus(w, enc, http.StatusBadRequest, err.Error())
		return
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return // the client went away; nobody reads an answer
	}
	status := http.StatusServiceUnavailable
	if isOverloaded(err) {
		status = http.StatusTooManyRequests
	}
	h.logger.LogAttrs(ctx, slog.LevelWarn, "otlp: batch not stored; exporter will retry", slog.String("signal", sig.name),
		slog.Int("status", status), slog.String("err", err.Error()))
	w.Header().Set("Retry-After", strconv.Itoa(h.opts.retryAfterSeconds()))
	writeStatus(w, enc, status, "telemetry not stored, retry later: "+err.Error())
}

func (h *HTTPHandler) writeResponse(w http.ResponseWriter, enc encoding, sig *signal, rep *report) {
	body, err := sig.encodeResponse(rep, enc)
	if err != nil {
		writeStatus(w, enc, http.StatusInternalServerError, "encode response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", enc.contentType())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
