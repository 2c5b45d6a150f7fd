package loadgen

import (
	"testing"
	"time"
)

// benchBuild times Build alone: the generator's cost per request.
func benchBuild(b *testing.B, enc Encoding, gzip bool) {
	gen, err := NewGenerator(GenOptions{TracesPerRequest: 125, Encoding: enc, IDSeed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(gen.TemplateBytes(0)))
	b.ReportAllocs()
	var buf []byte
	z := newGzipper()
	now := time.Now()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		buf = gen.Build(buf, uint64(i), now)
		if gzip {
			if _, err := z.compress(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)*float64(gen.SpansPerRequest())/b.Elapsed().Seconds(), "spans/s")
}

func BenchmarkBuildProto(b *testing.B)     { benchBuild(b, Proto, false) }
func BenchmarkBuildJSON(b *testing.B)      { benchBuild(b, JSON, false) }
func BenchmarkBuildProtoGzip(b *testing.B) { benchBuild(b, Proto, true) }

// BenchmarkNewGenerator times building and encoding the template pool.
func BenchmarkNewGenerator(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewGenerator(GenOptions{IDSeed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
