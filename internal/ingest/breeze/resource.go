package breeze

import (
	"encoding/json"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// resourceKey identifies the process an envelope came from: the exporters write the resource
// only as the tags ai.cloud.role (service.namespace + "." + service.name) and roleInstance.
type resourceKey struct{ role, instance string }

func keyOf(e *envelope) resourceKey {
	return resourceKey{role: e.Tags[tagCloudRole], instance: e.Tags[tagCloudInstance]}
}

// isOTelResource reports whether the envelope is the _OTELRESOURCE_ metric, which carries the
// exporter's OTel resource attributes as properties.
func (e *envelope) isOTelResource() bool {
	if e.baseType() != baseMetric {
		return false
	}
	for _, m := range e.Data.BaseData.Metrics {
		if m.Name == otelResourceMetric {
			return true
		}
	}
	return false
}

// noteResource records the properties of an _OTELRESOURCE_ envelope for its (role, instance).
func (d *decoder) noteResource(e *envelope) {
	if e.isOTelResource() {
		d.otelResources[keyOf(e)] = e.Data.BaseData.Properties
	}
}

// resource returns the one *Resource of the envelope's (role, instance) in this request: the
// _OTELRESOURCE_ attributes when the request had them, completed from the tags.
func (d *decoder) resource(e *envelope) *telemetry.Resource {
	k := keyOf(e)
	if r, ok := d.resources[k]; ok {
		return r
	}
	attrs := make(telemetry.Attributes)
	for key, v := range d.otelResources[k] {
		attrs[key] = propertyString(v)
	}
	setIfAbsent(attrs, "service.name", k.role)
	setIfAbsent(attrs, "service.instance.id", k.instance)
	setIfAbsent(attrs, "service.version", e.Tags[tagApplicationVer])
	setIfAbsent(attrs, "cairn.ai.sdk_version", e.Tags[tagSDKVersion])
	r := &telemetry.Resource{Attributes: attrs}
	d.resources[k] = r
	return r
}

// setIfAbsent sets a string attribute unless it is empty or the key is already set (a property
// the app set wins over a value recovered from envelope fields).
func setIfAbsent(a telemetry.Attributes, key, value string) {
	if value == "" {
		return
	}
	if _, ok := a[key]; !ok {
		a[key] = value
	}
}

// propertyString returns a property value as a string: properties are strings by the schema,
// but a malformed payload may carry other JSON values, kept as their JSON text.
func propertyString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// attributes converts properties (strings) and measurements (floats) to attributes, and adds
// the session and user the exporters moved into tags.
func attributes(e *envelope) telemetry.Attributes {
	bd := &e.Data.BaseData
	attrs := make(telemetry.Attributes, len(bd.Properties)+len(bd.Measurements)+4)
	for k, v := range bd.Properties {
		attrs[k] = propertyString(v)
	}
	for k, v := range bd.Measurements {
		attrs[k] = v
	}
	setIfAbsent(attrs, "session.id", e.Tags[tagSessionID])
	setIfAbsent(attrs, "enduser.id", e.Tags[tagUserID])
	setIfAbsent(attrs, "enduser.id", e.Tags[tagAuthUserID])
	if e.SampleRate != nil && *e.SampleRate != 100 {
		attrs["cairn.ai.sample_rate"] = *e.SampleRate
	}
	return attrs
}
