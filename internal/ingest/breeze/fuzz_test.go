package breeze

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzDecode checks that no body makes Decode panic, that every envelope is either accepted
// or reported once, and that what it produces has valid ids and non-negative durations.
// The seeds are the captured fixtures' envelopes, one per seed (whole files make the fuzzer
// spend its time minimizing 14 KB inputs); run with -fuzzminimizetime=5s.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(b, &raws); err != nil {
			f.Fatal(err)
		}
		for _, r := range raws {
			f.Add([]byte("["+string(r)+"]"), "application/json")
		}
	}
	f.Add([]byte("["+pyEnvelope("Request", `"ai.operation.id":"`+pyTrace+`"`,
		`{"id":"`+pyRoot+`","name":"r","duration":"1.02:03:04.5","success":false,"properties":{"a":"('stop',)"}}`)+"]"), "application/json")
	f.Add([]byte(`{"name":"x"}`+"\n"+`{"data":{"baseType":"MetricData","baseData":{"metrics":[{"name":"m","value":1,"count":2}]}},"time":"2026-01-01T00:00:00Z"}`), "application/x-json-stream")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		res, err := Decode(body, contentType)
		if err != nil {
			return
		}
		if accepted := res.Received - len(res.Errors); accepted < 0 {
			t.Fatalf("received %d but %d errors", res.Received, len(res.Errors))
		}
		for i := 1; i < len(res.Errors); i++ {
			if res.Errors[i].Index <= res.Errors[i-1].Index {
				t.Fatalf("errors not in strict index order: %+v", res.Errors)
			}
		}
		for _, s := range res.Batch.Spans {
			if s.TraceID.IsZero() || s.SpanID.IsZero() || s.Resource == nil {
				t.Fatalf("span with zero id or no resource: %+v", s)
			}
			if s.EndUnixNano < s.StartUnixNano {
				t.Fatalf("span ends before it starts: %+v", s)
			}
		}
		for _, l := range res.Batch.Logs {
			if l.Resource == nil || l.Attributes == nil {
				t.Fatalf("log without resource or attributes: %+v", l)
			}
		}
	})
}

// FuzzParseDuration checks that accepted durations are non-negative and re-format to
// themselves in the canonical d.hh:mm:ss.fffffff shape.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0.00:00:01.234", "1.02:03:04.5", "00:00:00.0491587", "00:00:60.000", "106751.23:59:59.9999999", "::", "0.:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, negative", s, d)
		}
		again, err := ParseDuration(formatDuration(d))
		if err != nil || again != d {
			t.Fatalf("ParseDuration(%q) = %v; formatted %q parses to %v, %v", s, d, formatDuration(d), again, err)
		}
	})
}

// formatDuration writes d as .NET does: d.hh:mm:ss.fffffff.
func formatDuration(d time.Duration) string {
	ticks := int64(d / 100)
	frac := ticks % 1e7
	secs := ticks / 1e7
	return formatInts(secs/86400, (secs/3600)%24, (secs/60)%60, secs%60, frac)
}

func formatInts(days, h, m, s, frac int64) string {
	return itoa(days) + "." + pad(h, 2) + ":" + pad(m, 2) + ":" + pad(s, 2) + "." + pad(frac, 7)
}

func itoa(n int64) string { return pad(n, 1) }

func pad(n int64, width int) string {
	b := []byte{}
	for n > 0 || len(b) < width {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
