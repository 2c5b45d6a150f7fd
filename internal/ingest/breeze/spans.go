package breeze

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// msLinksProperty carries a span's links as JSON [{"operation_Id": trace, "id": span}].
const msLinksProperty = "_MS.links"

// addSpan converts a Request or RemoteDependency envelope into a span.
func (d *decoder) addSpan(e *envelope) error {
	bd := &e.Data.BaseData
	traceID, spanID, parentID, err := spanIDs(e)
	if err != nil {
		return err
	}
	if spanID.IsZero() {
		return errors.New("baseData.id (the span id) is missing; want 16 hex characters")
	}
	start, err := parseTime(e.Time)
	if err != nil {
		return err
	}
	dur, err := ParseDuration(bd.Duration)
	if err != nil {
		return err
	}
	s := &telemetry.Span{
		TraceID:       traceID,
		SpanID:        spanID,
		ParentSpanID:  parentID,
		Name:          bd.Name,
		StartUnixNano: start,
		EndUnixNano:   start + dur.Nanoseconds(),
		Attributes:    attributes(e),
		Resource:      d.resource(e),
		ProjectKey:    e.IKey,
	}
	if s.Name == "" {
		s.Name = e.Tags[tagOperationName]
	}
	if bd.Success != nil && !*bd.Success {
		s.Status.Code = telemetry.StatusError
	}
	if e.baseType() == baseRequest {
		s.Kind = telemetry.SpanKindServer
		requestAttributes(s.Attributes, e)
	} else {
		s.Kind = dependencyKind(bd, !parentID.IsZero())
		dependencyAttributes(s.Attributes, bd)
	}
	s.Links = links(s.Attributes)
	d.res.Batch.Spans = append(d.res.Batch.Spans, s)
	return nil
}

// spanIDs reads the trace id (ai.operation.id) and the parent span id (ai.operation.parentId,
// none when empty or equal to the trace id, as a root's is in some SDKs) from the tags, and the
// span id from baseData.id.
func spanIDs(e *envelope) (trace telemetry.TraceID, span, parent telemetry.SpanID, err error) {
	op := e.Tags[tagOperationID]
	if op == "" {
		return trace, span, parent, errors.New("tag ai.operation.id (the trace id) is missing; want 32 hex characters")
	}
	if trace, err = telemetry.ParseTraceID(op); err != nil {
		return trace, span, parent, fmt.Errorf("tag ai.operation.id: %w", err)
	}
	if span, err = telemetry.ParseSpanID(string(e.Data.BaseData.ID)); err != nil {
		return trace, span, parent, fmt.Errorf("baseData.id: %w", err)
	}
	if p := e.Tags[tagParentID]; p != "" && !strings.EqualFold(p, op) {
		if parent, err = telemetry.ParseSpanID(p); err != nil {
			return trace, span, parent, fmt.Errorf("tag ai.operation.parentId: %w", err)
		}
	}
	return trace, span, parent, nil
}

// dependencyKind recovers the span kind of a RemoteDependency from its type (PROTOCOLS A4):
// "InProc[ | ns]" is INTERNAL, "Queue Message[ | system]" PRODUCER, anything else CLIENT — except
// that the JS exporter writes a root INTERNAL span as a bare "Dependency" (it uses InProc only
// when the span has a parent), so a root "Dependency" with no target, no data and no GenAI
// attributes is taken as INTERNAL too.
func dependencyKind(bd *baseData, hasParent bool) telemetry.SpanKind {
	t := strings.ToLower(strings.TrimSpace(bd.Type))
	switch {
	case t == "inproc" || strings.HasPrefix(t, "inproc |") || strings.HasPrefix(t, "inproc|"):
		return telemetry.SpanKindInternal
	case strings.HasPrefix(t, "queue message"):
		return telemetry.SpanKindProducer
	case t == "dependency" && !hasParent && bd.Target == "" && bd.Data == "" && !hasGenAI(bd.Properties):
		return telemetry.SpanKindInternal
	}
	return telemetry.SpanKindClient
}

func hasGenAI(props map[string]any) bool {
	_, op := props["gen_ai.operation.name"]
	_, sys := props["gen_ai.system"]
	_, prov := props["gen_ai.provider.name"]
	return op || sys || prov
}

// requestAttributes keeps a Request's url, response code and source as attributes.
func requestAttributes(a telemetry.Attributes, e *envelope) {
	bd := &e.Data.BaseData
	setIfAbsent(a, "http.url", bd.URL)
	setIfAbsent(a, "cairn.ai.source", bd.Source)
	setIfAbsent(a, "client.address", e.Tags[tagLocationIP])
	if code := string(bd.ResponseCode); code != "" && code != "0" {
		if n, err := strconv.ParseInt(code, 10, 64); err == nil && bd.URL != "" {
			setIfAbsentAny(a, "http.response.status_code", n)
		} else {
			setIfAbsent(a, "cairn.ai.response_code", code)
		}
	}
}

// dependencyAttributes keeps a dependency's type, data, target and result code as attributes
// under the OTel names the exporters took them from where the type tells which (HTTP, SQL
// family, gRPC), else under cairn.ai.*.
func dependencyAttributes(a telemetry.Attributes, bd *baseData) {
	setIfAbsent(a, "cairn.ai.dependency_type", bd.Type)
	code := string(bd.ResultCode)
	if code == "0" {
		code = "" // the exporters' default when the span had no status code
	}
	t := strings.ToLower(bd.Type)
	switch {
	case t == "http" || strings.HasPrefix(t, "http ") || t == "ajax":
		setIfAbsent(a, "http.url", bd.Data)
		setIfAbsent(a, "server.address", bd.Target)
		setCode(a, "http.response.status_code", code)
	case isDatabase(t):
		setIfAbsent(a, "db.statement", bd.Data)
		target, db, _ := strings.Cut(bd.Target, "|")
		setIfAbsent(a, "server.address", target)
		setIfAbsent(a, "db.name", db)
		setIfAbsent(a, "cairn.ai.result_code", code)
	case t == "grpc":
		setIfAbsent(a, "server.address", bd.Target)
		setCode(a, "rpc.grpc.status_code", code)
	default:
		setIfAbsent(a, "cairn.ai.dependency_data", bd.Data)
		setIfAbsent(a, "server.address", bd.Target)
		setIfAbsent(a, "cairn.ai.result_code", code)
	}
}

func isDatabase(t string) bool {
	switch t {
	case "sql", "mysql", "postgresql", "mongodb", "redis", "sqlite", "mssql", "oracle", "cosmosdb",
		"azure table", "cassandra", "elasticsearch", "db2", "mariadb":
		return true
	}
	return false
}

// setCode stores a numeric code as int64, or as a string under cairn.ai.result_code.
func setCode(a telemetry.Attributes, key, code string) {
	if code == "" {
		return
	}
	if n, err := strconv.ParseInt(code, 10, 64); err == nil {
		setIfAbsentAny(a, key, n)
		return
	}
	setIfAbsent(a, "cairn.ai.result_code", code)
}

func setIfAbsentAny(a telemetry.Attributes, key string, v any) {
	if _, ok := a[key]; !ok {
		a[key] = v
	}
}

// links parses the _MS.links property into span links and removes it; a value that does not
// parse is left as an attribute, so nothing is lost.
func links(a telemetry.Attributes) []telemetry.Link {
	raw, ok := a[msLinksProperty].(string)
	if !ok {
		return nil
	}
	var in []struct {
		TraceID string `json:"operation_Id"`
		SpanID  string `json:"id"`
	}
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return nil
	}
	out := make([]telemetry.Link, 0, len(in))
	for _, l := range in {
		t, err1 := telemetry.ParseTraceID(l.TraceID)
		s, err2 := telemetry.ParseSpanID(l.SpanID)
		if err1 != nil || err2 != nil {
			return nil
		}
		out = append(out, telemetry.Link{TraceID: t, SpanID: s})
	}
	delete(a, msLinksProperty)
	return out
}
