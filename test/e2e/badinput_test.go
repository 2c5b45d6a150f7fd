package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// checkStatusBody checks an OTLP/HTTP failure: the status, the encoding's Content-Type and a
// google.rpc.Status body with code and a message containing msg.
func checkStatusBody(t *testing.T, what string, gotCode int, h http.Header, body []byte, wantCode int, jsonEnc bool, code codes.Code, msg string) {
	t.Helper()
	var st spb.Status
	var err error
	wantCT := "application/x-protobuf"
	if jsonEnc {
		wantCT = "application/json"
		err = protojson.Unmarshal(body, &st)
	} else {
		err = proto.Unmarshal(body, &st)
	}
	if gotCode != wantCode || h.Get("Content-Type") != wantCT || err != nil || codes.Code(st.Code) != code || !strings.Contains(st.Message, msg) {
		t.Errorf("%s: %d %q, google.rpc.Status %v (%v); want %d %s with code %v and a message containing %q",
			what, gotCode, h.Get("Content-Type"), &st, err, wantCode, wantCT, code, msg)
	}
}

// sendOne stores a one-span trace over OTLP/HTTP protobuf and returns its trace id.
func sendOne(t *testing.T, p *cairnProc, service, name string) string {
	t.Helper()
	tid := newTraceID()
	body := mustMarshal(t, pbTraces(service, pbSpan(tid, newSpanID(), nil, name, time.Now(), time.Millisecond)))
	if code, _, resp := postProto(t, p, "/v1/traces", body); code != http.StatusOK {
		t.Fatalf("valid request: %d %q", code, resp)
	}
	return hexID(tid)
}

// TestBadInputMalformed sends undecodable protobuf and JSON over HTTP and gRPC: each is a 400
// with a google.rpc.Status (INVALID_ARGUMENT over gRPC), and data stored before and after is
// intact.
func TestBadInputMalformed(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	before := sendOne(t, p, "malformed", "before")
	conn := dialGRPC(t, p)
	garbage := []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01} // field 1, length beyond the body
	for _, sig := range []string{"traces", "logs", "metrics"} {
		path := "/v1/" + sig
		code, h, body := postProto(t, p, path, garbage)
		checkStatusBody(t, "malformed protobuf to "+path, code, h, body, http.StatusBadRequest, false, codes.InvalidArgument, sig)
		key := map[string]string{"traces": "resourceSpans", "logs": "resourceLogs", "metrics": "resourceMetrics"}[sig]
		for _, js := range []string{`{"` + key + `": [`, `{"` + key + `": "x"}`, `{"` + key + `": [{"resource": 7}]}`, `[1, 2]`, "\x00\x01"} {
			code, h, body = httpDo(t, http.MethodPost, p.BaseURL()+path, []byte(js), map[string]string{"Content-Type": "application/json"})
			checkStatusBody(t, fmt.Sprintf("malformed JSON %q to %s", js, path), code, h, body, http.StatusBadRequest, true, codes.InvalidArgument, sig)
		}
		service := map[string]string{"traces": "trace", "logs": "logs", "metrics": "metrics"}[sig]
		method := fmt.Sprintf("/opentelemetry.proto.collector.%s.v1.%sService/Export", service, strings.ToUpper(service[:1])+service[1:])
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := grpcRaw(ctx, conn, method, garbage)
		cancel()
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("malformed protobuf over gRPC %s: %v; want InvalidArgument", method, err)
		}
	}
	// Gzip that is not gzip.
	code, h, body := httpDo(t, http.MethodPost, p.BaseURL()+"/v1/traces", []byte("not gzip at all"),
		map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
	checkStatusBody(t, "corrupt gzip", code, h, body, http.StatusBadRequest, false, codes.InvalidArgument, "gzip")

	after := sendOne(t, p, "malformed", "after")
	for _, id := range []string{before, after} {
		if g, code := getTrace(t, p, id); code != http.StatusOK || g.Summary.SpanCount != 1 {
			t.Errorf("trace %s: %d %+v; want stored with one span", id, code, g.Summary)
		}
	}
	if n := storeSpans(t, p); n != 2 {
		t.Errorf("cairn_store_spans = %d, want 2", n)
	}
}

// TestBadInputIDs sends spans whose ids have the wrong length: each such span is rejected alone
// through OTLP partial success, the rest of the request is stored; a log record with a bad id
// is kept, unlinked; a link with a bad id is dropped and its span kept.
func TestBadInputIDs(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	now := time.Now()
	goodTrace, badSpanTrace, badParentTrace := newTraceID(), newTraceID(), newTraceID()
	spans := []*tracepb.Span{
		pbSpan(goodTrace, newSpanID(), nil, "good", now, time.Millisecond),
		pbSpan(badSpanTrace, randBytes(5), nil, "short span id", now, time.Millisecond),
		pbSpan(randBytes(17), newSpanID(), nil, "long trace id", now, time.Millisecond),
		pbSpan(badParentTrace, newSpanID(), randBytes(3), "short parent id", now, time.Millisecond),
		pbSpan(make([]byte, 16), newSpanID(), nil, "zero trace id", now, time.Millisecond),
		pbSpan(goodTrace, newSpanID(), nil, "good too", now, time.Millisecond),
	}
	code, h, body := postProto(t, p, "/v1/traces", mustMarshal(t, pbTraces("ids", spans...)))
	var resp coltracepb.ExportTraceServiceResponse
	if err := proto.Unmarshal(body, &resp); code != http.StatusOK || err != nil || h.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("HTTP: %d %q %v", code, h.Get("Content-Type"), err)
	}
	ps := resp.GetPartialSuccess()
	for _, want := range []string{"span id has 5 bytes; want 8", "trace id has 17 bytes; want 16", "parent span id has 3 bytes; want 8", "trace id is missing or all zeros"} {
		if !strings.Contains(ps.GetErrorMessage(), want) {
			t.Errorf("HTTP partial success message %q does not say %q", ps.GetErrorMessage(), want)
		}
	}
	if ps.GetRejectedSpans() != 4 {
		t.Errorf("HTTP partial success %v; want 4 rejected spans", ps)
	}
	g := waitTrace(t, p, hexID(goodTrace), func(g *gotTrace) bool { return true })
	if g.Summary.SpanCount != 2 || len(g.Spans) != 2 {
		t.Errorf("good trace: %+v %v; want the two good spans", g.Summary, g.spanNames())
	}
	for _, id := range [][]byte{badSpanTrace, badParentTrace} {
		if _, code := getTrace(t, p, hexID(id)); code != http.StatusNotFound {
			t.Errorf("trace %x of a rejected span: %d, want 404", id, code)
		}
	}

	// The same over gRPC.
	conn := dialGRPC(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	grpcTrace := newTraceID()
	gresp, err := coltracepb.NewTraceServiceClient(conn).Export(ctx, pbTraces("ids",
		pbSpan(grpcTrace, newSpanID(), nil, "good", now, time.Millisecond),
		pbSpan(grpcTrace, randBytes(9), nil, "long span id", now, time.Millisecond)))
	if err != nil || gresp.GetPartialSuccess().GetRejectedSpans() != 1 ||
		!strings.Contains(gresp.GetPartialSuccess().GetErrorMessage(), "span id has 9 bytes; want 8") {
		t.Errorf("gRPC: %v, %v; want OK with 1 rejected span (span id has 9 bytes)", gresp, err)
	}
	if g := waitTrace(t, p, hexID(grpcTrace), func(*gotTrace) bool { return true }); g.Summary.SpanCount != 1 || g.Spans[0].Name != "good" {
		t.Errorf("gRPC trace: %+v %v; want just the good span", g.Summary, g.spanNames())
	}

	// OTLP/JSON: ids are hex; a wrong length is rejected the same way.
	jsonTrace := newTraceID()
	js := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"ids"}}]},
		"scopeSpans":[{"spans":[
		{"traceId":"%s","spanId":"%s","name":"good","startTimeUnixNano":"%d","endTimeUnixNano":"%d"},
		{"traceId":"%s","spanId":"abcd","name":"short","startTimeUnixNano":"%d","endTimeUnixNano":"%d"}]}]}]}`,
		hexID(jsonTrace), hexID(newSpanID()), now.UnixNano(), now.UnixNano()+1e6, hexID(jsonTrace), now.UnixNano(), now.UnixNano()+1e6)
	code, h, body = httpDo(t, http.MethodPost, p.BaseURL()+"/v1/traces", []byte(js), map[string]string{"Content-Type": "application/json"})
	var jresp coltracepb.ExportTraceServiceResponse
	if err := protojson.Unmarshal(body, &jresp); code != http.StatusOK || err != nil || h.Get("Content-Type") != "application/json" ||
		jresp.GetPartialSuccess().GetRejectedSpans() != 1 || !strings.Contains(jresp.GetPartialSuccess().GetErrorMessage(), "span id has 4 hex characters; want 16") {
		t.Errorf("JSON: %d %q %s (%v); want 200 with 1 rejected span", code, h.Get("Content-Type"), body, err)
	}
	if g := waitTrace(t, p, hexID(jsonTrace), func(*gotTrace) bool { return true }); g.Summary.SpanCount != 1 {
		t.Errorf("JSON trace: %+v; want one span", g.Summary)
	}

	// A link with a bad id is dropped; its span is kept.
	linkTrace := newTraceID()
	ls := pbSpan(linkTrace, newSpanID(), nil, "with bad link", now, time.Millisecond)
	ls.Links = []*tracepb.Span_Link{{TraceId: newTraceID(), SpanId: randBytes(3)}, {TraceId: newTraceID(), SpanId: newSpanID()}}
	code, _, body = postProto(t, p, "/v1/traces", mustMarshal(t, pbTraces("ids", ls)))
	resp.Reset()
	if err := proto.Unmarshal(body, &resp); code != http.StatusOK || err != nil || resp.GetPartialSuccess().GetRejectedSpans() != 0 ||
		!strings.Contains(resp.GetPartialSuccess().GetErrorMessage(), "link") {
		t.Errorf("bad link: %d %v %v; want 200, nothing rejected, a warning about the link", code, &resp, err)
	}
	if g := waitTrace(t, p, hexID(linkTrace), func(*gotTrace) bool { return true }); len(g.Spans) != 1 || len(g.Spans[0].Links) != 1 {
		t.Errorf("span with a bad link: %+v; want kept with its one good link", g.Spans)
	}

	// A log record with a bad span id is kept without its ids.
	logReq := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{ScopeLogs: []*logspb.ScopeLogs{{LogRecords: []*logspb.LogRecord{
		{TimeUnixNano: uint64(now.UnixNano()), TraceId: goodTrace, SpanId: randBytes(4), Body: pbStr("", "orphaned").Value},
	}}}}}}
	code, _, body = postProto(t, p, "/v1/logs", mustMarshal(t, logReq))
	var lresp collogspb.ExportLogsServiceResponse
	if err := proto.Unmarshal(body, &lresp); code != http.StatusOK || err != nil || lresp.GetPartialSuccess().GetRejectedLogRecords() != 0 ||
		!strings.Contains(lresp.GetPartialSuccess().GetErrorMessage(), "span id has 4 bytes") {
		t.Errorf("log with a bad span id: %d %v %v; want 200, nothing rejected, a warning", code, &lresp, err)
	}
	m := promMetrics(t, p, "")
	if m["cairn_store_logs"] != 1 || m["cairn_store_spans"] != 5 {
		t.Errorf("cairn_store_logs %v, cairn_store_spans %v; want 1 and 5", m["cairn_store_logs"], m["cairn_store_spans"])
	}
	if got := m[`cairn_rejected_items_total{receiver="otlp_http",signal="traces"}`] + m[`cairn_rejected_items_total{receiver="otlp_grpc",signal="traces"}`]; got != 6 {
		t.Errorf("cairn_rejected_items_total for traces = %v, want 6", got)
	}
}

// invalidUTF8 are strings that are not UTF-8, each with a placeholder of the same length.
var invalidUTF8 = func() map[string]string {
	m := map[string]string{}
	for i, bad := range []string{"name \xff\xfe end", "key\xc3(\xa0\xa1 end", "bad \xe2\x82 utf-8", "host\xf0\x28\x8c\xbc end"} {
		m[bad] = strings.Repeat(string(rune('P'+i)), len(bad))
	}
	return m
}()

// placeholder returns the placeholder of an invalid string.
func placeholder(t *testing.T, bad string) string {
	t.Helper()
	ph, ok := invalidUTF8[bad]
	if !ok {
		t.Fatalf("no placeholder for %q", bad)
	}
	return ph
}

// withInvalidUTF8 marshals m, then overwrites every placeholder in the encoding with its
// invalid string (proto.Marshal refuses them; exporters in other languages do not).
func withInvalidUTF8(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b := mustMarshal(t, m)
	for bad, ph := range invalidUTF8 {
		if n := bytes.Count(b, []byte(ph)); n > 1 {
			t.Fatalf("placeholder %q appears %d times", ph, n)
		}
		b = bytes.ReplaceAll(b, []byte(ph), []byte(bad))
	}
	return b
}

// TestBadInputInvalidUTF8 sends strings that are not UTF-8 in a span name, an attribute key and
// value and a resource attribute: the span is stored, every string valid UTF-8.
func TestBadInputInvalidUTF8(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	tid := newTraceID()
	s := pbSpan(tid, newSpanID(), nil, placeholder(t, "name \xff\xfe end"), time.Now(), time.Millisecond)
	s.Attributes = append(s.Attributes, pbStr(placeholder(t, "key\xc3(\xa0\xa1 end"), placeholder(t, "bad \xe2\x82 utf-8")), pbStr("fine", "ok"))
	req := pbTraces("utf8", s)
	req.ResourceSpans[0].Resource.Attributes = append(req.ResourceSpans[0].Resource.Attributes, pbStr("host.name", placeholder(t, "host\xf0\x28\x8c\xbc end")))
	if code, _, resp := postProto(t, p, "/v1/traces", withInvalidUTF8(t, req)); code != http.StatusOK {
		t.Fatalf("HTTP: %d %q", code, resp)
	}
	g := waitTrace(t, p, hexID(tid), func(*gotTrace) bool { return true })
	sp := g.Spans[0]
	check := func(what, got, prefix, suffix string) {
		t.Helper()
		if !utf8.ValidString(got) || !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, suffix) || !strings.Contains(got, "\uFFFD") {
			t.Errorf("%s = %q; want valid UTF-8 %q…\uFFFD…%q", what, got, prefix, suffix)
		}
	}
	check("name", sp.Name, "name ", " end")
	var key string
	for k, v := range sp.Attributes {
		if strings.HasPrefix(k, "key") {
			key = k
			val, _ := v.(string)
			check("attribute value", val, "bad ", " utf-8")
		}
	}
	check("attribute key", key, "key", " end")
	host, _ := sp.Resource["host.name"].(string)
	check("resource host.name", host, "host", " end")
	if sp.Attributes["fine"] != "ok" {
		t.Errorf("attribute fine = %v", sp.Attributes["fine"])
	}
	var l gotTraceList
	if getJSON(t, p.API("/traces?service=utf8"), &l); len(l.Traces) != 1 || !utf8.ValidString(l.Traces[0].RootName) {
		t.Errorf("GET /traces?service=utf8: %+v", l.Traces)
	}

	// The same bytes over gRPC (an exporter's client need not check UTF-8 either).
	tid2 := newTraceID()
	s.TraceId = tid2
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := grpcRaw(ctx, dialGRPC(t, p), grpcTraceExport, withInvalidUTF8(t, req)); err != nil {
		t.Fatalf("gRPC: %v", err)
	}
	g = waitTrace(t, p, hexID(tid2), func(*gotTrace) bool { return true })
	check("gRPC span name", g.Spans[0].Name, "name ", " end")

	// OTLP/JSON with raw invalid bytes and an escaped lone surrogate.
	tid3 := newTraceID()
	js := fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"utf8"}}]},
		"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s","name":"NAME","startTimeUnixNano":"%d","endTimeUnixNano":"%d",
		"attributes":[{"key":"v","value":{"stringValue":"VALUE"}}]}]}]}]}`,
		hexID(tid3), hexID(newSpanID()), time.Now().UnixNano(), time.Now().UnixNano()+1e6)
	js = strings.NewReplacer("NAME", "json \xff\xfe end", "VALUE", "bad \xc3\x28 and \\udc00 end").Replace(js)
	if code, _, resp := httpDo(t, http.MethodPost, p.BaseURL()+"/v1/traces", []byte(js), map[string]string{"Content-Type": "application/json"}); code != http.StatusOK {
		t.Fatalf("JSON: %d %q", code, resp)
	}
	g = waitTrace(t, p, hexID(tid3), func(*gotTrace) bool { return true })
	check("JSON span name", g.Spans[0].Name, "json ", " end")
	v, _ := g.Spans[0].Attributes["v"].(string)
	check("JSON attribute", v, "bad ", " end")
}

// hugeAttrSpan is a one-span request whose attribute "big" holds n bytes.
func hugeAttrSpan(t *testing.T, tid []byte, n int) []byte {
	t.Helper()
	s := pbSpan(tid, newSpanID(), nil, "huge", time.Now(), time.Millisecond)
	s.Attributes = append(s.Attributes, pbStr("big", strings.Repeat("x", n)), pbStr("small", "kept"))
	return mustMarshal(t, pbTraces("huge", s))
}

// TestBadInputHugeAttribute sends a 10 MiB attribute: cut at --max-value and marked truncated
// when the request fits --max-body, refused with 413 / RESOURCE_EXHAUSTED when it does not.
func TestBadInputHugeAttribute(t *testing.T) {
	t.Parallel()
	const tenMiB = 10 << 20
	t.Run("cut at --max-value", func(t *testing.T) {
		t.Parallel()
		p := startServer(t, "", "--max-value", "64KiB")
		tid := newTraceID()
		if code, _, resp := postProto(t, p, "/v1/traces", hugeAttrSpan(t, tid, tenMiB)); code != http.StatusOK {
			t.Fatalf("HTTP: %d %q", code, resp)
		}
		tid2 := newTraceID()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := grpcRaw(ctx, dialGRPC(t, p), grpcTraceExport, hugeAttrSpan(t, tid2, tenMiB)); err != nil {
			t.Fatalf("gRPC: %v", err)
		}
		for _, id := range [][]byte{tid, tid2} {
			g := waitTrace(t, p, hexID(id), func(*gotTrace) bool { return true })
			sp := g.Spans[0]
			big, _ := sp.Attributes["big"].(string)
			if len(big) != 64<<10 || strings.Trim(big, "x") != "" || sp.Truncated["big"] != tenMiB || sp.Attributes["small"] != "kept" {
				t.Errorf("trace %x: big has %d bytes, truncated %v, small %v; want 65536 bytes, truncated big=%d", id, len(big), sp.Truncated, sp.Attributes["small"], tenMiB)
			}
		}
	})
	t.Run("413 beyond --max-body", func(t *testing.T) {
		t.Parallel()
		p := startServer(t, "", "--max-body", "5MiB")
		tid := newTraceID()
		code, h, body := postProto(t, p, "/v1/traces", hugeAttrSpan(t, tid, tenMiB))
		checkStatusBody(t, "10 MiB request", code, h, body, http.StatusRequestEntityTooLarge, false, codes.ResourceExhausted, "limit")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := grpcRaw(ctx, dialGRPC(t, p), grpcTraceExport, hugeAttrSpan(t, tid, tenMiB)); status.Code(err) != codes.ResourceExhausted {
			t.Errorf("gRPC 10 MiB request: %v; want ResourceExhausted", err)
		}
		if _, code := getTrace(t, p, hexID(tid)); code != http.StatusNotFound {
			t.Errorf("refused trace: %d, want 404", code)
		}
		// 4 MiB fits: stored whole (the default --max-value is 1 MiB: cut there).
		tid2 := newTraceID()
		if code, _, resp := postProto(t, p, "/v1/traces", hugeAttrSpan(t, tid2, 4<<20)); code != http.StatusOK {
			t.Fatalf("4 MiB request: %d %q", code, resp)
		}
		g := waitTrace(t, p, hexID(tid2), func(*gotTrace) bool { return true })
		if big, _ := g.Spans[0].Attributes["big"].(string); len(big) != 1<<20 || g.Spans[0].Truncated["big"] != 4<<20 {
			t.Errorf("4 MiB attribute: stored %d bytes, truncated %v; want 1 MiB, big=%d", len(big), g.Spans[0].Truncated, 4<<20)
		}
	})
}

// gzipBomb is a gzip stream of n MiB of zeros (about 1 KiB compressed per MiB): one member
// repeated, as a multi-member gzip stream.
func gzipBomb(t *testing.T, mib int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if _, err := zw.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return bytes.Repeat(member.Bytes(), mib)
}

// TestBadInputGzipBomb sends 1 MiB of gzip that inflates to 1 GiB: 413, the server stays
// healthy, its memory does not explode, and it goes on storing data.
func TestBadInputGzipBomb(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	bomb := gzipBomb(t, 1024)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			code, h, body := httpDo(t, http.MethodPost, p.BaseURL()+"/v1/traces", bomb,
				map[string]string{"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"})
			checkStatusBody(t, "gzip bomb", code, h, body, http.StatusRequestEntityTooLarge, false, codes.ResourceExhausted, "decompresses to")
		})
	}
	wg.Wait()
	// gRPC: a gzip-compressed message that inflates beyond --max-body (20 MiB).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := grpcRaw(ctx, dialGRPC(t, p), grpcTraceExport, make([]byte, 24<<20), grpc.UseCompressor(grpcgzip.Name)); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("gRPC gzip of 24 MiB: %v; want ResourceExhausted", err)
	}
	if code, _, _ := httpDo(t, http.MethodGet, p.BaseURL()+"/healthz", nil, nil); code != http.StatusOK {
		t.Errorf("/healthz after the bomb: %d", code)
	}
	// Each refused bomb costs a few times --max-body (20 MiB) while it is read, then nothing; a
	// bomb inflated in memory would cost 1 GiB each.
	peak := procStatusKB(p.PID(), "VmHWM")
	t.Logf("server peak RSS %d MiB", peak>>10)
	if peak > 512<<10 {
		t.Errorf("peak RSS %d MiB after three concurrent 1 GiB gzip bombs; want well under 512 MiB", peak>>10)
	}
	id := sendOne(t, p, "bomb", "after the bomb")
	if g, code := getTrace(t, p, id); code != http.StatusOK || g.Summary.SpanCount != 1 {
		t.Errorf("trace after the bomb: %d %+v", code, g.Summary)
	}
}

// TestBadInputConcurrentGzipBombs fires many gzip bombs at once over OTLP/HTTP, Application
// Insights and OTLP/gRPC at a server with a 64 MiB memory budget for request bodies: each is
// refused as too large (413 / RESOURCE_EXHAUSTED) or, when the budget is spent, as retryable
// (429 with Retry-After / RESOURCE_EXHAUSTED with RetryInfo) — none is dropped without an
// answer — the server's memory stays near the budget rather than growing with the number of
// bombs, and it stores a normal request afterwards.
func TestBadInputConcurrentGzipBombs(t *testing.T) {
	t.Parallel()
	p := startServer(t, "", "--max-body-memory", "64MiB")
	bomb := gzipBomb(t, 1024)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[string]int{}
	)
	count := func(k string) {
		mu.Lock()
		answers[k]++
		mu.Unlock()
	}
	post := func(path, contentType string) {
		req, _ := http.NewRequest(http.MethodPost, p.BaseURL()+path, bytes.NewReader(bomb))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			count("no answer: " + err.Error())
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusRequestEntityTooLarge:
			count(path + " 413")
		case resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "":
			count(path + " 429 with Retry-After")
		default:
			count(fmt.Sprintf("%s %d Retry-After %q", path, resp.StatusCode, resp.Header.Get("Retry-After")))
		}
	}
	conn := dialGRPC(t, p)
	grpcBomb := make([]byte, 24<<20) // inflates past --max-body (20 MiB)
	for range 24 {
		wg.Go(func() { post("/v1/traces", "application/x-protobuf") })
		wg.Go(func() { post("/v2.1/track", "application/json") })
	}
	for range 16 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := grpcRaw(ctx, conn, grpcTraceExport, grpcBomb, grpc.UseCompressor(grpcgzip.Name))
			st := status.Convert(err)
			retry := false
			for _, d := range st.Details() {
				_, retry = d.(*errdetails.RetryInfo)
			}
			count(fmt.Sprintf("gRPC %v, RetryInfo %v", st.Code(), retry))
		})
	}
	wg.Wait()
	t.Logf("answers: %v", answers)
	refused := 0
	for k, n := range answers {
		switch k {
		case "/v1/traces 413", "/v1/traces 429 with Retry-After", "/v2.1/track 413", "/v2.1/track 429 with Retry-After",
			"gRPC ResourceExhausted, RetryInfo true", "gRPC ResourceExhausted, RetryInfo false":
			refused += n
		default:
			t.Errorf("%d bombs answered %s; want 413 or 429 with Retry-After (gRPC RESOURCE_EXHAUSTED)", n, k)
		}
	}
	if refused != 64 || answers["/v1/traces 429 with Retry-After"]+answers["/v2.1/track 429 with Retry-After"] == 0 {
		t.Errorf("%d of 64 bombs refused as expected, none for the budget; want all, some 429", refused)
	}
	peak := procStatusKB(p.PID(), "VmHWM")
	t.Logf("server peak RSS %d MiB", peak>>10)
	if peak > 224<<10 {
		t.Errorf("peak RSS %d MiB after 64 concurrent gzip bombs with a 64 MiB budget; want under 224 MiB", peak>>10)
	}
	id := sendOne(t, p, "bombs", "after the bombs")
	if g, code := getTrace(t, p, id); code != http.StatusOK || g.Summary.SpanCount != 1 {
		t.Errorf("trace after the bombs: %d %+v", code, g.Summary)
	}
	m := promMetrics(t, p, "")
	if m["cairn_ingest_body_bytes"] != 0 || m["cairn_ingest_body_bytes_limit"] != 64<<20 || m["cairn_ingest_body_budget_refusals_total"] == 0 {
		t.Errorf("body budget metrics: in use %v, limit %v, refusals %v; want 0, 64 MiB, some", m["cairn_ingest_body_bytes"],
			m["cairn_ingest_body_bytes_limit"], m["cairn_ingest_body_budget_refusals_total"])
	}
}

// TestBadInputEmpty sends export requests with nothing in them: 200 (gRPC OK), nothing stored.
func TestBadInputEmpty(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	for _, path := range []string{"/v1/traces", "/v1/logs", "/v1/metrics"} {
		if code, h, body := postProto(t, p, path, nil); code != http.StatusOK || len(body) != 0 || h.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("empty protobuf to %s: %d %q %q; want 200 with an empty response", path, code, h.Get("Content-Type"), body)
		}
		for _, js := range []string{`{}`, `{"resourceSpans":[],"resourceLogs":[],"resourceMetrics":[]}`} {
			code, h, body := httpDo(t, http.MethodPost, p.BaseURL()+path, []byte(js), map[string]string{"Content-Type": "application/json"})
			if code != http.StatusOK || string(body) != "{}" || h.Get("Content-Type") != "application/json" {
				t.Errorf("%s to %s: %d %q %q; want 200 {}", js, path, code, h.Get("Content-Type"), body)
			}
		}
	}
	// A resource with an empty scope: still nothing.
	code, _, body := postProto(t, p, "/v1/traces", mustMarshal(t, pbTraces("empty")))
	if code != http.StatusOK || len(body) != 0 {
		t.Errorf("request with no spans: %d %q", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn := dialGRPC(t, p)
	if resp, err := coltracepb.NewTraceServiceClient(conn).Export(ctx, &coltracepb.ExportTraceServiceRequest{}); err != nil || resp.PartialSuccess != nil {
		t.Errorf("empty gRPC export: %v %v; want OK without partial success", resp, err)
	}
	if _, err := collogspb.NewLogsServiceClient(conn).Export(ctx, &collogspb.ExportLogsServiceRequest{}); err != nil {
		t.Errorf("empty gRPC logs export: %v", err)
	}
	m := promMetrics(t, p, "")
	for _, k := range []string{"cairn_store_spans", "cairn_store_logs", "cairn_store_metric_points", "cairn_store_traces"} {
		if v, ok := m[k]; !ok || v != 0 {
			t.Errorf("%s = %v (present %v), want 0", k, v, ok)
		}
	}
	var l gotTraceList
	if code := getJSON(t, p.API("/traces"), &l); code != http.StatusOK || len(l.Traces) != 0 {
		t.Errorf("GET /traces: %d %v; want no traces", code, l.Traces)
	}
}

// TestDuplicateBatch sends the same batch twice over HTTP and once more over gRPC: stored and
// counted once.
func TestDuplicateBatch(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	tid, root := newTraceID(), newSpanID()
	now := time.Now()
	req := pbTraces("dup",
		pbSpan(tid, root, nil, "root", now, 30*time.Millisecond),
		pbSpan(tid, newSpanID(), root, "a", now.Add(time.Millisecond), time.Millisecond),
		pbSpan(tid, newSpanID(), root, "b", now.Add(2*time.Millisecond), time.Millisecond))
	body := mustMarshal(t, req)
	for i := range 2 {
		if code, _, resp := postProto(t, p, "/v1/traces", body); code != http.StatusOK {
			t.Fatalf("send %d: %d %q", i, code, resp)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := coltracepb.NewTraceServiceClient(dialGRPC(t, p)).Export(ctx, req); err != nil {
		t.Fatalf("gRPC: %v", err)
	}
	g, code := getTrace(t, p, hexID(tid))
	if code != http.StatusOK || g.Summary.SpanCount != 3 || len(g.Spans) != 3 || g.Summary.DurationMs != 30 || g.Summary.RootName != "root" {
		t.Errorf("trace: %d %+v %v; want 3 spans once, root, 30 ms", code, g.Summary, g.spanNames())
	}
	m := promMetrics(t, p, "")
	if m["cairn_store_spans"] != 3 || m["cairn_store_traces"] != 1 {
		t.Errorf("cairn_store_spans %v, cairn_store_traces %v; want 3 and 1", m["cairn_store_spans"], m["cairn_store_traces"])
	}
	var l gotTraceList
	if getJSON(t, p.API("/traces?service=dup"), &l); len(l.Traces) != 1 || l.Traces[0].SpanCount != 3 {
		t.Errorf("GET /traces?service=dup: %+v; want one trace of 3 spans", l.Traces)
	}
}

// TestChildBeforeParent sends a child span, then its parent in another request (over the other
// transport): the summary is right at each step.
func TestChildBeforeParent(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	tid, parent, child := newTraceID(), newSpanID(), newSpanID()
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	if code, _, resp := postProto(t, p, "/v1/traces", mustMarshal(t, pbTraces("order",
		pbSpan(tid, child, parent, "child", base.Add(10*time.Millisecond), 10*time.Millisecond)))); code != http.StatusOK {
		t.Fatalf("child: %d %q", code, resp)
	}
	g, _ := getTrace(t, p, hexID(tid))
	if s := g.Summary; s.HasRoot || s.SpanCount != 1 || s.RootName != "child" || s.DurationMs != 10 {
		t.Errorf("before the parent: %+v; want no root yet, 1 span named child, 10 ms", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := coltracepb.NewTraceServiceClient(dialGRPC(t, p)).Export(ctx, pbTraces("order",
		pbSpan(tid, parent, nil, "parent", base, 100*time.Millisecond))); err != nil {
		t.Fatalf("parent: %v", err)
	}
	g, _ = getTrace(t, p, hexID(tid))
	if s := g.Summary; !s.HasRoot || s.SpanCount != 2 || s.RootName != "parent" || s.DurationMs != 100 || s.RootService != "order" {
		t.Errorf("after the parent: %+v; want root parent, 2 spans, 100 ms", s)
	}
	if len(g.Spans) != 2 || g.span(t, "child").ParentSpanID != hexID(parent) {
		t.Errorf("spans %+v", g.Spans)
	}
	var l gotTraceList
	if getJSON(t, p.API("/traces?name=parent"), &l); len(l.Traces) != 1 || l.Traces[0].SpanCount != 2 || l.Traces[0].DurationMs != 100 {
		t.Errorf("GET /traces?name=parent: %+v", l.Traces)
	}
}

// TestFullQueue hammers a server started with --queue-items 10 from many goroutines over HTTP
// and gRPC: some requests are refused (429 with Retry-After, RESOURCE_EXHAUSTED with RetryInfo)
// and every acknowledged span is stored.
func TestFullQueue(t *testing.T) {
	t.Parallel()
	p := startServer(t, "", "--queue-items", "10")
	conn := dialGRPC(t, p)
	client := coltracepb.NewTraceServiceClient(conn)
	var (
		mu                 sync.Mutex
		acked              []string
		got429, gotRE, bad atomic.Int64
	)
	stop := make(chan struct{})
	deadline := time.Now().Add(60 * time.Second)
	done := func() bool {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		return got429.Load() > 0 && gotRE.Load() > 0 && n >= 100 || time.Now().After(deadline)
	}
	send := func(useGRPC bool) {
		for {
			select {
			case <-stop:
				return
			default:
			}
			tid, root := newTraceID(), newSpanID()
			now := time.Now()
			spans := []*tracepb.Span{pbSpan(tid, root, nil, "root", now, 5*time.Millisecond)}
			for i := range 4 {
				spans = append(spans, pbSpan(tid, newSpanID(), root, fmt.Sprint("child ", i), now, time.Millisecond))
			}
			req := pbTraces("queue", spans...)
			ok := false
			if useGRPC {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := client.Export(ctx, req)
				cancel()
				switch st, _ := status.FromError(err); {
				case err == nil:
					ok = true
				case st.Code() == codes.ResourceExhausted && hasRetryInfo(st):
					gotRE.Add(1)
				default:
					bad.Add(1)
					t.Errorf("gRPC: %v", err)
				}
			} else {
				code, h, body := postProto(t, p, "/v1/traces", mustMarshal(t, req))
				switch {
				case code == http.StatusOK:
					ok = true
				case code == http.StatusTooManyRequests && h.Get("Retry-After") == "1" && isStatus(body, codes.ResourceExhausted):
					got429.Add(1)
				default:
					bad.Add(1)
					t.Errorf("HTTP: %d Retry-After %q %q", code, h.Get("Retry-After"), body)
				}
			}
			if ok {
				mu.Lock()
				acked = append(acked, hexID(tid))
				mu.Unlock()
			}
		}
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() { send(i%2 == 0) })
	}
	waitFor(t, func() bool { return done() || bad.Load() > 0 }, "429s, RESOURCE_EXHAUSTEDs and 100 acknowledged requests")
	close(stop)
	wg.Wait()
	if got429.Load() == 0 || gotRE.Load() == 0 {
		t.Fatalf("%d 429s and %d RESOURCE_EXHAUSTED in 60 s; want some of each", got429.Load(), gotRE.Load())
	}
	t.Logf("%d requests acknowledged, %d got 429, %d RESOURCE_EXHAUSTED", len(acked), got429.Load(), gotRE.Load())
	for _, id := range acked {
		if g, code := getTrace(t, p, id); code != http.StatusOK || g.Summary.SpanCount != 5 {
			t.Errorf("acknowledged trace %s: %d, %d spans; want 5", id, code, g.Summary.SpanCount)
		}
	}
	m := promMetrics(t, p, "")
	if int(m["cairn_store_spans"]) != 5*len(acked) {
		t.Errorf("cairn_store_spans = %v; want %d (5 per acknowledged request, none of the refused)", m["cairn_store_spans"], 5*len(acked))
	}
	if m["cairn_queue_refused_items_total"] < float64(5*(got429.Load()+gotRE.Load())) {
		t.Errorf("cairn_queue_refused_items_total = %v; want at least %d", m["cairn_queue_refused_items_total"], 5*(got429.Load()+gotRE.Load()))
	}
}

// isStatus reports whether body is a protobuf google.rpc.Status with code.
func isStatus(body []byte, code codes.Code) bool {
	var st spb.Status
	return proto.Unmarshal(body, &st) == nil && codes.Code(st.Code) == code && st.Message != ""
}

func hasRetryInfo(st *status.Status) bool {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.RetryDelay.AsDuration() > 0 {
			return true
		}
	}
	return false
}
