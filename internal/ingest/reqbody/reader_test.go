package reqbody

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
)

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

// bomb is n members of 1 MiB of zeros each: its trailer states only the last member's 1 MiB.
func bomb(t testing.TB, mib int) []byte {
	return bytes.Repeat(gzipped(t, make([]byte, 1<<20)), mib)
}

// request builds a POST with body; contentLength -1 sends it chunked (no declared length).
func request(body []byte, encoding string, contentLength int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/traces", bytes.NewReader(body))
	r.ContentLength = contentLength
	if contentLength < 0 {
		r.Body = io.NopCloser(bytes.NewReader(body)) // no length to find
	}
	if encoding != "" {
		r.Header.Set("Content-Encoding", encoding)
	}
	return r
}

func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7 / 3)
	}
	return b
}

func TestRead(t *testing.T) {
	const limit = 4 << 20
	f := func(name string, body []byte, encoding string, contentLength int64, want []byte, wantHeld int64) {
		t.Helper()
		budget := NewBudget(64 << 20)
		rd := NewReader(limit, budget)
		got, err := rd.Read(httptest.NewRecorder(), request(body, encoding, contentLength))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: read %d bytes, want %d", name, len(got.Bytes()), len(want))
		}
		// One buffer of the decompressed size's class is held: the compressed one was given
		// back, and nothing grew by doubling.
		if budget.InUse() != wantHeld || int64(cap(got.Bytes())) != wantHeld {
			t.Errorf("%s: holds %d bytes of budget, buffer capacity %d; want %d", name, budget.InUse(), cap(got.Bytes()), wantHeld)
		}
		got.Release()
		got.Release()
		if budget.InUse() != 0 {
			t.Errorf("%s: %d bytes still reserved after Release", name, budget.InUse())
		}
	}
	small, mid, big := payload(100), payload(300_000), payload(3<<20)
	f("empty", nil, "", 0, nil, 4<<10)
	f("small identity", small, "", 100, small, 4<<10)
	f("identity", mid, "", int64(len(mid)), mid, 512<<10)
	f("identity, no Content-Length", mid, "", -1, mid, 512<<10)
	f("identity, exactly the limit", payload(limit), "identity", limit, payload(limit), limit)
	f("gzip", gzipped(t, big), "gzip", int64(len(gzipped(t, big))), big, 4<<20)
	f("x-gzip, no Content-Length", gzipped(t, mid), "x-gzip", -1, mid, 512<<10)
	f("gzip of nothing", gzipped(t, nil), "gzip", -1, nil, 4<<10)
	two := append(gzipped(t, mid), gzipped(t, small)...) // the trailer understates the size
	f("gzip, two members", two, "GZIP", int64(len(two)), append(append([]byte(nil), mid...), small...), limit)
}

func TestReadRefuses(t *testing.T) {
	const limit = 1 << 20
	f := func(name string, body []byte, encoding string, contentLength int64, wantStatus int, wantMsg string) {
		t.Helper()
		budget := NewBudget(8 << 20)
		_, err := NewReader(limit, budget).Read(httptest.NewRecorder(), request(body, encoding, contentLength))
		e, ok := errors.AsType[*Error](err)
		if !ok || e.Status != wantStatus || !strings.Contains(e.Msg, wantMsg) {
			t.Errorf("%s: %v; want status %d saying %q", name, err, wantStatus, wantMsg)
		}
		if budget.InUse() != 0 {
			t.Errorf("%s: %d bytes still reserved after a refusal", name, budget.InUse())
		}
	}
	tooBig := payload(limit + 1)
	f("declared too large", tooBig, "", limit+1, 413, "request body is larger than the 1048576-byte (1.0 MiB) limit")
	f("declared too large", tooBig, "", limit+1, 413, "raise the limit with --max-body (CAIRN_MAX_BODY)")
	f("too large, no Content-Length", tooBig, "", -1, 413, "is larger than the 1048576-byte")
	f("gzip trailer past the limit", gzipped(t, tooBig), "gzip", -1, 413, "decompresses to larger than the 1048576-byte")
	f("gzip bomb of many members", bomb(t, 64), "gzip", -1, 413, "decompresses to larger")
	f("not gzip", []byte("not gzip at all, but long enough for a trailer"), "gzip", -1, 400, "read gzip header")
	f("truncated gzip", gzipped(t, payload(1000))[:40], "gzip", -1, 400, "read body")
	f("brotli", payload(10), "br", 10, 415, `Content-Encoding "br" is not supported`)
}

func TestReadBudget(t *testing.T) {
	budget := NewBudget(1 << 20)
	rd := NewReader(1<<20, budget)
	other := NewReservation(budget)
	if err := other.Grow(900 << 10); err != nil {
		t.Fatal(err)
	}
	f := func(name string, body []byte, encoding string, wantStatus int, wantMsg string) {
		t.Helper()
		b, err := rd.Read(httptest.NewRecorder(), request(body, encoding, int64(len(body))))
		if wantStatus == 0 {
			if err != nil {
				t.Errorf("%s: %v; want it read", name, err)
			} else {
				b.Release()
			}
			return
		}
		e, ok := errors.AsType[*Error](err)
		if !ok || e.Status != wantStatus || !strings.Contains(e.Msg, wantMsg) || e.Retryable() != (wantStatus == 429) {
			t.Errorf("%s: %v; want status %d saying %q", name, err, wantStatus, wantMsg)
		}
	}
	f("fits", payload(50_000), "", 0, "")
	f("does not fit now", payload(200_000), "", 429, "server busy: request bodies being read use 900.0 KiB of its 1.0 MiB budget (--max-body-memory)")
	f("decompressed does not fit now", gzipped(t, payload(200_000)), "gzip", 429, "retry later")
	other.Release()
	f("fits once the other is done", payload(200_000), "", 0, "")
	// A body that needs the whole budget and more can never fit: 413, not a retry loop.
	f("never fits", gzipped(t, payload(1<<20)), "gzip", 413, "raise --max-body-memory (CAIRN_MAX_BODY_MEMORY)")
	if budget.InUse() != 0 || budget.Refused() != 3 {
		t.Errorf("in use %d, refused %d; want 0 and 3", budget.InUse(), budget.Refused())
	}
}

// TestReadConcurrentBombs: many bombs at once are each refused (413 for the size, 429 for the
// budget), the budget is never exceeded, and everything is given back.
func TestReadConcurrentBombs(t *testing.T) {
	const limit = 4 << 20
	budget := NewBudget(16 << 20)
	rd := NewReader(limit, budget)
	b := bomb(t, 64)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[int]int{}
		peak     int64
	)
	for range 32 {
		wg.Go(func() {
			_, err := rd.Read(httptest.NewRecorder(), request(b, "gzip", int64(len(b))))
			e, _ := errors.AsType[*Error](err)
			mu.Lock()
			defer mu.Unlock()
			peak = max(peak, budget.InUse())
			if e == nil {
				statuses[0]++
				return
			}
			statuses[e.Status]++
		})
	}
	wg.Wait()
	if statuses[413]+statuses[429] != 32 || statuses[413] == 0 {
		t.Errorf("answers %v; want 32 refusals as 413 or 429, some 413", statuses)
	}
	if budget.InUse() != 0 || peak > budget.Capacity() {
		t.Errorf("in use %d after, %d at most; want 0 and at most %d", budget.InUse(), peak, budget.Capacity())
	}
}

func TestReservation(t *testing.T) {
	b := NewBudget(100)
	r := NewReservation(b)
	if err := r.Grow(60); err != nil || r.Held() != 60 || b.InUse() != 60 {
		t.Fatalf("Grow(60): %v, held %d, in use %d", err, r.Held(), b.InUse())
	}
	if err := NewReservation(b).Grow(41); err == nil {
		t.Errorf("Grow(41) with 40 free: nil error")
	}
	if err := r.Set(10); err != nil || b.InUse() != 10 {
		t.Errorf("Set(10): %v, in use %d", err, b.InUse())
	}
	if err := r.Set(100); err != nil || b.InUse() != 100 {
		t.Errorf("Set(100): %v, in use %d", err, b.InUse())
	}
	r.Release()
	r.Release()
	if b.InUse() != 0 || r.Held() != 0 {
		t.Errorf("after Release: in use %d, held %d", b.InUse(), r.Held())
	}
	if NewBudget(0).Capacity() != DefaultBudget {
		t.Errorf("NewBudget(0) has capacity %d; want the default", NewBudget(0).Capacity())
	}
}

func TestCapFor(t *testing.T) {
	var p bufPool
	f := func(n, want int) {
		t.Helper()
		if got := p.capFor(n); got != want {
			t.Errorf("capFor(%d) = %d, want %d", n, got, want)
		}
		if b := p.get(p.capFor(n)); cap(b) != want || len(b) != 0 {
			t.Errorf("get(capFor(%d)): len %d cap %d", n, len(b), cap(b))
		}
	}
	f(0, 4096)
	f(4096, 4096)
	f(4097, 8192)
	f(300_000, 512<<10)
	f(8<<20, 8<<20)
	f(8<<20+1, 8<<20+1)          // beyond the classes: to size
	p.put(make([]byte, 0, 5000)) // not a class size: dropped, never handed out as 8 KiB
	if b := p.get(8192); cap(b) != 8192 {
		t.Errorf("get(8192) cap %d", cap(b))
	}
}
