// Package genai turns spans and log records of every GenAI instrumentation convention into
// one telemetry.Generation per model call, agent invocation or tool execution: OpenTelemetry
// GenAI in all its generations (attributes, per-message events as span events or log records,
// the inference.operation.details event), OpenInference (Arize Phoenix), OpenLLMetry
// (Traceloop) and Application Insights, which delivers the same attributes as strings.
//
// Enrich runs at ingest for every span and must stay cheap: it looks attributes up by key and
// walks the attribute map only when a flattened convention (OpenInference, OpenLLMetry) is
// present. MergeLogs runs at read time, because content events sent as log records may arrive
// before or after their span, in another request.
//
// Everything here is pure code without I/O, except New reading an optional price file.
package genai
