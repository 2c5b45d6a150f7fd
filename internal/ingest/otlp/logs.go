package otlp

import (
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// decodeLogs decodes an ExportLogsServiceRequest body into log records. Records with unusable
// ids are kept unlinked and described in the report; err is set only when the body is
// undecodable.
func decodeLogs(body []byte, enc encoding) ([]*telemetry.LogRecord, *report, error) {
	req, fixes, err := decodeTolerant(body, enc, plogotlp.NewExportRequest, fixLogs)
	if err != nil {
		return nil, nil, err
	}
	rep := &report{}
	return convertLogs(req.Logs(), fixes, rep), rep, nil
}

func fixLogs(body []byte, enc encoding) ([]byte, *idFixes, error) {
	if enc == encJSON {
		return fixLogsJSON(body)
	}
	return fixLogsProto(body)
}

// convertLogs turns pdata logs into log records. A record is valid without a span, so one
// whose ids are unusable (wrong length, or a span id without a trace id) is kept but unlinked.
func convertLogs(ld plog.Logs, fixes *idFixes, rep *report) []*telemetry.LogRecord {
	var bad map[int]string
	if fixes != nil {
		bad = fixes.bad
	}
	n := ld.LogRecordCount()
	store := make([]telemetry.LogRecord, 0, n)
	out := make([]*telemetry.LogRecord, 0, n)
	ord := 0
	for ri, rl := range ld.ResourceLogs().All() {
		res := convertResource(rl.Resource())
		for si, sl := range rl.ScopeLogs().All() {
			scope := convertScope(sl.Scope())
			for ki, l := range sl.LogRecords().All() {
				store = append(store, convertLog(l, res, scope))
				rec := &store[len(store)-1]
				if problem, ok := bad[ord]; ok {
					rep.warn("log record %d (resourceLogs[%d].scopeLogs[%d].logRecords[%d]) kept without its span: %s",
						ord, ri, si, ki, problem)
				} else if rec.TraceID.IsZero() && !rec.SpanID.IsZero() {
					rec.SpanID = telemetry.SpanID{}
					rep.warn("log record %d (resourceLogs[%d].scopeLogs[%d].logRecords[%d]) kept without its span: span id without a trace id",
						ord, ri, si, ki)
				}
				out = append(out, rec)
				ord++
			}
		}
	}
	return out
}

func convertLog(l plog.LogRecord, res *telemetry.Resource, scope telemetry.Scope) telemetry.LogRecord {
	rec := telemetry.LogRecord{
		TimeUnixNano:         nanos(l.Timestamp()),
		ObservedTimeUnixNano: nanos(l.ObservedTimestamp()),
		TraceID:              telemetry.TraceID(l.TraceID()),
		SpanID:               telemetry.SpanID(l.SpanID()),
		SeverityNumber:       int32(l.SeverityNumber()),
		SeverityText:         l.SeverityText(),
		EventName:            l.EventName(),
		Attributes:           convertAttrs(l.Attributes()),
		Resource:             res,
		Scope:                scope,
	}
	if body, ok := convertValue(l.Body()); ok {
		rec.Body = body
	}
	// Older SDKs carry the event name as an attribute rather than in event_name.
	if rec.EventName == "" {
		rec.EventName = rec.Attributes.String("event.name")
	}
	return rec
}
