package otlp

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
)

// post sends body to the handler and returns the recorded answer.
func post(t *testing.T, h *HTTPHandler, path, contentType, contentEncoding string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	h.Register(mux)
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if contentEncoding != "" {
		req.Header.Set("Content-Encoding", contentEncoding)
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	return w
}

// statusOf decodes a google.rpc.Status answer in the given encoding.
func statusOf(t *testing.T, w *httptest.ResponseRecorder, enc encoding) *spb.Status {
	t.Helper()
	st := &spb.Status{}
	var err error
	if enc == encJSON {
		err = protojson.Unmarshal(w.Body.Bytes(), st)
	} else {
		err = proto.Unmarshal(w.Body.Bytes(), st)
	}
	if err != nil {
		t.Fatalf("answer %d is not a %s google.rpc.Status: %v (%q)", w.Code, enc, err, clip(w.Body.String(), 200))
	}
	return st
}

// traceResponse decodes an ExportTraceServiceResponse answer.
func traceResponse(t *testing.T, w *httptest.ResponseRecorder, enc encoding) ptraceotlp.ExportResponse {
	t.Helper()
	resp := ptraceotlp.NewExportResponse()
	var err error
	if enc == encJSON {
		err = resp.UnmarshalJSON(w.Body.Bytes())
	} else {
		err = resp.UnmarshalProto(w.Body.Bytes())
	}
	if err != nil {
		t.Fatalf("answer is not an ExportTraceServiceResponse: %v", err)
	}
	return resp
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHTTPExportTraces(t *testing.T) {
	f := func(name string, enc encoding, contentType, contentEncoding string, compress bool) {
		t.Helper()
		rec := &recorder{}
		obs := &countingObserver{}
		h := NewHTTPHandler(rec, Options{Observer: obs}, nil)
		body := encodeTraces(t, oneSpan(func(s ptrace.Span) { s.Attributes().PutStr("gen_ai.request.model", "gpt-4o") }), enc)
		if compress {
			body = gzipped(t, body)
		}
		w := post(t, h, "/v1/traces", contentType, contentEncoding, body)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", name, w.Code, w.Body)
		}
		if got := w.Header().Get("Content-Type"); got != enc.contentType() {
			t.Errorf("%s: answer Content-Type %q; want %q", name, got, enc.contentType())
		}
		if ps := traceResponse(t, w, enc).PartialSuccess(); ps.RejectedSpans() != 0 || ps.ErrorMessage() != "" {
			t.Errorf("%s: partial success %d %q on a clean request", name, ps.RejectedSpans(), ps.ErrorMessage())
		}
		spans := rec.spans()
		if len(spans) != 1 || spans[0].Attributes.String("gen_ai.request.model") != "gpt-4o" || spans[0].Service() != "svc" {
			t.Fatalf("%s: stored %+v", name, spans)
		}
		if obs.received[SignalTraces] != 1 {
			t.Errorf("%s: observer received %v", name, obs.received)
		}
	}
	f("protobuf", encProto, "application/x-protobuf", "", false)
	f("JSON", encJSON, "application/json", "", false)
	f("JSON with charset", encJSON, "application/json; charset=utf-8", "identity", false)
	f("gzip protobuf", encProto, "application/x-protobuf", "gzip", true)
	f("gzip JSON", encJSON, "application/json", "gzip", true)
}

func TestHTTPJSONMapping(t *testing.T) {
	// Hex ids in either case, int64 as strings or numbers, enums as integers, unknown fields.
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
	  "scopeSpans":[{"scope":{"name":"lib"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C",
	  "spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"chat","kind":3,
	  "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":1544712661000000000,"unknownField":{"x":1},
	  "attributes":[{"key":"tokens","value":{"intValue":"42"}},{"key":"n","value":{"intValue":7}},
	  {"key":"b","value":{"bytesValue":"AAH/"}},{"key":"d","value":{"doubleValue":0.5}}],
	  "status":{"code":2,"message":"rate limited"}}]}]}]}`
	rec := &recorder{}
	w := post(t, NewHTTPHandler(rec, Options{}, nil), "/v1/traces", "application/json", "", []byte(body))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	s := rec.spans()[0]
	if s.TraceID.String() != "5b8efff798038103d269b633813fc60c" || s.SpanID.String() != "eee19b7ec3c1b174" ||
		s.ParentSpanID.String() != "eee19b7ec3c1b173" {
		t.Errorf("ids %s %s %s", s.TraceID, s.SpanID, s.ParentSpanID)
	}
	if s.Kind.String() != "client" || s.Status.Code.String() != "error" || s.Status.Message != "rate limited" {
		t.Errorf("kind %s status %+v", s.Kind, s.Status)
	}
	if s.StartUnixNano != 1544712660000000000 || s.EndUnixNano != 1544712661000000000 {
		t.Errorf("times %d %d", s.StartUnixNano, s.EndUnixNano)
	}
	if s.Attributes["tokens"] != int64(42) || s.Attributes["n"] != int64(7) || s.Attributes["d"] != 0.5 ||
		!bytes.Equal(s.Attributes["b"].([]byte), []byte{0, 1, 0xff}) {
		t.Errorf("attributes %#v", s.Attributes)
	}
}

func TestHTTPEmptyRequest(t *testing.T) {
	for _, c := range []struct {
		path, ct string
		body     string
	}{
		{"/v1/traces", "application/x-protobuf", ""},
		{"/v1/logs", "application/x-protobuf", ""},
		{"/v1/metrics", "application/x-protobuf", ""},
		{"/v1/traces", "application/json", "{}"},
		{"/v1/logs", "application/json", `{"resourceLogs":[]}`},
		{"/v1/metrics", "application/json", "{}"},
	} {
		rec := &recorder{err: consumer.ErrUnavailable} // never called for an empty batch
		w := post(t, NewHTTPHandler(rec, Options{}, nil), c.path, c.ct, "", []byte(c.body))
		if w.Code != http.StatusOK {
			t.Errorf("%s %s %q: status %d %s", c.path, c.ct, c.body, w.Code, w.Body)
		}
		if c.ct == "application/json" && strings.TrimSpace(w.Body.String()) != "{}" {
			t.Errorf("%s: JSON answer %q; want {}", c.path, w.Body)
		}
		if c.ct == "application/x-protobuf" && w.Body.Len() != 0 {
			t.Errorf("%s: protobuf answer %q; want an empty message", c.path, w.Body)
		}
	}
}

func TestHTTPPartialSuccess(t *testing.T) {
	f := func(enc encoding, body []byte) {
		t.Helper()
		rec := &recorder{}
		obs := &countingObserver{}
		w := post(t, NewHTTPHandler(rec, Options{Observer: obs}, nil), "/v1/traces", enc.contentType(), "", body)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", enc, w.Code, w.Body)
		}
		ps := traceResponse(t, w, enc).PartialSuccess()
		if ps.RejectedSpans() < 2 || !strings.Contains(ps.ErrorMessage(), "span 1 ") ||
			!strings.Contains(ps.ErrorMessage(), "all zeros") {
			t.Errorf("%s: partial success %d %q", enc, ps.RejectedSpans(), ps.ErrorMessage())
		}
		if got := len(rec.spans()); got != 2 {
			t.Errorf("%s: stored %d spans; want the 2 valid ones", enc, got)
		}
		if obs.received[SignalTraces] != 2 || obs.rejected[SignalTraces] != int(ps.RejectedSpans()) {
			t.Errorf("%s: observer %v %v", enc, obs.received, obs.rejected)
		}
	}
	f(encProto, badIDTracesProto(t))
	f(encJSON, []byte(badIDTracesJSON))
}

func TestHTTPRefusals(t *testing.T) {
	f := func(name string, h *HTTPHandler, method, path, ct, ce string, body []byte, wantStatus int, enc encoding, wantMsg string) {
		t.Helper()
		mux := http.NewServeMux()
		h.Register(mux)
		req := httptest.NewRequest(method, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if ce != "" {
			req.Header.Set("Content-Encoding", ce)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != wantStatus {
			t.Fatalf("%s: status %d; want %d (%s)", name, w.Code, wantStatus, w.Body)
		}
		if st := statusOf(t, w, enc); !strings.Contains(st.GetMessage(), wantMsg) {
			t.Errorf("%s: message %q does not contain %q", name, st.GetMessage(), wantMsg)
		}
	}
	h := NewHTTPHandler(&recorder{}, Options{}, nil)
	valid := encodeTraces(t, oneSpan(nil), encProto)
	f("malformed protobuf", h, "POST", "/v1/traces", "application/x-protobuf", "", []byte("\x0a\xff\xff\xff\x0f"), 400, encProto, "decode protobuf request")
	f("malformed JSON", h, "POST", "/v1/logs", "application/json", "", []byte(`{"resourceLogs":[{`), 400, encJSON, "decode JSON request")
	f("malformed metrics", h, "POST", "/v1/metrics", "application/json", "", []byte(`{"resourceMetrics":7}`), 400, encJSON, "metrics")
	f("wrong content type", h, "POST", "/v1/traces", "text/plain", "", valid, 415, encJSON, "application/x-protobuf or application/json")
	f("no content type", h, "POST", "/v1/traces", "", "", valid, 415, encJSON, "Content-Type")
	f("unknown encoding", h, "POST", "/v1/traces", "application/x-protobuf", "br", valid, 415, encProto, `Content-Encoding "br"`)
	f("corrupt gzip", h, "POST", "/v1/traces", "application/x-protobuf", "gzip", []byte("not gzip at all"), 400, encProto, "gzip")
	f("truncated gzip", h, "POST", "/v1/traces", "application/json", "gzip", gzipped(t, []byte("{}"))[:12], 400, encJSON, "read body")
	f("GET", h, "GET", "/v1/traces", "application/json", "", nil, 405, encJSON, "POST")
	small := NewHTTPHandler(&recorder{}, Options{MaxBodyBytes: 100}, nil)
	f("body past limit", small, "POST", "/v1/traces", "application/x-protobuf", "", make([]byte, 101), 413, encProto, "raise the limit with --max-body (CAIRN_MAX_BODY)")
	f("decompressed past limit", small, "POST", "/v1/traces", "application/json", "gzip", gzipped(t, make([]byte, 1000)), 413, encJSON, "100-byte")
}

// TestHTTPMemoryBudget: a body that does not fit in the server's memory budget for request
// bodies is refused with 429, Retry-After and a google.rpc.Status, and stored once it fits.
func TestHTTPMemoryBudget(t *testing.T) {
	budget := reqbody.NewBudget(1 << 20)
	rec := &recorder{}
	h := NewHTTPHandler(rec, Options{RetryAfter: 2 * time.Second, Budget: budget}, nil)
	body := encodeTraces(t, oneSpan(func(s ptrace.Span) { s.Attributes().PutStr("p", strings.Repeat("x", 300_000)) }), encProto)
	other := reqbody.NewReservation(budget)
	if err := other.Grow(900 << 10); err != nil {
		t.Fatal(err)
	}
	for _, ce := range []string{"", "gzip"} {
		b := body
		if ce == "gzip" {
			b = gzipped(t, body)
		}
		w := post(t, h, "/v1/traces", "application/x-protobuf", ce, b)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" {
			t.Errorf("%q while the budget is spent: status %d Retry-After %q; want 429 2", ce, w.Code, w.Header().Get("Retry-After"))
		}
		if st := statusOf(t, w, encProto); !strings.Contains(st.GetMessage(), "--max-body-memory") {
			t.Errorf("%q: message %q does not name --max-body-memory", ce, st.GetMessage())
		}
	}
	if len(rec.spans()) != 0 {
		t.Errorf("refused requests stored %d spans", len(rec.spans()))
	}
	other.Release()
	if w := post(t, h, "/v1/traces", "application/x-protobuf", "gzip", gzipped(t, body)); w.Code != http.StatusOK || len(rec.spans()) != 1 {
		t.Errorf("once the budget is free: status %d, %d spans stored", w.Code, len(rec.spans()))
	}
	if budget.InUse() != 0 {
		t.Errorf("%d bytes of budget still held after the requests", budget.InUse())
	}
}

func TestHTTPConsumerErrors(t *testing.T) {
	f := func(err error, wantStatus int, wantRetryAfter string) {
		t.Helper()
		obs := &countingObserver{}
		h := NewHTTPHandler(&recorder{err: err}, Options{RetryAfter: 1500 * time.Millisecond, Observer: obs}, nil)
		w := post(t, h, "/v1/traces", "application/json", "", encodeTraces(t, oneSpan(nil), encJSON))
		if w.Code != wantStatus || w.Header().Get("Retry-After") != wantRetryAfter {
			t.Errorf("%v: status %d Retry-After %q; want %d %q", err, w.Code, w.Header().Get("Retry-After"), wantStatus, wantRetryAfter)
		}
		if st := statusOf(t, w, encJSON); !strings.Contains(st.GetMessage(), "retry later") {
			t.Errorf("%v: message %q", err, st.GetMessage())
		}
		if len(obs.received) != 0 {
			t.Errorf("%v: observer counted %v received for a refused batch", err, obs.received)
		}
	}
	f(fmt.Errorf("queue: %w", consumer.ErrOverloaded), http.StatusTooManyRequests, "2")
	f(fmt.Errorf("store: %w", consumer.ErrUnavailable), http.StatusServiceUnavailable, "2")
	f(fmt.Errorf("disk on fire"), http.StatusServiceUnavailable, "2")
}

func TestHTTPLargeAttributeUnderDefaultLimit(t *testing.T) {
	prompt := strings.Repeat("p", 10<<20)
	body := encodeTraces(t, oneSpan(func(s ptrace.Span) { s.Attributes().PutStr("gen_ai.prompt", prompt) }), encProto)
	rec := &recorder{}
	w := post(t, NewHTTPHandler(rec, Options{}, nil), "/v1/traces", "application/x-protobuf", "gzip", gzipped(t, body))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, clip(w.Body.String(), 300))
	}
	if got := len(rec.spans()[0].Attributes.String("gen_ai.prompt")); got != len(prompt) {
		t.Errorf("prompt has %d bytes; want %d (the receiver must not cut it)", got, len(prompt))
	}
}

// zeroReader yields n zero bytes.
type zeroReader struct{ n int64 }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.n)]
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

func TestHTTPGzipBomb(t *testing.T) {
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	if _, err := io.Copy(zw, &zeroReader{n: 1 << 30}); err != nil { // 1 GiB of zeros
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	w := post(t, NewHTTPHandler(&recorder{}, Options{}, nil), "/v1/traces", "application/x-protobuf", "gzip", bomb.Bytes())
	runtime.ReadMemStats(&after)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d; want 413", w.Code)
	}
	if st := statusOf(t, w, encProto); !strings.Contains(st.GetMessage(), "20971520-byte") {
		t.Errorf("message %q does not state the limit", st.GetMessage())
	}
	// The bomb is ~1 MiB compressed; reading it must stop near the 20 MiB limit, far below 1 GiB.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d-byte gzip bomb of 1 GiB: %d MiB allocated while refusing it", bomb.Len(), alloc>>20)
	if alloc > 200<<20 {
		t.Errorf("reading a %d-byte gzip bomb allocated %d MiB", bomb.Len(), alloc>>20)
	}
}

func TestHTTPLogsAndMetrics(t *testing.T) {
	rec := &recorder{}
	h := NewHTTPHandler(rec, Options{}, nil)
	ld := oneLog(func(l plog.LogRecord) {
		l.SetEventName("gen_ai.user.message")
		l.SetTraceID(testTraceID)
		l.SetSpanID(testSpanID)
	})
	if w := post(t, h, "/v1/logs", "application/x-protobuf", "", encodeLogs(t, ld, encProto)); w.Code != 200 {
		t.Fatalf("logs: %d %s", w.Code, w.Body)
	}
	md := pmetric.NewMetrics()
	g := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName("g")
	g.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(1.5)
	if w := post(t, h, "/v1/metrics", "application/json", "", encodeMetrics(t, md, encJSON)); w.Code != 200 {
		t.Fatalf("metrics: %d %s", w.Code, w.Body)
	}
	logs, points := rec.logs(), rec.metrics()
	if len(logs) != 1 || logs[0].EventName != "gen_ai.user.message" || logs[0].SpanID != [8]byte(testSpanID) {
		t.Errorf("logs %+v", logs)
	}
	if len(points) != 1 || points[0].Name != "g" || points[0].Value != 1.5 {
		t.Errorf("metrics %+v", points)
	}
}
