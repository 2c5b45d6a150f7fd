package otlp

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// pdataResponse is what ptraceotlp, plogotlp and pmetricotlp ExportResponses have in common.
type pdataResponse interface {
	MarshalProto() ([]byte, error)
	MarshalJSON() ([]byte, error)
}

// signal is what the HTTP and gRPC receivers need to know about one OTLP signal.
type signal struct {
	name string // SignalTraces, SignalLogs or SignalMetrics
	// decode turns a request body into a batch and a report of rejected or changed items.
	decode func(body []byte, enc encoding) (*telemetry.Batch, *report, error)
	// response builds the Export*ServiceResponse, with partial_success when rep is not empty.
	response func(rep *report) pdataResponse
}

var tracesSignal = &signal{
	name: SignalTraces,
	decode: func(body []byte, enc encoding) (*telemetry.Batch, *report, error) {
		spans, rep, err := decodeTraces(body, enc)
		return &telemetry.Batch{Spans: spans}, rep, err
	},
	response: func(rep *report) pdataResponse {
		resp := ptraceotlp.NewExportResponse()
		if !rep.empty() {
			resp.PartialSuccess().SetRejectedSpans(int64(rep.rejected))
			resp.PartialSuccess().SetErrorMessage(rep.message())
		}
		return resp
	},
}

var logsSignal = &signal{
	name: SignalLogs,
	decode: func(body []byte, enc encoding) (*telemetry.Batch, *report, error) {
		logs, rep, err := decodeLogs(body, enc)
		return &telemetry.Batch{Logs: logs}, rep, err
	},
	response: func(rep *report) pdataResponse {
		resp := plogotlp.NewExportResponse()
		if !rep.empty() {
			resp.PartialSuccess().SetRejectedLogRecords(int64(rep.rejected))
			resp.PartialSuccess().SetErrorMessage(rep.message())
		}
		return resp
	},
}

var metricsSignal = &signal{
	name: SignalMetrics,
	decode: func(body []byte, enc encoding) (*telemetry.Batch, *report, error) {
		points, rep, err := decodeMetrics(body, enc)
		return &telemetry.Batch{Metrics: points}, rep, err
	},
	response: func(rep *report) pdataResponse {
		resp := pmetricotlp.NewExportResponse()
		if !rep.empty() {
			resp.PartialSuccess().SetRejectedDataPoints(int64(rep.rejected))
			resp.PartialSuccess().SetErrorMessage(rep.message())
		}
		return resp
	},
}

// encodeResponse encodes the Export*ServiceResponse for rep. A full success is an empty
// message ("{}" in JSON): pdata would write an empty partial_success, which OTLP says to leave
// unset when nothing was rejected.
func (sig *signal) encodeResponse(rep *report, enc encoding) ([]byte, error) {
	switch {
	case rep.empty() && enc == encJSON:
		return []byte("{}"), nil
	case rep.empty():
		return []byte{}, nil
	case enc == encJSON:
		return sig.response(rep).MarshalJSON()
	default:
		return sig.response(rep).MarshalProto()
	}
}

// invalidError marks a request that cannot be decoded: HTTP 400, gRPC INVALID_ARGUMENT, and
// the exporter must not retry it.
type invalidError struct{ err error }

func (e *invalidError) Error() string { return e.err.Error() }
func (e *invalidError) Unwrap() error { return e.err }

// export decodes body and hands the batch to next. It returns the report for the response, an
// *invalidError for an undecodable body, or the consumer's error (nothing was stored). decoded,
// when not nil, is called once body is no longer needed: the decoded batch holds no reference
// to it.
func export(ctx context.Context, next consumer.Consumer, obs Observer, sig *signal, body []byte,
	enc encoding, decoded func()) (*report, error) {
	batch, rep, err := sig.decode(body, enc)
	if decoded != nil {
		decoded()
	}
	if err != nil {
		return nil, &invalidError{fmt.Errorf("%s: %w", sig.name, err)}
	}
	if n := batch.Len(); n > 0 {
		if err := next.Consume(ctx, batch); err != nil {
			return nil, fmt.Errorf("consume %d %s items: %w", n, sig.name, err)
		}
		if obs != nil {
			obs.Received(sig.name, n)
		}
	}
	if obs != nil && rep.rejected > 0 {
		obs.Rejected(sig.name, rep.rejected)
	}
	return rep, nil
}

// isOverloaded reports whether the consumer asked the client to slow down.
func isOverloaded(err error) bool { return errors.Is(err, consumer.ErrOverloaded) }
