package breeze

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// sink is a consumer that records batches, or fails with err.
type sink struct {
	mu      sync.Mutex
	batches []*telemetry.Batch
	err     error
}

func (s *sink) Consume(_ context.Context, b *telemetry.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.batches = append(s.batches, b)
	return nil
}

func (s *sink) items() int {
	n := 0
	for _, b := range s.batches {
		n += b.Len()
	}
	return n
}

// counter is an Observer.
type counter struct {
	mu       sync.Mutex
	received map[string]int
	rejected map[string]int
}

func (c *counter) Received(signal string, n int) { c.mu.Lock(); c.received[signal] += n; c.mu.Unlock() }
func (c *counter) Rejected(signal string, n int) { c.mu.Lock(); c.rejected[signal] += n; c.mu.Unlock() }

func newServer(t *testing.T, next consumer.Consumer, opts Options) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	NewHandler(next, opts, nil).Register(mux)
	srv := httptest.NewServer(CollapseSlashes(mux))
	t.Cleanup(srv.Close)
	return srv
}

type reply struct {
	status     int
	header     http.Header
	body       trackResponse
	bodyString string
}

func post(t *testing.T, url, contentType, encoding string, body []byte) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, header: resp.Header, bodyString: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func gz(t *testing.T, b []byte) []byte {
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

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ndjson turns a JSON array body into one envelope per line.
func ndjson(t *testing.T, arr []byte) []byte {
	t.Helper()
	var raws []json.RawMessage
	if err := json.Unmarshal(arr, &raws); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, r := range raws {
		var c bytes.Buffer
		if err := json.Compact(&c, r); err != nil {
			t.Fatal(err)
		}
		buf.Write(c.Bytes())
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func TestTrackAccepts(t *testing.T) {
	traces := fixture(t, "breeze-js-beta47-traces.json")
	f := func(path, contentType, encoding string, body []byte, wantItems int) {
		t.Helper()
		s := &sink{}
		obs := &counter{received: map[string]int{}, rejected: map[string]int{}}
		srv := newServer(t, s, Options{Observer: obs})
		r := post(t, srv.URL+path, contentType, encoding, body)
		if r.status != http.StatusOK {
			t.Fatalf("%s %s: status %d body %s", path, contentType, r.status, r.bodyString)
		}
		want := trackResponse{ItemsReceived: 18, ItemsAccepted: 18, Errors: []itemError{}}
		if fmt.Sprint(r.body) != fmt.Sprint(want) || !strings.Contains(r.bodyString, `"errors":[]`) {
			t.Errorf("%s: body %s, want %+v", path, r.bodyString, want)
		}
		if s.items() != wantItems || obs.received[SignalTraces] != 16 || obs.received[SignalLogs] != 1 {
			t.Errorf("%s: consumer got %d items, observer %v; want %d", path, s.items(), obs.received, wantItems)
		}
	}
	f("/v2.1/track", "application/json", "", traces, 17)
	f("/v2/track", "application/json", "", traces, 17)
	f("//v2.1/track", "application/json", "", traces, 17) // Python with a trailing "/" in the endpoint
	f("/v2.1/track?x=1", "application/x-json-stream", "", ndjson(t, traces), 17)
	f("/v2.1/track", "application/json", "gzip", gz(t, traces), 17)
	f("/v2/track", "application/x-json-stream", "gzip", gz(t, ndjson(t, traces)), 17)
}

func TestTrackPartial(t *testing.T) {
	good := pyEnvelope("RemoteDependency", `"ai.operation.id":"`+pyTrace+`"`,
		`{"id":"`+pyRoot+`","name":"ok","duration":"0.00:00:01.000","success":true,"type":"InProc"}`)
	badID := pyEnvelope("RemoteDependency", `"ai.operation.id":"`+pyTrace+`"`,
		`{"id":"not-hex-at-all!!","name":"bad","duration":"0.00:00:01.000"}`)
	unknown := `{"name":"Microsoft.ApplicationInsights.PageView","time":"2026-11-22T15:50:49Z","data":{"baseType":"PageViewData","baseData":{}}}`
	body := "[" + good + "," + badID + "," + good + "," + unknown + ", 7]"
	s := &sink{}
	obs := &counter{received: map[string]int{}, rejected: map[string]int{}}
	r := post(t, newServer(t, s, Options{Observer: obs}).URL+"/v2.1/track", "application/json", "", []byte(body))
	if r.status != http.StatusPartialContent || r.body.ItemsReceived != 5 || r.body.ItemsAccepted != 2 || len(r.body.Errors) != 3 {
		t.Fatalf("status %d body %s; want 206 with 2 of 5 accepted", r.status, r.bodyString)
	}
	for i, want := range []int{1, 3, 4} {
		e := r.body.Errors[i]
		if e.Index != want || e.StatusCode != 400 || e.Message == "" {
			t.Errorf("error %d: %+v, want index %d with status 400 (not retryable)", i, e, want)
		}
	}
	if s.items() != 2 || obs.rejected[SignalTraces] != 1 || obs.rejected[""] != 2 {
		t.Errorf("stored %d items, rejected %v; want 2 stored, 1 trace and 2 unknown rejected", s.items(), obs.rejected)
	}
}

func TestTrackRefuses(t *testing.T) {
	traces := fixture(t, "breeze-js-beta47-traces.json")
	bomb := gz(t, bytes.Repeat([]byte(" "), 2<<20))
	spent := reqbody.NewBudget(1 << 20) // all of it held by another request
	if err := reqbody.NewReservation(spent).Grow(1 << 20); err != nil {
		t.Fatal(err)
	}
	f := func(consumeErr error, maxBody int64, contentType, encoding string, body []byte, wantStatus int, wantRetryAfter string) {
		t.Helper()
		s := &sink{err: consumeErr}
		opts := Options{MaxBodyBytes: maxBody}
		if maxBody < 0 {
			opts = Options{MaxBodyBytes: 1 << 20, Budget: spent}
		}
		r := post(t, newServer(t, s, opts).URL+"/v2.1/track", contentType, encoding, body)
		if r.status != wantStatus || r.header.Get("Retry-After") != wantRetryAfter {
			t.Errorf("status %d Retry-After %q body %s; want %d %q", r.status, r.header.Get("Retry-After"), r.bodyString, wantStatus, wantRetryAfter)
		}
		if r.body.ItemsAccepted != 0 || len(r.body.Errors) != 1 || r.body.Errors[0].StatusCode != wantStatus {
			t.Errorf("body %s: want nothing accepted and one error with status %d", r.bodyString, wantStatus)
		}
		hint := map[int]string{413: "--max-body (CAIRN_MAX_BODY)", 429: "retry later"}[wantStatus]
		if len(r.body.Errors) == 1 && !strings.Contains(r.body.Errors[0].Message, hint) {
			t.Errorf("message %q does not say %q", r.body.Errors[0].Message, hint)
		}
	}
	f(fmt.Errorf("queue: %w", consumer.ErrOverloaded), 0, "application/json", "", traces, http.StatusTooManyRequests, "5")
	f(fmt.Errorf("store: %w", consumer.ErrUnavailable), 0, "application/json", "", traces, http.StatusServiceUnavailable, "5")
	f(context.DeadlineExceeded, 0, "application/json", "", traces, http.StatusServiceUnavailable, "5")
	f(nil, 1<<20, "application/json", "gzip", bomb, http.StatusRequestEntityTooLarge, "")
	f(nil, 1000, "application/json", "", traces, http.StatusRequestEntityTooLarge, "")
	f(nil, -1, "application/json", "", traces, http.StatusTooManyRequests, "5") // the memory budget is spent
	f(nil, -1, "application/json", "gzip", gz(t, traces), http.StatusTooManyRequests, "5")
	f(nil, 0, "application/json", "", []byte("hello"), http.StatusBadRequest, "")
	f(nil, 0, "application/json", "", []byte(`[{"a":1},`), http.StatusBadRequest, "")
	f(nil, 0, "application/json", "", []byte(""), http.StatusBadRequest, "")
	f(nil, 0, "application/json", "gzip", []byte("not gzip"), http.StatusBadRequest, "")
	f(nil, 0, "application/json", "br", traces, http.StatusUnsupportedMediaType, "")
}

func TestNDJSONBrokenLineKeepsOthers(t *testing.T) {
	lines := ndjson(t, fixture(t, "breeze-js-beta47-logs.json"))
	body := append([]byte("{broken\n"), lines...)
	res, err := Decode(body, "application/x-json-stream")
	if err != nil {
		t.Fatal(err)
	}
	if res.Received != 15 || len(res.Errors) != 1 || res.Errors[0].Index != 0 || len(res.Batch.Logs) != 14 {
		t.Errorf("received %d, errors %+v, %d logs; want 15, one error at 0, 14 logs", res.Received, res.Errors, len(res.Batch.Logs))
	}
}

func TestQuickPulse(t *testing.T) {
	srv := newServer(t, &sink{}, Options{})
	for _, path := range []string{"/QuickPulseService.svc/ping?ikey=x&api-version=2024-04-01-preview", "/QuickPulseService.svc/post?ikey=x", "//QuickPulseService.svc/ping"} {
		r := post(t, srv.URL+path, "application/json", "", []byte(`[{"Instance":"vm"}]`))
		if r.status != http.StatusOK || r.header.Get("x-ms-qps-subscribed") != "false" {
			t.Errorf("%s: status %d subscribed %q; want 200 false", path, r.status, r.header.Get("x-ms-qps-subscribed"))
		}
	}
}

func TestCollapseSlashesDoesNotRedirect(t *testing.T) {
	srv := newServer(t, &sink{}, Options{})
	r := post(t, srv.URL+"///v2.1//track", "application/json", "", []byte("[]"))
	if r.status != http.StatusOK || r.body.ItemsReceived != 0 {
		t.Errorf("status %d body %s; want 200 with nothing received", r.status, r.bodyString)
	}
}
