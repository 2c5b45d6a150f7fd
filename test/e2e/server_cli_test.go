package e2e

import (
	"context"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
)

// startServerArgs runs `cairn <args>` (args chosen entirely by the test) and probes it at
// httpAddr, a loopback address; the process environment is inherited.
func startServerArgs(t *testing.T, httpAddr, grpcAddr, data string, args ...string) *cairnProc {
	t.Helper()
	p := &cairnProc{HTTP: httpAddr, GRPC: grpcAddr, Data: data, args: args}
	p.start(t)
	t.Cleanup(func() {
		p.Stop(t)
		if t.Failed() {
			t.Logf("cairn output:\n%s", p.Output())
		}
	})
	return p
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestServeRefusesPublicWithoutToken: listening beyond loopback without --api-token is refused
// at start, with the fix in the message, whether the address comes from a flag or CAIRN_*.
func TestServeRefusesPublicWithoutToken(t *testing.T) {
	t.Parallel()
	f := func(env []string, args ...string) {
		t.Helper()
		args = append([]string{"serve", "--data", t.TempDir()}, args...)
		code, stdout, stderr := runCairn(t, 20*time.Second, env, args...)
		if code != 1 || !strings.Contains(stderr, "refusing to listen on") || !strings.Contains(stderr, "--api-token") ||
			!strings.Contains(stderr, "--allow-unauthenticated") || strings.Contains(stdout, "is running") {
			t.Errorf("cairn %v (env %v): exit %d\nstdout: %s\nstderr: %s\nwant exit 1 refusing, naming --api-token and --allow-unauthenticated", args, env, code, stdout, stderr)
		}
	}
	port := portOf(t, freeAddr(t))
	f(nil, "--http-addr", "0.0.0.0:"+port, "--grpc-addr", freeAddr(t))
	f(nil, "--http-addr", ":"+port, "--grpc-addr", "off")
	f(nil, "--http-addr", "[::]:"+port, "--grpc-addr", "off")
	f(nil, "--http-addr", freeAddr(t), "--grpc-addr", "0.0.0.0:"+port)
	f(nil, "--http-addr", freeAddr(t), "--grpc-addr", "off", "--tls-addr", "0.0.0.0:"+port)
	f([]string{"CAIRN_HTTP_ADDR=0.0.0.0:" + port, "CAIRN_GRPC_ADDR=off"})
}

// TestAPIToken: with --api-token the server listens on 0.0.0.0; the API and /metrics need the
// bearer token, health checks and OTLP ingestion do not.
func TestAPIToken(t *testing.T) {
	t.Parallel()
	port := portOf(t, freeAddr(t))
	data := t.TempDir()
	p := startServerArgs(t, "127.0.0.1:"+port, freeAddr(t), data,
		"serve", "--data", data, "--http-addr", "0.0.0.0:"+port, "--grpc-addr", "off", "--api-token", "s3cret")
	f := func(path, auth string, want int) {
		t.Helper()
		h := map[string]string{}
		if auth != "" {
			h["Authorization"] = auth
		}
		code, hdr, body := httpDo(t, http.MethodGet, p.BaseURL()+path, nil, h)
		if code != want {
			t.Errorf("GET %s with Authorization %q: %d %q; want %d", path, auth, code, body, want)
		}
		if code == http.StatusUnauthorized && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("GET %s 401 without WWW-Authenticate: Bearer (got %q)", path, hdr.Get("WWW-Authenticate"))
		}
	}
	f("/api/v1/traces", "", http.StatusUnauthorized)
	f("/api/v1/traces", "Bearer wrong", http.StatusUnauthorized)
	f("/api/v1/traces", "s3cret", http.StatusUnauthorized)
	f("/api/v1/traces", "Basic s3cret", http.StatusUnauthorized)
	f("/api/v1/traces", "Bearer s3cret", http.StatusOK)
	f("/api/v1/services", "", http.StatusUnauthorized)
	f("/api/v1/services", "Bearer s3cret", http.StatusOK)
	f("/metrics", "", http.StatusUnauthorized)
	f("/metrics", "Bearer wrong", http.StatusUnauthorized)
	f("/metrics", "Bearer s3cret", http.StatusOK)
	f("/metrics", "bearer s3cret", http.StatusOK) // as /api/ accepts it
	f("/api/v1/traces", "bearer s3cret", http.StatusOK)
	f("/healthz", "", http.StatusOK)
	f("/readyz", "", http.StatusOK)
	// Ingestion is guarded by --ingest-token, not the API token.
	id := sendOne(t, p, "token", "no token needed")
	code, _, body := httpDo(t, http.MethodGet, p.API("/traces/"+id), nil, map[string]string{"Authorization": "Bearer s3cret"})
	if code != http.StatusOK || !strings.Contains(string(body), `"no token needed"`) {
		t.Errorf("GET the trace with the token: %d %s", code, body)
	}
	if !strings.Contains(promMetricsText(t, p, "s3cret"), "cairn_store_spans 1") {
		t.Errorf("/metrics with the token lacks cairn_store_spans 1")
	}
}

func promMetricsText(t *testing.T, p *cairnProc, token string) string {
	t.Helper()
	_, _, body := httpDo(t, http.MethodGet, p.BaseURL()+"/metrics", nil, map[string]string{"Authorization": "Bearer " + token})
	return string(body)
}

// TestIngestToken: with --ingest-token, OTLP/HTTP without the bearer is a 401 and OTLP/gRPC
// UNAUTHENTICATED; with it, the SDK's exporters deliver.
func TestIngestToken(t *testing.T) {
	t.Parallel()
	p := startServer(t, "", "--ingest-token", "in-9", "--max-body", "1MiB", "--tls-addr", freeAddr(t))
	body := mustMarshal(t, pbTraces("ingest", pbSpan(newTraceID(), newSpanID(), nil, "refused", time.Now(), time.Millisecond)))
	for _, path := range []string{"/v1/traces", "/v1/logs", "/v1/metrics"} {
		for _, auth := range []string{"", "Bearer wrong", "in-9", "Bearer in-9x"} {
			h := map[string]string{"Content-Type": "application/x-protobuf"}
			if auth != "" {
				h["Authorization"] = auth
			}
			code, hdr, resp := httpDo(t, http.MethodPost, p.BaseURL()+path, body, h)
			if code != http.StatusUnauthorized || !strings.Contains(string(resp), "ingest token") || hdr.Get("WWW-Authenticate") == "" {
				t.Errorf("POST %s with Authorization %q: %d %q; want 401 about the ingest token", path, auth, code, resp)
			}
		}
	}
	conn := dialGRPC(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tc := coltracepb.NewTraceServiceClient(conn)
	for _, md := range []metadata.MD{nil, metadata.Pairs("authorization", "Bearer nope")} {
		c := ctx
		if md != nil {
			c = metadata.NewOutgoingContext(ctx, md)
		}
		if _, err := tc.Export(c, pbTraces("ingest", pbSpan(newTraceID(), newSpanID(), nil, "refused", time.Now(), time.Millisecond))); status.Code(err) != codes.Unauthenticated {
			t.Errorf("gRPC traces with metadata %v: %v; want Unauthenticated", md, err)
		}
	}
	if _, err := collogspb.NewLogsServiceClient(conn).Export(ctx, &collogspb.ExportLogsServiceRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC logs without a token: %v; want Unauthenticated", err)
	}
	if _, err := colmetricspb.NewMetricsServiceClient(conn).Export(ctx, &colmetricspb.ExportMetricsServiceRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC metrics without a token: %v; want Unauthenticated", err)
	}
	// A message over the size limit without a token is refused for the token, not for its
	// size: the check runs before the message is read.
	big := pbTraces("ingest", pbSpan(newTraceID(), newSpanID(), nil, strings.Repeat("x", 2<<20), time.Now(), time.Millisecond))
	if _, err := tc.Export(ctx, big); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC 2 MiB message without a token: %v; want Unauthenticated before the size check", err)
	}
	// Application Insights: the instrumentation key must be the token (or a bearer token sent).
	envelopes := func(key, name string) []byte {
		return []byte(`[{"name":"Microsoft.ApplicationInsights.Request","time":"` + time.Now().UTC().Format(time.RFC3339Nano) +
			`","iKey":"` + key + `","tags":{"ai.operation.id":"` + hex.EncodeToString(newTraceID()) + `","ai.cloud.role":"ingest-breeze"},` +
			`"data":{"baseType":"RequestData","baseData":{"ver":2,"id":"` + hex.EncodeToString(newSpanID()) + `","name":"` + name +
			`","duration":"00:00:00.010","success":true,"responseCode":"200"}}}]`)
	}
	for _, key := range []string{"00000000-0000-0000-0000-000000000000", "in-9x", ""} {
		code, hdr, resp := httpDo(t, http.MethodPost, p.BaseURL()+"/v2.1/track", envelopes(key, "refused"), map[string]string{"Content-Type": "application/json"})
		if code != http.StatusUnauthorized || !strings.Contains(string(resp), "InstrumentationKey") || hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("track with iKey %q: %d %q; want 401 naming the InstrumentationKey", key, code, resp)
		}
	}
	if n := storeSpans(t, p); n != 0 {
		t.Errorf("cairn_store_spans = %d after refused requests, want 0", n)
	}
	for _, h := range []map[string]string{{}, {"Authorization": "Bearer in-9"}} {
		key := "in-9"
		if len(h) > 0 {
			key = "any-key"
		}
		h["Content-Type"] = "application/json"
		if code, _, resp := httpDo(t, http.MethodPost, p.BaseURL()+"/v2.1/track", envelopes(key, "breeze with token"), h); code != http.StatusOK {
			t.Errorf("track with iKey %q and headers %v: %d %q; want 200", key, h, code, resp)
		}
	}
	if n := storeSpans(t, p); n != 2 {
		t.Errorf("cairn_store_spans = %d after two accepted track requests, want 2", n)
	}
	// The connection string the UI shows names the token without revealing it.
	var info struct {
		ConnectionString string `json:"breezeConnectionString"`
	}
	getJSON(t, p.BaseURL()+"/api/v1/info", &info)
	if !strings.Contains(info.ConnectionString, "InstrumentationKey=<ingest-token>;") || strings.Contains(info.ConnectionString, "in-9") {
		t.Errorf("/api/v1/info connection string %q: want the <ingest-token> placeholder, never the token", info.ConnectionString)
	}
	if out := p.Output(); strings.Contains(out, "in-9") || !strings.Contains(out, "InstrumentationKey=<ingest-token>;IngestionEndpoint=https://") {
		t.Errorf("the server printed its ingest token, or no TLS connection string with the placeholder:\n%s", out)
	}

	// The raw requests with the token, then the SDK exporters configured as the banner says.
	authed := metadata.NewOutgoingContext(ctx, metadata.Pairs("authorization", "Bearer in-9"))
	if _, err := tc.Export(authed, pbTraces("ingest", pbSpan(newTraceID(), newSpanID(), nil, "raw grpc", time.Now(), time.Millisecond))); err != nil {
		t.Errorf("gRPC with the token: %v", err)
	}
	for _, auth := range []string{"Bearer in-9", "bearer in-9"} {
		if code, _, resp := httpDo(t, http.MethodPost, p.BaseURL()+"/v1/traces", body,
			map[string]string{"Content-Type": "application/x-protobuf", "Authorization": auth}); code != http.StatusOK {
			t.Errorf("HTTP with Authorization %q: %d %q", auth, code, resp)
		}
	}
	for _, transport := range []string{"grpc", "http"} {
		c := newSDKClients(t, p, transport, "ingest-"+transport, map[string]string{"Authorization": "Bearer in-9"})
		_, span := c.tp.Tracer("e2e").Start(context.Background(), "sdk with token", trace.WithAttributes(attribute.String("via", transport)))
		span.End()
		c.flush(t)
		tid := span.SpanContext().TraceID().String()
		if g, code := getTrace(t, p, tid); code != http.StatusOK || g.Summary.RootService != "ingest-"+transport {
			t.Errorf("SDK over %s with the token: trace %s: %d %+v", transport, tid, code, g.Summary)
		}
	}
}

// TestServeEnvironment: every flag can be set by its CAIRN_* variable; a flag beats the
// variable; a bad value in a variable is an error naming the variable.
func TestServeEnvironment(t *testing.T) {
	// Not parallel: t.Setenv changes the environment the cairn process inherits.
	httpAddr, grpcAddr, data := freeAddr(t), freeAddr(t), filepath.Join(t.TempDir(), "from-env")
	t.Setenv("CAIRN_HTTP_ADDR", httpAddr)
	t.Setenv("CAIRN_GRPC_ADDR", "127.0.0.1:1") // overridden by the flag below
	t.Setenv("CAIRN_DATA", data)
	t.Setenv("CAIRN_API_TOKEN", "from-env")
	t.Setenv("CAIRN_QUEUE_ITEMS", "1234")
	t.Setenv("CAIRN_MAX_BODY", "1KiB")
	p := startServerArgs(t, httpAddr, grpcAddr, data, "serve", "--grpc-addr", grpcAddr)
	if !strings.Contains(p.Output(), "data in "+data) {
		t.Errorf("banner does not show the data directory %s from CAIRN_DATA:\n%s", data, p.Output())
	}
	if _, err := os.Stat(data); err != nil {
		t.Errorf("CAIRN_DATA directory: %v", err)
	}
	if code, _, _ := httpDo(t, http.MethodGet, p.API("/traces"), nil, nil); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/traces without the CAIRN_API_TOKEN: %d, want 401", code)
	}
	if !strings.Contains(promMetricsText(t, p, "from-env"), "cairn_queue_capacity_items 1234") {
		t.Errorf("CAIRN_QUEUE_ITEMS=1234 not applied")
	}
	big := mustMarshal(t, pbTraces("env", pbSpan(newTraceID(), newSpanID(), nil, strings.Repeat("x", 2048), time.Now(), time.Millisecond)))
	if code, _, _ := postProto(t, p, "/v1/traces", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 KiB request with CAIRN_MAX_BODY=1KiB: %d, want 413", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := coltracepb.NewTraceServiceClient(dialGRPC(t, p)).Export(ctx, &coltracepb.ExportTraceServiceRequest{}); err != nil {
		t.Errorf("gRPC on the --grpc-addr flag (not CAIRN_GRPC_ADDR): %v", err)
	}
	p.Stop(t)

	code, _, stderr := runCairn(t, 20*time.Second, []string{"CAIRN_QUEUE_ITEMS=lots", "CAIRN_HTTP_ADDR=" + freeAddr(t)}, "serve", "--grpc-addr", "off")
	if code == 0 || !strings.Contains(stderr, "CAIRN_QUEUE_ITEMS") || !strings.Contains(stderr, "lots") {
		t.Errorf("CAIRN_QUEUE_ITEMS=lots: exit %d, stderr %q; want an error naming the variable", code, stderr)
	}
}

// serveFlags is every flag of `cairn serve`.
var serveFlags = []string{"data", "http-addr", "grpc-addr", "tls-addr", "tls-cert", "tls-key", "api-token", "ingest-token",
	"allow-unauthenticated", "max-body", "max-body-memory", "max-value", "queue-items", "retention", "retention-size", "prices", "log-level", "pprof-addr"}

// TestServeCommandLine: --help lists every flag with its variable and exits 0; usage errors
// exit 2 saying what is wrong; a configuration error exits 1 with the fix.
func TestServeCommandLine(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCairn(t, 20*time.Second, nil, "serve", "--help")
	help := stdout + stderr
	if code != 0 || !strings.Contains(help, "Usage: cairn serve") {
		t.Errorf("cairn serve --help: exit %d\n%s", code, help)
	}
	for _, f := range serveFlags {
		env := "CAIRN_" + strings.ToUpper(strings.ReplaceAll(f, "-", "_"))
		if !strings.Contains(help, "--"+f+"  ["+env+"]") {
			t.Errorf("cairn serve --help does not list --%s [%s]", f, env)
		}
	}
	if n := strings.Count(help, "\n  --"); n != len(serveFlags) {
		t.Errorf("cairn serve --help lists %d flags, want %d:\n%s", n, len(serveFlags), help)
	}

	f := func(wantCode int, wantMsg string, args ...string) {
		t.Helper()
		code, stdout, stderr := runCairn(t, 20*time.Second, nil, args...)
		if code != wantCode || !strings.Contains(stderr, wantMsg) || strings.Contains(stdout, "is running") {
			t.Errorf("cairn %v: exit %d\nstdout: %s\nstderr: %s\nwant exit %d saying %q", args, code, stdout, stderr, wantCode, wantMsg)
		}
	}
	f(2, "flag provided but not defined: -bogus", "serve", "--bogus")
	f(2, "flag provided but not defined: -bogus", "serve", "--data", t.TempDir(), "--bogus", "1")
	f(2, `unexpected argument "extra"`, "serve", "extra")
	f(2, "invalid value", "serve", "--queue-items", "lots")
	f(2, "not a size", "serve", "--max-body", "20 parsecs")
	f(2, "invalid value", "serve", "--log-level", "chatty")
	f(0, "Commands:", "--help")
	f(2, "Commands:")
	f(2, `unknown command "srve"`, "srve")
	dir := t.TempDir()
	f(1, "--tls-cert and --tls-key go together", "serve", "--data", dir, "--http-addr", freeAddr(t), "--grpc-addr", "off", "--tls-cert", filepath.Join(dir, "c.pem"))
	f(1, "--tls-cert was given without --tls-addr", "serve", "--data", dir, "--http-addr", freeAddr(t), "--grpc-addr", "off",
		"--tls-cert", filepath.Join(dir, "c.pem"), "--tls-key", filepath.Join(dir, "k.pem"))
	f(1, "use host:port", "serve", "--data", dir, "--http-addr", "4318", "--grpc-addr", "off")
	// A port in use is reported before anything is served.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f(1, "is another Cairn running?", "serve", "--data", dir, "--http-addr", ln.Addr().String(), "--grpc-addr", "off")
}

// TestHealthAndSelfMetrics: /healthz and /readyz answer 200; after ingest over both transports
// /metrics counts what was received and stored.
func TestHealthAndSelfMetrics(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	for path, want := range map[string]string{"/healthz": "ok\n", "/readyz": "ready\n"} {
		if code, _, body := httpDo(t, http.MethodGet, p.BaseURL()+path, nil, nil); code != http.StatusOK || string(body) != want {
			t.Errorf("GET %s: %d %q; want 200 %q", path, code, body, want)
		}
	}
	now := time.Now()
	tid := newTraceID()
	if code, _, resp := postProto(t, p, "/v1/traces", mustMarshal(t, pbTraces("selfmetrics",
		pbSpan(tid, newSpanID(), nil, "a", now, time.Millisecond), pbSpan(tid, newSpanID(), nil, "b", now, time.Millisecond),
		pbSpan(tid, newSpanID(), nil, "c", now, time.Millisecond)))); code != http.StatusOK {
		t.Fatalf("traces: %d %q", code, resp)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := dialGRPC(t, p)
	if _, err := coltracepb.NewTraceServiceClient(conn).Export(ctx, pbTraces("selfmetrics",
		pbSpan(newTraceID(), newSpanID(), nil, "d", now, time.Millisecond), pbSpan(newTraceID(), newSpanID(), nil, "e", now, time.Millisecond))); err != nil {
		t.Fatalf("gRPC traces: %v", err)
	}
	logs := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{
		{TimeUnixNano: uint64(now.UnixNano()), Body: pbStr("", "hello").Value}}}}}}}
	if code, _, resp := postProto(t, p, "/v1/logs", mustMarshal(t, logs)); code != http.StatusOK {
		t.Fatalf("logs: %d %q", code, resp)
	}
	point := &metricspb.NumberDataPoint{TimeUnixNano: uint64(now.UnixNano()), Value: &metricspb.NumberDataPoint_AsDouble{AsDouble: 1}}
	gauge := &metricspb.Metric{Name: "up", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{point}}}}
	metrics := &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{
		{ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{gauge}}}}}}
	if _, err := colmetricspb.NewMetricsServiceClient(conn).Export(ctx, metrics); err != nil {
		t.Fatalf("gRPC metrics: %v", err)
	}
	m := promMetrics(t, p, "")
	want := map[string]float64{
		`cairn_received_items_total{receiver="otlp_http",signal="traces"}`:  3,
		`cairn_received_items_total{receiver="otlp_grpc",signal="traces"}`:  2,
		`cairn_received_items_total{receiver="otlp_http",signal="logs"}`:    1,
		`cairn_received_items_total{receiver="otlp_grpc",signal="metrics"}`: 1,
		`cairn_store_written_items_total{kind="span"}`:                      5,
		"cairn_store_spans":                5,
		"cairn_store_traces":               3,
		"cairn_store_logs":                 1,
		"cairn_store_metric_points":        1,
		"cairn_queue_items":                0,
		"cairn_queue_capacity_items":       200000,
		`cairn_build_info{version="dev"}`:  1,
		"cairn_store_write_failures_total": 0,
		"cairn_queue_refused_items_total":  0,
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("/metrics %s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for _, k := range []string{"cairn_store_disk_bytes", "cairn_process_peak_resident_memory_bytes", "cairn_store_write_seconds_count"} {
		if m[k] <= 0 {
			t.Errorf("/metrics %s = %v, want > 0", k, m[k])
		}
	}
}
