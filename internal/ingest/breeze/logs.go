package breeze

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// Severity numbers (OTel log data model) for the Application Insights severity levels.
const (
	sevDebug = 5
	sevInfo  = 9
	sevWarn  = 13
	sevError = 17
	sevFatal = 21
)

// addLog converts a Message, Event or Exception envelope into a log record linked to the span
// named by ai.operation.parentId (the exporters write the span's own id there).
//
// An Exception becomes a log record with EventName "exception" and the exception.* attributes,
// not a span event: its span often arrives in another request (the JS exporter sends logs and
// spans separately), the receiver keeps no state across requests, and a log record linked by
// trace and span id is what the API already shows under its span.
func (d *decoder) addLog(e *envelope) error {
	l := &telemetry.LogRecord{
		ObservedTimeUnixNano: d.observedNs,
		Attributes:           attributes(e),
		Resource:             d.resource(e),
		ProjectKey:           e.IKey,
	}
	var err error
	if l.TimeUnixNano, err = parseTime(e.Time); err != nil {
		return err
	}
	if l.TraceID, l.SpanID, err = logIDs(e); err != nil {
		return err
	}
	bd := &e.Data.BaseData
	switch e.baseType() {
	case baseMessage:
		messageLog(l, bd)
	case baseEvent:
		if bd.Name == "" {
			return errors.New("EventData has no name")
		}
		l.EventName = bd.Name
		l.SeverityNumber, l.SeverityText = sevInfo, "INFO"
	case baseException:
		if err := exceptionLog(l, bd); err != nil {
			return err
		}
	}
	d.res.Batch.Logs = append(d.res.Batch.Logs, l)
	return nil
}

// logIDs reads the optional trace and span ids a log envelope is linked with.
func logIDs(e *envelope) (trace telemetry.TraceID, span telemetry.SpanID, err error) {
	op := e.Tags[tagOperationID]
	if op == "" {
		return trace, span, nil
	}
	if trace, err = telemetry.ParseTraceID(op); err != nil {
		return trace, span, fmt.Errorf("tag ai.operation.id: %w", err)
	}
	if p := e.Tags[tagParentID]; p != "" && !strings.EqualFold(p, op) {
		if span, err = telemetry.ParseSpanID(p); err != nil {
			return trace, span, fmt.Errorf("tag ai.operation.parentId: %w", err)
		}
	}
	return trace, span, nil
}

// messageLog fills a log record from MessageData. The property event.name gives the event
// name: this is how GenAI content events (gen_ai.user.message, gen_ai.choice, ...) arrive, their
// body JSON-encoded into the message by the exporter; such a body is decoded back into the map
// an OTLP receiver would have produced, so normalisation sees one shape. A message that is not
// a whole JSON object (for instance one cut at the exporter's length limit) stays a string.
func messageLog(l *telemetry.LogRecord, bd *baseData) {
	l.SeverityNumber, l.SeverityText = severity(string(bd.SeverityLevel), sevInfo)
	l.EventName = l.Attributes.String("event.name")
	if l.EventName == "" && l.Attributes["gen_ai.event.content"] != nil && strings.HasPrefix(bd.Message, "gen_ai.") {
		// Span events of the Azure SDK GenAI instrumentation: message = event name.
		l.EventName = bd.Message
	}
	l.Body = bd.Message
	if l.EventName != "" {
		if m, ok := jsonObject(bd.Message); ok {
			l.Body = m
		}
	}
}

// exceptionLog fills a log record from ExceptionData (its first, outermost exception; inner
// exceptions are appended to the stack trace as "Caused by:" sections).
func exceptionLog(l *telemetry.LogRecord, bd *baseData) error {
	if len(bd.Exceptions) == 0 {
		return errors.New("ExceptionData has no exceptions")
	}
	ex := bd.Exceptions[0]
	l.EventName = "exception"
	l.SeverityNumber, l.SeverityText = severity(string(bd.SeverityLevel), sevError)
	setIfAbsent(l.Attributes, "exception.type", ex.TypeName)
	setIfAbsent(l.Attributes, "exception.message", ex.Message)
	var stack strings.Builder
	stack.WriteString(stackText(ex))
	for _, inner := range bd.Exceptions[1:] {
		fmt.Fprintf(&stack, "\nCaused by: %s: %s\n%s", inner.TypeName, inner.Message, stackText(inner))
	}
	setIfAbsent(l.Attributes, "exception.stacktrace", strings.TrimRight(stack.String(), "\n"))
	if ex.Message != "" {
		l.Body = ex.Message
	}
	return nil
}

// stackText returns the exception's stack, or formats its parsed frames one per line.
func stackText(ex exceptionDetails) string {
	if ex.Stack != "" {
		return ex.Stack
	}
	var b strings.Builder
	for _, f := range ex.ParsedStack {
		fmt.Fprintf(&b, "  at %s", f.Method)
		if f.Assembly != "" {
			fmt.Fprintf(&b, " [%s]", f.Assembly)
		}
		if f.FileName != "" {
			fmt.Fprintf(&b, " (%s:%d)", f.FileName, f.Line)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// severity maps an Application Insights severity level (name or 0–4) to OTel's number and text.
func severity(level string, def int32) (int32, string) {
	switch strings.ToLower(level) {
	case "verbose", "0":
		return sevDebug, "DEBUG"
	case "information", "1":
		return sevInfo, "INFO"
	case "warning", "2":
		return sevWarn, "WARN"
	case "error", "3":
		return sevError, "ERROR"
	case "critical", "4":
		return sevFatal, "FATAL"
	}
	if def == sevError {
		return sevError, "ERROR"
	}
	return sevInfo, "INFO"
}

// jsonObject decodes s when it is one whole JSON object, with integral numbers as int64 and
// other numbers as float64 (the attribute value types).
func jsonObject(s string) (map[string]any, bool) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false // trailing data after the object
	}
	return convertNumbers(m).(map[string]any), true
}

// convertNumbers replaces json.Number values by int64 or float64, recursively.
func convertNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = convertNumbers(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = convertNumbers(e)
		}
		return v
	case json.Number:
		if !bytes.ContainsAny([]byte(v), ".eE") {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				return n
			}
		}
		f, _ := v.Float64()
		return f
	}
	return v
}
