package breeze

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Signal names, as the Observer reports them.
const (
	SignalTraces  = "traces"
	SignalLogs    = "logs"
	SignalMetrics = "metrics"
)

// Result is a decoded track request: the items of its valid envelopes, and the envelopes
// rejected (a rejected envelope contributes nothing to the batch).
type Result struct {
	Batch telemetry.Batch
	// Received is the number of envelopes in the body; Received-len(Errors) were accepted.
	Received int
	// Errors lists the rejected envelopes in index order.
	Errors []ItemError
	// Keys are the distinct instrumentation keys of the envelopes that could be read,
	// accepted or not (the ingest token check looks at every one).
	Keys []string
}

// ItemError says why the envelope at Index was rejected.
type ItemError struct {
	Index   int
	Signal  string // SignalTraces, SignalLogs, SignalMetrics, or "" when the type is unknown
	Message string
}

// ErrBadBody (wrapped) means the body as a whole is not a JSON array, nor NDJSON, of envelopes.
var ErrBadBody = errors.New("body is not a JSON array or NDJSON stream of envelopes")

// Decode decodes a track request body (already decompressed): a JSON array of envelopes or, for
// older SDKs (Content-Type application/x-json-stream), one envelope per line. It returns an
// error wrapping ErrBadBody only when the body as a whole cannot be read; an envelope that is
// malformed or has bad ids is reported in Result.Errors and the others are kept.
func Decode(body []byte, contentType string) (*Result, error) {
	envs, err := parseEnvelopes(body, contentType)
	if err != nil {
		return nil, err
	}
	d := newDecoder(len(envs))
	d.decodeAll(envs)
	return d.res, nil
}

// parsed is one envelope of the body, or why it could not be read as one.
type parsed struct {
	env envelope
	err error
}

// parseEnvelopes reads the body into envelopes.
func parseEnvelopes(body []byte, contentType string) ([]parsed, error) {
	body = bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf"))
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil, fmt.Errorf("%w: the body is empty", ErrBadBody)
	case body[0] == '[':
		envs, err := parseArray(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %d-byte JSON array: %v", ErrBadBody, len(body), err)
		}
		return envs, nil
	case body[0] == '{':
		raws, err := streamValues(body)
		if err != nil {
			// One broken line must not cost the others: fall back to one envelope per line.
			raws = splitLines(body)
		}
		envs := make([]parsed, len(raws))
		for i, raw := range raws {
			if err := json.Unmarshal(raw, &envs[i].env); err != nil {
				envs[i].err = fmt.Errorf("%d bytes: %w", len(raw), err)
			}
		}
		return envs, nil
	default:
		return nil, fmt.Errorf("%w: %d bytes starting with %q (Content-Type %q); want '[' or '{'",
			ErrBadBody, len(body), body[0], truncate(contentType, 64))
	}
}

// parseArray decodes a JSON array of envelopes in one pass. An element of the wrong shape (a
// type error) is reported for that element only; a syntax error fails the whole body, since
// nothing after it can be trusted.
func parseArray(body []byte) ([]parsed, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // '['
		return nil, err
	}
	envs := make([]parsed, 0, bytes.Count(body, []byte(`"iKey"`)))
	for dec.More() {
		envs = append(envs, parsed{})
		p := &envs[len(envs)-1]
		before := dec.InputOffset()
		if err := dec.Decode(&p.env); err != nil {
			if isSyntaxError(err) {
				return nil, err
			}
			p.err = fmt.Errorf("%d bytes: %w", dec.InputOffset()-before, err)
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the array at offset %d", dec.InputOffset())
	}
	return envs, nil
}

func isSyntaxError(err error) bool {
	_, syntax := errors.AsType[*json.SyntaxError](err)
	return syntax || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// streamValues reads consecutive JSON values (NDJSON, or one bare envelope).
func streamValues(body []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raws []json.RawMessage
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return raws, nil
		}
		if err != nil {
			return nil, err
		}
		raws = append(raws, raw)
	}
}

// splitLines returns the non-blank lines of an NDJSON body.
func splitLines(body []byte) []json.RawMessage {
	var raws []json.RawMessage
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			raws = append(raws, json.RawMessage(line))
		}
	}
	return raws
}

// decoder holds the per-request state: the resources shared by the request's items.
type decoder struct {
	res        *Result
	observedNs int64
	resources  map[resourceKey]*telemetry.Resource
	// otelResources holds the _OTELRESOURCE_ properties by (role, instance).
	otelResources map[resourceKey]map[string]any
}

func newDecoder(n int) *decoder {
	return &decoder{
		res:           &Result{Received: n},
		observedNs:    time.Now().UnixNano(),
		resources:     make(map[resourceKey]*telemetry.Resource),
		otelResources: make(map[resourceKey]map[string]any),
	}
}

// decodeAll notes the _OTELRESOURCE_ envelopes first, so that they apply to the items of their
// request wherever they sit in the array, then converts every envelope.
func (d *decoder) decodeAll(envs []parsed) {
	for i := range envs {
		if envs[i].err == nil {
			d.noteResource(&envs[i].env)
			if k := envs[i].env.IKey; !slices.Contains(d.res.Keys, k) {
				d.res.Keys = append(d.res.Keys, k)
			}
		}
	}
	for i := range envs {
		e := &envs[i].env
		if envs[i].err != nil {
			d.reject(i, "", fmt.Sprintf("envelope %d is not a valid envelope object: %v", i, envs[i].err))
			continue
		}
		if signal, err := d.convert(e); err != nil {
			d.reject(i, signal, fmt.Sprintf("envelope %d (%s): %v", i, e.baseType(), err))
		}
	}
}

func (d *decoder) reject(i int, signal, msg string) {
	d.res.Errors = append(d.res.Errors, ItemError{Index: i, Signal: signal, Message: msg})
}

// convert appends the envelope's items to the batch, or returns why it was rejected.
func (d *decoder) convert(e *envelope) (signal string, err error) {
	switch bt := e.baseType(); bt {
	case baseRequest, baseDependency:
		return SignalTraces, d.addSpan(e)
	case baseMessage, baseEvent, baseException:
		return SignalLogs, d.addLog(e)
	case baseMetric:
		return SignalMetrics, d.addMetrics(e)
	default:
		return "", fmt.Errorf("unsupported telemetry type %q (name %q); Cairn accepts Request, RemoteDependency, Message, Event, Exception and Metric",
			truncate(bt, 64), truncate(e.Name, 100))
	}
}

// baseType returns data.baseType, or derives it from the envelope name
// ("Microsoft.ApplicationInsights.Request" → "RequestData").
func (e *envelope) baseType() string {
	if e.Data.BaseType != "" {
		return e.Data.BaseType
	}
	name := e.Name[strings.LastIndexByte(e.Name, '.')+1:]
	switch name {
	case "Request", "Exception", "Message", "Event", "Metric":
		return name + "Data"
	case "RemoteDependency":
		return baseDependency
	}
	return e.Name
}

// parseTime parses the envelope time: ISO-8601 UTC with 0–9 fractional digits (Python writes
// microseconds, JS milliseconds); a time without zone is taken as UTC.
func parseTime(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("time is missing; want ISO-8601 like 2026-11-22T15:50:49.713Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		var err2 error
		if t, err2 = time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC); err2 != nil {
			return 0, fmt.Errorf("time %q is not ISO-8601 like 2026-11-22T15:50:49.713Z: %w", truncate(s, 64), err)
		}
	}
	return t.UnixNano(), nil
}
