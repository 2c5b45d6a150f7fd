package breeze

import (
	"bytes"
	"os"
	"testing"
)

// BenchmarkDecode measures envelopes decoded per second over the JS fixtures (traces and
// logs, 32 envelopes, repeated to a 3,200-envelope body).
func BenchmarkDecode(b *testing.B) {
	var parts [][]byte
	for _, name := range []string{"testdata/breeze-js-beta47-traces.json", "testdata/breeze-js-beta47-logs.json"} {
		raw, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, bytes.TrimSuffix(bytes.TrimPrefix(bytes.TrimSpace(raw), []byte("[")), []byte("]")))
	}
	one := bytes.Join(parts, []byte(","))
	body := append([]byte("["), bytes.TrimSuffix(bytes.Repeat(append(one, ','), 100), []byte(","))...)
	body = append(body, ']')
	res, err := Decode(body, "application/json")
	if err != nil || len(res.Errors) > 0 {
		b.Fatalf("benchmark body does not decode cleanly: %v %+v", err, res.Errors)
	}
	envelopes := res.Received
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Decode(body, "application/json"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(envelopes)*float64(b.N)/b.Elapsed().Seconds(), "envelopes/s")
}
