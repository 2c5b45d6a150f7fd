package breeze

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/cairn-dev/cairn/internal/authtoken"
	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
)

// DefaultMaxBodyBytes bounds a request body, compressed and decompressed.
const DefaultMaxBodyBytes = 20 << 20

// DefaultRetryAfter is what 429 and 503 answers tell exporters to wait.
const DefaultRetryAfter = 5 * time.Second

// Observer is told how many items each request delivered or lost, per signal (SignalTraces,
// SignalLogs, SignalMetrics; "" for an envelope of unknown type).
type Observer interface {
	// Received counts items committed by the consumer.
	Received(signal string, n int)
	// Rejected counts envelopes refused as invalid (answered with status 400 in errors[], so
	// the exporter drops them). Requests refused as a whole for overload are not counted: the
	// exporter sends them again.
	Rejected(signal string, n int)
}

// Options configure the receiver. The zero value is usable.
type Options struct {
	// MaxBodyBytes bounds the body, compressed and decompressed; larger gets 413.
	// 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RetryAfter is sent with 429 and 503; 0 means DefaultRetryAfter.
	RetryAfter time.Duration
	// Observer, when set, is told what each request delivered and rejected.
	Observer Observer
	// Budget bounds the request bodies held in memory at once, shared with the other
	// receivers of a server; a request that would exceed it gets 429 with Retry-After. nil
	// means a budget of this receiver's own, of reqbody.DefaultBudget or twice MaxBodyBytes,
	// whichever is larger.
	Budget *reqbody.Budget
	// IngestToken, when set, is required on track requests: as "Authorization: Bearer
	// <token>", or as the instrumentation key of every envelope (the exporters send the
	// connection string's InstrumentationKey, so apps need no code change). Others get 401.
	IngestToken authtoken.Token
}

// Handler receives Application Insights track requests and Live Metrics pings.
type Handler struct {
	next   consumer.Consumer
	opts   Options
	logger *slog.Logger
	body   *reqbody.Reader
}

// NewHandler returns a receiver that hands decoded batches to next. A nil logger discards.
func NewHandler(next consumer.Consumer, opts Options, logger *slog.Logger) *Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = DefaultRetryAfter
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.Budget == nil {
		opts.Budget = reqbody.NewBudget(max(reqbody.DefaultBudget, 2*opts.MaxBodyBytes))
	}
	return &Handler{next: next, opts: opts, logger: logger, body: reqbody.NewReader(opts.MaxBodyBytes, opts.Budget)}
}

// Register adds the receiver's routes to mux: POST /v2.1/track and /v2/track, and the Live
// Metrics endpoints. Put CollapseSlashes in front of the mux, since Python exporters request
// //v2.1/track and ServeMux would answer that with a redirect the exporters do not follow.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /v2.1/track", h.serveTrack)
	mux.HandleFunc("POST /v2/track", h.serveTrack)
	mux.HandleFunc("POST /QuickPulseService.svc/ping", serveQuickPulse)
	mux.HandleFunc("POST /QuickPulseService.svc/post", serveQuickPulse)
}

// trackResponse is the body Breeze answers with, which the exporters parse.
type trackResponse struct {
	ItemsReceived int         `json:"itemsReceived"`
	ItemsAccepted int         `json:"itemsAccepted"`
	Errors        []itemError `json:"errors"`
}

type itemError struct {
	Index      int    `json:"index"`
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
}

// serveTrack answers: 200 when every envelope is stored; 206 with a 400 (not retryable) error
// per invalid envelope when some are, the valid ones stored; 401 without the ingest token
// (Options.IngestToken); 400 for an unreadable body; 413
// past the size limit; 415 for an encoding other than gzip; 429 with Retry-After when the
// server's memory budget for request bodies is spent, and 429 or 503 with Retry-After when the
// consumer cannot take the batch (all retryable, nothing acknowledged).
func (h *Handler) serveTrack(w http.ResponseWriter, r *http.Request) {
	body, err := h.body.Read(w, r)
	if err != nil {
		h.refuse(w, r, err)
		return
	}
	bearer := h.opts.IngestToken.MatchesBearer(r.Header.Get("Authorization"))
	size := len(body.Bytes())
	res, err := Decode(body.Bytes(), r.Header.Get("Content-Type"))
	body.Release() // the result holds no reference to the body
	if h.opts.IngestToken.IsSet() && !bearer && (err != nil || !h.keysMatch(res)) {
		// Checked before the decode error, so that a stranger learns nothing about the body.
		w.Header().Set("WWW-Authenticate", `Bearer realm="cairn-ingest"`)
		writeFailure(w, http.StatusUnauthorized, "missing or wrong instrumentation key: this server has an ingest token; "+
			"use it as the connection string's InstrumentationKey (or send Authorization: Bearer <token>)", 0)
		return
	}
	if err != nil {
		h.logger.Debug("breeze: undecodable body", "bytes", size, "err", err)
		writeFailure(w, http.StatusBadRequest, err.Error(), 0)
		return
	}
	if res.Batch.Len() > 0 {
		if err := h.next.Consume(r.Context(), &res.Batch); err != nil {
			h.consumeFailed(r.Context(), w, err, res.Received)
			return
		}
	}
	h.observe(res)
	writeResult(w, res)
}

// keysMatch reports whether the request had envelopes and every one of them carried the
// ingest token as its instrumentation key.
func (h *Handler) keysMatch(res *Result) bool {
	for _, k := range res.Keys {
		if !h.opts.IngestToken.Equal(k) {
			return false
		}
	}
	return len(res.Keys) > 0
}

// refuse answers a request whose body could not be read; a client that went away gets nothing.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, reqbody.ErrClientGone) {
		h.logger.Debug("breeze: client went away")
		return
	}
	e, ok := errors.AsType[*reqbody.Error](err)
	if !ok {
		e = &reqbody.Error{Status: http.StatusBadRequest, Msg: err.Error()}
	}
	level := slog.LevelDebug
	if e.Retryable() {
		level = slog.LevelWarn
		h.setRetryAfter(w)
	}
	h.logger.LogAttrs(r.Context(), level, "breeze: request refused", slog.Int("status", e.Status),
		slog.Int64("content_length", r.ContentLength), slog.String("err", e.Msg))
	writeFailure(w, e.Status, e.Msg, 0)
}

func (h *Handler) consumeFailed(ctx context.Context, w http.ResponseWriter, err error, n int) {
	status := http.StatusServiceUnavailable
	if errors.Is(err, consumer.ErrOverloaded) {
		status = http.StatusTooManyRequests
	}
	h.logger.LogAttrs(ctx, slog.LevelWarn, "breeze: batch not stored; exporter will retry",
		slog.Int("status", status), slog.Int("envelopes", n), slog.String("err", err.Error()))
	h.setRetryAfter(w)
	writeFailure(w, status, "telemetry not stored, retry later: "+err.Error(), n)
}

// setRetryAfter sets Retry-After to RetryAfter in whole seconds, rounded up.
func (h *Handler) setRetryAfter(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int((h.opts.RetryAfter+time.Second-1)/time.Second)))
}

func (h *Handler) observe(res *Result) {
	o := h.opts.Observer
	if o == nil {
		return
	}
	b := &res.Batch
	for _, c := range []struct {
		signal string
		n      int
	}{{SignalTraces, len(b.Spans)}, {SignalLogs, len(b.Logs)}, {SignalMetrics, len(b.Metrics)}} {
		if c.n > 0 {
			o.Received(c.signal, c.n)
		}
	}
	rejected := map[string]int{}
	for _, e := range res.Errors {
		rejected[e.Signal]++
	}
	for signal, n := range rejected {
		o.Rejected(signal, n)
	}
}

// writeResult answers 200, or 206 when some envelopes were rejected.
func writeResult(w http.ResponseWriter, res *Result) {
	resp := trackResponse{
		ItemsReceived: res.Received,
		ItemsAccepted: res.Received - len(res.Errors),
		Errors:        make([]itemError, 0, len(res.Errors)),
	}
	for _, e := range res.Errors {
		resp.Errors = append(resp.Errors, itemError{Index: e.Index, StatusCode: http.StatusBadRequest, Message: e.Message})
	}
	status := http.StatusOK
	if len(res.Errors) > 0 {
		status = http.StatusPartialContent
	}
	writeJSON(w, status, resp)
}

// writeFailure answers a request refused as a whole, in Breeze's response shape (which the
// exporters log) with the reason as the one error.
func writeFailure(w http.ResponseWriter, status int, msg string, received int) {
	writeJSON(w, status, trackResponse{
		ItemsReceived: received,
		Errors:        []itemError{{Index: 0, StatusCode: status, Message: msg}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// serveQuickPulse answers Live Metrics pings and posts with "not subscribed", which keeps the
// exporters' Live Metrics quiet (they only ping, rarely). The body is drained, not read.
func serveQuickPulse(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	w.Header().Set("x-ms-qps-subscribed", "false")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("{}"))
}
