package otlp

import (
	"fmt"
	"strings"
)

// maxReportMessages bounds the per-item messages kept for partial_success.error_message, so a
// request with a million bad spans does not produce a million-line answer.
const maxReportMessages = 10

// report collects what decoding rejected (counted in partial success) or changed (a warning:
// partial success with a zero count, which OTLP allows).
type report struct {
	rejected int
	msgs     []string
	omitted  int
}

// reject counts one rejected item and records why.
func (r *report) reject(format string, args ...any) {
	r.rejected++
	r.note(format, args...)
}

// warn records a change to an item that was kept (for example a log record unlinked from a
// span because its ids were unusable).
func (r *report) warn(format string, args ...any) { r.note(format, args...) }

func (r *report) note(format string, args ...any) {
	if len(r.msgs) >= maxReportMessages {
		r.omitted++
		return
	}
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// empty reports whether the request needs no partial_success in its answer.
func (r *report) empty() bool { return r.rejected == 0 && len(r.msgs) == 0 }

// message is the partial_success.error_message: every recorded problem, "; "-separated.
func (r *report) message() string {
	s := strings.Join(r.msgs, "; ")
	if r.omitted > 0 {
		s += fmt.Sprintf("; and %d more", r.omitted)
	}
	return s
}
