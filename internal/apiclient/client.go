// Package apiclient is a typed Go client for Cairn's JSON API (/api/v1, docs/api.md), used by
// the cairn CLI. It decodes the trace routes into Go types and keeps the raw answer for callers
// that print it as it is. Everything a server sends is untrusted: callers printing it to a
// terminal must make it safe first.
package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultServer is the address cairn serve listens on by default.
const DefaultServer = "http://127.0.0.1:4318"

// MaxResponseBytes bounds one answer: a whole trace with recorded content can be large, but a
// server (or something else listening on the port) must not make the client read forever.
const MaxResponseBytes = 512 << 20

// Client calls one Cairn server.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client of the server at base ("http://host:port", optionally with a path
// prefix; a bare "host:port" means http). token, when non-empty, is sent as a bearer token.
// A nil hc means a client with a 60-second timeout.
func New(base, token string, hc *http.Client) (*Client, error) {
	u, err := ParseServer(base)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	return &Client{base: u, token: token, http: hc}, nil
}

// ParseServer parses a server address as New does.
func ParseServer(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("server address is empty: give a URL such as " + DefaultServer)
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server address %q: want an http or https URL such as %s", s, DefaultServer)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Server returns the server's base URL, as shown in messages.
func (c *Client) Server() string { return c.base.String() }

// APIError is an answer with a 4xx or 5xx status. Message is the server's "error" field (or a
// description of the body when it has none); it is untrusted text.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("server answered %d: %s", e.Status, e.Message)
}

// UnreachableError means no HTTP answer came back: nothing listens at the address, the name
// does not resolve, the connection broke or timed out.
type UnreachableError struct {
	Server string
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s: %v", e.Server, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// StatusOf returns the HTTP status of an *APIError in err's chain, 0 when there is none.
func StatusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Get fetches path (under the base URL, already escaped, e.g. "/api/v1/traces") with query q
// and returns the body of a 200 answer, checked to be JSON. Any other status is an *APIError; a
// transport failure is an *UnreachableError.
func (c *Client) Get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", path, err)
	}
	u.Path = p
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the message already
		}
		return nil, &UnreachableError{Server: c.Server(), Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, &UnreachableError{Server: c.Server(), Err: fmt.Errorf("reading the answer: %w", err)}
	}
	if len(body) > MaxResponseBytes {
		return nil, fmt.Errorf("%s sent more than %d MiB: not an answer this client reads", c.Server(), MaxResponseBytes>>20)
	}
	isJSON := false
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		isJSON = mt == "application/json"
	}
	if resp.StatusCode != http.StatusOK {
		e := &APIError{Status: resp.StatusCode}
		var eb struct {
			Error string `json:"error"`
		}
		if isJSON && json.Unmarshal(body, &eb) == nil {
			e.Message = eb.Error
		}
		if e.Message == "" {
			e.Message = "no error message: not a Cairn API answer (" + describeType(resp.Header.Get("Content-Type")) + ")"
		}
		return nil, e
	}
	if !isJSON || !json.Valid(body) {
		return nil, fmt.Errorf("%s answered %s with %s, not the API's JSON: is it a Cairn server?",
			c.Server(), path, describeType(resp.Header.Get("Content-Type")))
	}
	return body, nil
}

func describeType(ct string) string {
	if ct == "" {
		return "no content type"
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return "content type " + strconv.Quote(truncate(ct, 60))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// TraceQuery is GET /api/v1/traces' parameters. Zero fields are not sent.
type TraceQuery struct {
	Service, Name, Status, Session, User, Model, Text string
	Attrs                                             []string // key=value
	MinDuration, MaxDuration                          time.Duration
	Start, End                                        time.Time
	Limit                                             int
	Cursor                                            string
}

// Values returns the query's URL parameters.
func (q TraceQuery) Values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("service", q.Service)
	set("name", q.Name)
	set("status", q.Status)
	set("session", q.Session)
	set("user", q.User)
	set("model", q.Model)
	set("q", q.Text)
	for _, a := range q.Attrs {
		v.Add("attr", a)
	}
	if q.MinDuration > 0 {
		set("minDuration", q.MinDuration.String())
	}
	if q.MaxDuration > 0 {
		set("maxDuration", q.MaxDuration.String())
	}
	if !q.Start.IsZero() {
		set("start", q.Start.UTC().Format(time.RFC3339Nano))
	}
	if !q.End.IsZero() {
		set("end", q.End.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		set("limit", strconv.Itoa(q.Limit))
	}
	set("cursor", q.Cursor)
	return v
}

// SearchTracesRaw returns GET /api/v1/traces' answer as it came.
func (c *Client) SearchTracesRaw(ctx context.Context, q TraceQuery) ([]byte, error) {
	return c.Get(ctx, "/api/v1/traces", q.Values())
}

// SearchTraces searches traces, newest first.
func (c *Client) SearchTraces(ctx context.Context, q TraceQuery) (*TracePage, error) {
	raw, err := c.SearchTracesRaw(ctx, q)
	if err != nil {
		return nil, err
	}
	var p TracePage
	if err := decode(raw, &p, "trace list"); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetTraceRaw returns GET /api/v1/traces/{id}'s answer as it came. id is not checked here;
// the server answers 400 for a malformed one and 404 for an unknown one.
func (c *Client) GetTraceRaw(ctx context.Context, id string) ([]byte, error) {
	return c.Get(ctx, "/api/v1/traces/"+url.PathEscape(id), nil)
}

// GetTrace returns one whole trace.
func (c *Client) GetTrace(ctx context.Context, id string) (*Trace, error) {
	raw, err := c.GetTraceRaw(ctx, id)
	if err != nil {
		return nil, err
	}
	return DecodeTrace(raw)
}

// DecodeTrace decodes GET /api/v1/traces/{id}'s answer.
func DecodeTrace(raw []byte) (*Trace, error) {
	var t Trace
	if err := decode(raw, &t, "trace"); err != nil {
		return nil, err
	}
	return &t, nil
}

func decode(raw []byte, v any, what string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("the server's %s answer does not have the shape this client knows (%v): are client and server the same version?", what, err)
	}
	return nil
}
