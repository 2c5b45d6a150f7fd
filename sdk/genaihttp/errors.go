package genaihttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// APIError is the error recorded on a span (as its exception event) when the
// API answers with an HTTP error status. The caller still receives the
// response unchanged; this value exists only in telemetry.
type APIError struct {
	// StatusCode is the HTTP status; error.type is its decimal form ("429").
	StatusCode int
	// Type and Code are OpenAI's error.type and error.code, when the body has them.
	Type, Code string
	// Message is OpenAI's error.message, or the status text.
	Message string
}

// Error describes the failure as OpenAI reports it.
func (e APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Type != "" || e.Code != "" {
		fmt.Fprintf(&b, " (%s)", strings.Trim(e.Type+" "+e.Code, " "))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// newAPIError decodes an OpenAI-shaped error body when there is one.
func newAPIError(resp *http.Response, body []byte) APIError {
	e := APIError{StatusCode: resp.StatusCode}
	var wrapper struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &wrapper) == nil && len(wrapper.Error) > 0 {
		var eb apiErrBody
		if json.Unmarshal(wrapper.Error, &eb) == nil {
			e.Message, e.Type, e.Code = eb.Message, eb.Type, codeString(eb.Code)
		} else {
			var s string
			if json.Unmarshal(wrapper.Error, &s) == nil {
				e.Message = s
			}
		}
	}
	return e
}

// codeString renders OpenAI's error.code, which is a string or a number.
func codeString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// StreamError is recorded when a stream that began with 200 OK later carries
// an error event.
type StreamError struct {
	Type, Code, Message string
}

// Error describes the in-stream failure.
func (e StreamError) Error() string {
	return strings.TrimSpace(fmt.Sprintf("stream error %s %s: %s", e.Type, e.Code, e.Message))
}

func streamError(b *apiErrBody) error {
	return StreamError{Type: b.Type, Code: codeString(b.Code), Message: b.Message}
}

// errorType returns error.type: the HTTP status code for API errors, the
// provider's error type for in-stream errors, well-known names for context
// errors, and otherwise the Go type of the innermost cause (a *url.Error is
// unwrapped since it only says that an HTTP request failed).
func errorType(err error) string {
	var apiErr APIError
	var streamErr StreamError
	var urlErr *url.Error
	switch {
	case errors.As(err, &apiErr):
		return strconv.Itoa(apiErr.StatusCode)
	case errors.As(err, &streamErr):
		if streamErr.Type != "" {
			return streamErr.Type
		}
		return "_OTHER"
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	case errors.As(err, &urlErr) && urlErr.Err != nil:
		return fmt.Sprintf("%T", urlErr.Err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "io.ErrUnexpectedEOF"
	}
	return fmt.Sprintf("%T", err)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
