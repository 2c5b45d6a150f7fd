package e2e

// Helpers of the OTLP, bad-input, crash and CLI tests: the API's JSON shapes, raw OTLP
// requests, Prometheus scraping and the server process's memory.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// gotSummary is a TraceSummary of docs/api.md.
type gotSummary struct {
	TraceID       string  `json:"traceId"`
	RootName      string  `json:"rootName"`
	RootService   string  `json:"rootService"`
	HasRoot       bool    `json:"hasRoot"`
	StartUnixNano string  `json:"startUnixNano"`
	DurationMs    float64 `json:"durationMs"`
	SpanCount     int     `json:"spanCount"`
	ErrorCount    int     `json:"errorCount"`
	SessionID     string  `json:"sessionId"`
}

// gotSpan is a Span of docs/api.md.
type gotSpan struct {
	TraceID       string  `json:"traceId"`
	SpanID        string  `json:"spanId"`
	ParentSpanID  string  `json:"parentSpanId"`
	Name          string  `json:"name"`
	Kind          string  `json:"kind"`
	Service       string  `json:"service"`
	StartUnixNano string  `json:"startUnixNano"`
	EndUnixNano   string  `json:"endUnixNano"`
	DurationMs    float64 `json:"durationMs"`
	Status        struct{ Code, Message string }
	Attributes    map[string]any `json:"attributes"`
	Resource      map[string]any `json:"resource"`
	Scope         struct{ Name, Version string }
	Events        []struct {
		Name         string         `json:"name"`
		TimeUnixNano string         `json:"timeUnixNano"`
		Attributes   map[string]any `json:"attributes"`
	} `json:"events"`
	Links []struct {
		TraceID    string         `json:"traceId"`
		SpanID     string         `json:"spanId"`
		Attributes map[string]any `json:"attributes"`
	} `json:"links"`
	Logs       []gotLog        `json:"logs"`
	Truncated  map[string]int  `json:"truncated"`
	SessionID  string          `json:"sessionId"`
	Generation json.RawMessage `json:"generation"`
}

// gotLog is a Log of docs/api.md.
type gotLog struct {
	TimeUnixNano   string         `json:"timeUnixNano"`
	TraceID        string         `json:"traceId"`
	SpanID         string         `json:"spanId"`
	SeverityNumber int            `json:"severityNumber"`
	SeverityText   string         `json:"severityText"`
	EventName      string         `json:"eventName"`
	Body           any            `json:"body"`
	Attributes     map[string]any `json:"attributes"`
	Resource       map[string]any `json:"resource"`
}

// gotTrace is GET /api/v1/traces/{id}.
type gotTrace struct {
	Summary    gotSummary `json:"summary"`
	Spans      []gotSpan  `json:"spans"`
	OrphanLogs []gotLog   `json:"orphanLogs"`
}

// span returns the span named name, failing the test when there is none.
func (g *gotTrace) span(t *testing.T, name string) gotSpan {
	t.Helper()
	for _, s := range g.Spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("trace %s has no span %q; spans: %v", g.Summary.TraceID, name, g.spanNames())
	return gotSpan{}
}

func (g *gotTrace) spanNames() []string {
	var n []string
	for _, s := range g.Spans {
		n = append(n, s.Name)
	}
	return n
}

// gotTraceList is GET /api/v1/traces.
type gotTraceList struct {
	Traces     []gotSummary `json:"traces"`
	NextCursor string       `json:"nextCursor"`
}

// getJSONNum is getJSON decoding numbers as json.Number, so int64 values can be compared exactly.
func getJSONNum(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		dec := json.NewDecoder(resp.Body)
		dec.UseNumber()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp.StatusCode
}

// waitTrace polls GET /api/v1/traces/{id} until ok accepts it.
func waitTrace(t *testing.T, p *cairnProc, traceID string, ok func(*gotTrace) bool) *gotTrace {
	t.Helper()
	var g *gotTrace
	waitFor(t, func() bool {
		g = &gotTrace{}
		return getJSONNum(t, p.API("/traces/"+traceID), g) == http.StatusOK && ok(g)
	}, "trace "+traceID)
	return g
}

// getTrace GETs one trace now; the status is 0 when the server did not answer.
func getTrace(t *testing.T, p *cairnProc, traceID string) (*gotTrace, int) {
	t.Helper()
	g := &gotTrace{}
	code := getJSONNum(t, p.API("/traces/"+traceID), g)
	return g, code
}

// searchAll follows nextCursor over GET /api/v1/traces?query and returns every page.
func searchAll(t *testing.T, p *cairnProc, query string) [][]gotSummary {
	t.Helper()
	var pages [][]gotSummary
	cursor := ""
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatalf("GET /traces?%s: more than 1000 pages", query)
		}
		url := p.API("/traces?" + query)
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		var page gotTraceList
		if code := getJSON(t, url, &page); code != http.StatusOK {
			t.Fatalf("GET %s: status %d", url, code)
		}
		pages = append(pages, page.Traces)
		if page.NextCursor == "" {
			return pages
		}
		cursor = page.NextCursor
	}
}

// traceIDsOf lists the trace ids of summaries.
func traceIDsOf(s []gotSummary) []string {
	var ids []string
	for _, x := range s {
		ids = append(ids, x.TraceID)
	}
	return ids
}

// httpDo sends a request and returns the status, the headers and the body.
func httpDo(t *testing.T, method, url string, body []byte, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, b
}

// postProto POSTs a protobuf OTLP body to path (/v1/traces, ...).
func postProto(t *testing.T, p *cairnProc, path string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	return httpDo(t, http.MethodPost, p.BaseURL()+path, body, map[string]string{"Content-Type": "application/x-protobuf"})
}

// mustMarshal is proto.Marshal that fails the test on error.
func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newTraceID and newSpanID are random ids.
func newTraceID() []byte { return randBytes(16) }
func newSpanID() []byte  { return randBytes(8) }

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

// pbSpan is a span of the OTLP protobuf with a string attribute "i" = name.
func pbSpan(traceID, spanID, parent []byte, name string, start time.Time, d time.Duration) *tracepb.Span {
	return &tracepb.Span{
		TraceId: traceID, SpanId: spanID, ParentSpanId: parent, Name: name,
		Kind:              tracepb.Span_SPAN_KIND_INTERNAL,
		StartTimeUnixNano: uint64(start.UnixNano()), EndTimeUnixNano: uint64(start.Add(d).UnixNano()),
	}
}

// pbStr is a string attribute.
func pbStr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// pbTraces wraps spans in an export request of one service.
func pbTraces(service string, spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{pbStr("service.name", service)}},
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "e2e"}, Spans: spans}},
	}}}
}

// dialGRPC connects to the server's OTLP/gRPC port.
func dialGRPC(t *testing.T, p *cairnProc) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(p.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// rawCodec sends and receives gRPC messages as they are: *[]byte both ways.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), b...)
	return nil
}
func (rawCodec) Name() string { return "proto" }
func grpcRaw(ctx context.Context, conn *grpc.ClientConn, method string, in []byte, opts ...grpc.CallOption) ([]byte, error) {
	var out []byte
	opts = append(opts, grpc.ForceCodec(rawCodec{}))
	err := conn.Invoke(ctx, method, &in, &out, opts...)
	return out, err
}

const grpcTraceExport = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// promMetrics scrapes /metrics (with the bearer token when not empty) into
// "name{labels}" → value; labels are as Prometheus prints them (sorted).
func promMetrics(t *testing.T, p *cairnProc, token string) map[string]float64 {
	t.Helper()
	h := map[string]string{}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	code, _, body := httpDo(t, http.MethodGet, p.BaseURL()+"/metrics", nil, h)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", code, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out
}

// storeSpans is /metrics cairn_store_spans.
func storeSpans(t *testing.T, p *cairnProc) int {
	t.Helper()
	v, ok := promMetrics(t, p, "")["cairn_store_spans"]
	if !ok {
		t.Fatalf("/metrics has no cairn_store_spans")
	}
	return int(v)
}

// PID is the server's process id.
func (p *cairnProc) PID() int { return p.cmd.Process.Pid }

// procStatusKB reads a "VmRSS"/"VmHWM" line of /proc/<pid>/status in KiB (0 when unknown).
func procStatusKB(pid int, field string) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return 0
}

// Interrupt sends SIGINT and waits up to limit for the exit; it returns the exit code and how
// long the stop took (the test fails when the process did not exit in time).
func (p *cairnProc) Interrupt(t *testing.T, limit time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("cairn did not exit within %v of SIGINT:\n%s", limit, p.Output())
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

// runCairn runs the cairn binary to completion with extra environment variables and returns
// its exit code, stdout and stderr. It fails the test after timeout.
func runCairn(t *testing.T, timeout time.Duration, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cairnBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("cairn %v did not finish within %v\nstdout: %s\nstderr: %s", args, timeout, stdout.String(), stderr.String())
	}
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("cairn %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return code, stdout.String(), stderr.String()
}
