// Package breeze receives Application Insights telemetry (the "Breeze" /v2.1/track protocol that
// the Azure Monitor OpenTelemetry exporters speak) and turns its envelopes back into Cairn's
// telemetry model: Request and RemoteDependency envelopes become spans, Message, Event and
// Exception envelopes become log records, Metric envelopes become metric points.
package breeze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Envelope names and base types, as the exporters write them.
const (
	baseRequest    = "RequestData"
	baseDependency = "RemoteDependencyData"
	baseException  = "ExceptionData"
	baseMessage    = "MessageData"
	baseEvent      = "EventData"
	baseMetric     = "MetricData"

	// otelResourceMetric names the MetricData envelope that carries the OTel resource's
	// attributes as properties, once per export batch; it is not a metric.
	otelResourceMetric = "_OTELRESOURCE_"
)

// Context tag keys (PROTOCOLS A3).
const (
	tagOperationID    = "ai.operation.id"
	tagParentID       = "ai.operation.parentId"
	tagOperationName  = "ai.operation.name"
	tagCloudRole      = "ai.cloud.role"
	tagCloudInstance  = "ai.cloud.roleInstance"
	tagSDKVersion     = "ai.internal.sdkVersion"
	tagSessionID      = "ai.session.id"
	tagUserID         = "ai.user.id"
	tagAuthUserID     = "ai.user.authUserId"
	tagLocationIP     = "ai.location.ip"
	tagApplicationVer = "ai.application.ver"
)

// envelope is one telemetry item of a track request.
type envelope struct {
	Name       string            `json:"name"`
	Time       string            `json:"time"`
	SampleRate *float64          `json:"sampleRate"`
	IKey       string            `json:"iKey"`
	Tags       map[string]string `json:"tags"`
	Data       struct {
		BaseType string   `json:"baseType"`
		BaseData baseData `json:"baseData"`
	} `json:"data"`
}

// baseData is the union of the base types' fields: one struct decodes them all in one pass.
type baseData struct {
	ID            flexString         `json:"id"`
	Name          string             `json:"name"`
	Duration      string             `json:"duration"`
	Success       *bool              `json:"success"`
	ResponseCode  flexString         `json:"responseCode"`
	ResultCode    flexString         `json:"resultCode"`
	Source        string             `json:"source"`
	URL           string             `json:"url"`
	Data          string             `json:"data"`
	Type          string             `json:"type"`
	Target        string             `json:"target"`
	Message       string             `json:"message"`
	SeverityLevel flexString         `json:"severityLevel"`
	Exceptions    []exceptionDetails `json:"exceptions"`
	Metrics       []dataPoint        `json:"metrics"`
	Properties    map[string]any     `json:"properties"`
	Measurements  map[string]float64 `json:"measurements"`
}

// exceptionDetails is one exception of an ExceptionData (outer first, then inner ones).
type exceptionDetails struct {
	TypeName    string       `json:"typeName"`
	Message     string       `json:"message"`
	Stack       string       `json:"stack"`
	ParsedStack []stackFrame `json:"parsedStack"`
}

// stackFrame is one frame of a parsed stack (.NET and Python SDKs send these).
type stackFrame struct {
	Level    int    `json:"level"`
	Method   string `json:"method"`
	Assembly string `json:"assembly"`
	FileName string `json:"fileName"`
	Line     int    `json:"line"`
}

// dataPoint is one metric of a MetricData: a single measurement, or an aggregate when count,
// min or max are set (value is then the sum).
type dataPoint struct {
	Namespace string     `json:"ns"`
	Name      string     `json:"name"`
	Kind      flexString `json:"kind"`
	Value     float64    `json:"value"`
	Count     *float64   `json:"count"`
	Min       *float64   `json:"min"`
	Max       *float64   `json:"max"`
	StdDev    *float64   `json:"stdDev"`
}

// flexString accepts a JSON string, number or boolean as its text: SDKs disagree on whether
// result codes and severity levels are strings or numbers.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*f = flexString(b)
	default:
		if _, err := strconv.ParseFloat(string(b), 64); err != nil {
			return fmt.Errorf("want a string or number, got %s", truncate(string(b), 32))
		}
		*f = flexString(b)
	}
	return nil
}
