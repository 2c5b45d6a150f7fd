// Package loadgen generates GenAI-shaped OTLP trace load, sends it to a Cairn server over
// OTLP/gRPC or OTLP/HTTP, and measures ingest rate, storage cost and query latency. It backs
// `cairn load`.
//
// The generator builds a small pool of export requests once with pdata, encodes them, and
// records where every id, timestamp, session id and variable word sits in the encoded bytes.
// A request is then a copy of a template with those fixed-width slots rewritten, so producing
// one costs a memcpy and a few thousand small writes rather than an encode.
package loadgen

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// SpansPerTrace is the shape of every generated trace: a session root span, a business span,
// a model call (chat gpt-4o) and a tool call, the last two children of the business span.
const SpansPerTrace = 4

// Encoding is the wire encoding of generated requests.
type Encoding int

// Encodings.
const (
	Proto Encoding = iota // application/x-protobuf (OTLP/gRPC and OTLP/HTTP)
	JSON                  // application/json (OTLP/HTTP only)
)

func (e Encoding) String() string {
	if e == JSON {
		return "json"
	}
	return "protobuf"
}

// GenOptions configure a Generator.
type GenOptions struct {
	// TracesPerRequest is the number of traces in one request (so SpansPerTrace times as many
	// spans). Default 125 (500 spans).
	TracesPerRequest int
	// Encoding of the requests.
	Encoding Encoding
	// Templates is the number of distinct pre-encoded requests (default 16).
	Templates int
	// ContentSeed seeds the text, token counts, durations and users of the templates, so that
	// two runs with the same seed send the same content.
	ContentSeed uint64
	// IDSeed seeds trace, span and session ids. Runs against one store need different seeds,
	// or the store sees the same traces again.
	IDSeed uint64
	// RareEvery puts RareWord in one trace in RareEvery (default 1000).
	RareEvery int
	// TracesPerSession is how many consecutive traces share a session.id (default 5).
	TracesPerSession int
	// Users is the number of distinct user.id values (default 1000).
	Users int
}

func (o *GenOptions) setDefaults() {
	if o.TracesPerRequest <= 0 {
		o.TracesPerRequest = 125
	}
	if o.Templates <= 0 {
		o.Templates = 16
	}
	if o.RareEvery <= 0 {
		o.RareEvery = 1000
	}
	if o.TracesPerSession <= 0 {
		o.TracesPerSession = 5
	}
	if o.Users <= 0 {
		o.Users = 1000
	}
}

// Generator produces export requests. It is safe for concurrent use: Build writes only into
// the buffer it is given.
type Generator struct {
	opts      GenOptions
	templates []template
	seeds     [5]uint64 // trace id hi, trace id lo, span id, session, word choice
}

// patch kinds.
const (
	pTraceID = iota
	pSpanID
	pTime
	pSession
	pWord
)

// patch is one fixed-width slot of a template rewritten per request.
type patch struct {
	off   int32
	kind  uint8
	trace int32 // index of the trace in the request
	span  int32 // index of the span in the trace (pSpanID), word slot (pWord)
	rel   int64 // pTime: nanoseconds relative to the request's end time
}

// template is one encoded request and its slots, in offset order.
type template struct {
	body    []byte
	patches []patch
}

// wordSlots is the number of per-trace rewritten words in each prompt; slot 0 carries RareWord
// in one trace in RareEvery.
const wordSlots = 6

// NewGenerator builds and encodes the template pool.
func NewGenerator(opts GenOptions) (*Generator, error) {
	opts.setDefaults()
	g := &Generator{opts: opts}
	idr := rand.New(rand.NewPCG(opts.IDSeed, 0x636169726e))
	for i := range g.seeds {
		g.seeds[i] = idr.Uint64()
	}
	for i := range opts.Templates {
		t, err := g.buildTemplate(i)
		if err != nil {
			return nil, fmt.Errorf("template %d: %w", i, err)
		}
		g.templates = append(g.templates, t)
	}
	return g, nil
}

// Options returns the options in effect (defaults filled in).
func (g *Generator) Options() GenOptions { return g.opts }

// SpansPerRequest is the number of spans in every request.
func (g *Generator) SpansPerRequest() int { return g.opts.TracesPerRequest * SpansPerTrace }

// TemplateBytes returns the size of request n's encoding (every request of a template has the
// same size).
func (g *Generator) TemplateBytes(n uint64) int {
	return len(g.templates[n%uint64(len(g.templates))].body)
}

// mix is SplitMix64's finaliser: a bijection on uint64, so mix(seed+n) is unique for every n.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// TraceID returns the id of the t-th trace the generator produces (trace t of request n is
// number n*TracesPerRequest + t).
func (g *Generator) TraceID(t uint64) [16]byte {
	var id [16]byte
	binary.BigEndian.PutUint64(id[:8], mix(g.seeds[0]+t))
	binary.BigEndian.PutUint64(id[8:], mix(g.seeds[1]+t)|1) // never all zero
	return id
}

// SpanID returns the id of span k (0 root, 1 business, 2 chat, 3 tool) of trace t.
func (g *Generator) SpanID(t uint64, k int) [8]byte {
	var id [8]byte
	v := mix(g.seeds[2] + t*SpansPerTrace + uint64(k))
	if v == 0 { // the one value in 2^64 that is invalid; moves to a value no other span can take
		v = g.seeds[2] | 1<<63
	}
	binary.BigEndian.PutUint64(id[:], v)
	return id
}

// SessionID returns the session.id of trace t: "sess-" and 16 hex digits.
func (g *Generator) SessionID(t uint64) string {
	var b [sessionLen]byte
	g.putSession(b[:], t)
	return string(b[:])
}

const sessionLen = 5 + 16

func (g *Generator) putSession(dst []byte, t uint64) {
	copy(dst, "sess-")
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], mix(g.seeds[3]+t/uint64(g.opts.TracesPerSession)))
	hex.Encode(dst[5:], v[:])
}

// HasRareWord reports whether trace t carries RareWord.
func (g *Generator) HasRareWord(t uint64) bool {
	return t%uint64(g.opts.RareEvery) == uint64(g.opts.RareEvery/2)
}

// Build writes request n, ending at end, into dst (reusing its capacity) and returns it. Its
// traces are numbers n*TracesPerRequest to (n+1)*TracesPerRequest-1.
func (g *Generator) Build(dst []byte, n uint64, end time.Time) []byte {
	tm := &g.templates[n%uint64(len(g.templates))]
	dst = append(dst[:0], tm.body...)
	first := n * uint64(g.opts.TracesPerRequest)
	endNs := end.UnixNano()
	json := g.opts.Encoding == JSON
	for _, p := range tm.patches {
		t := first + uint64(p.trace)
		at := dst[p.off:]
		switch p.kind {
		case pTraceID:
			id := g.TraceID(t)
			if json {
				hex.Encode(at[:32], id[:])
			} else {
				copy(at, id[:])
			}
		case pSpanID:
			id := g.SpanID(t, int(p.span))
			if json {
				hex.Encode(at[:16], id[:])
			} else {
				copy(at, id[:])
			}
		case pTime:
			v := uint64(endNs + p.rel)
			if json {
				putDecimal19(at, v)
			} else {
				binary.LittleEndian.PutUint64(at, v)
			}
		case pSession:
			g.putSession(at[:sessionLen], t)
		case pWord:
			w := g.word(t, int(p.span))
			copy(at[:slotWidth], "            ")
			copy(at, w)
		}
	}
	return dst
}

// word returns the word in slot s of trace t.
func (g *Generator) word(t uint64, s int) string {
	if s == 0 && g.HasRareWord(t) {
		return RareWord
	}
	return words[mix(g.seeds[4]+t*wordSlots+uint64(s))%uint64(len(words))]
}

// putDecimal19 writes v as exactly 19 decimal digits (timestamps from 2001 to 2286).
func putDecimal19(dst []byte, v uint64) {
	for i := 18; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// sentinels hands out placeholder values that cannot occur by chance in an encoding, and
// remembers what each stands for.
type sentinels struct {
	r      *rand.Rand
	traces map[[16]byte]int32
	spans  map[[8]byte][2]int32 // trace, span
	times  map[uint64]struct {
		trace int32
		rel   int64
	}
	strs map[string]patch // session and word placeholders
}

// placeholder base time: any 19-digit nanosecond time works; the low bits are random.
const sentinelEpoch = 1_700_000_000_000_000_000

func (s *sentinels) traceID(trace int32) pcommon.TraceID {
	var id [16]byte
	for {
		binary.BigEndian.PutUint64(id[:8], s.r.Uint64())
		binary.BigEndian.PutUint64(id[8:], s.r.Uint64())
		if _, dup := s.traces[id]; !dup {
			break
		}
	}
	s.traces[id] = trace
	return id
}

func (s *sentinels) spanID(trace, span int32) pcommon.SpanID {
	var id [8]byte
	for {
		binary.BigEndian.PutUint64(id[:], s.r.Uint64())
		if _, dup := s.spans[id]; !dup {
			break
		}
	}
	s.spans[id] = [2]int32{trace, span}
	return id
}

func (s *sentinels) time(trace int32, rel int64) pcommon.Timestamp {
	var v uint64
	for {
		v = sentinelEpoch + s.r.Uint64N(1<<56)
		if _, dup := s.times[v]; !dup {
			break
		}
	}
	s.times[v] = struct {
		trace int32
		rel   int64
	}{trace, rel}
	return pcommon.Timestamp(v)
}

// str returns a lower-case placeholder of width n standing for p.
func (s *sentinels) str(n int, p patch) string {
	b := make([]byte, n)
	for {
		b[0], b[1] = 'z', 'q'
		for i := 2; i < n; i++ {
			b[i] = byte('a' + s.r.IntN(26))
		}
		if _, dup := s.strs[string(b)]; !dup {
			break
		}
	}
	s.strs[string(b)] = p
	return string(b)
}

// buildTemplate builds template i with pdata, encodes it and locates its slots.
func (g *Generator) buildTemplate(i int) (template, error) {
	cr := rand.New(rand.NewPCG(g.opts.ContentSeed, uint64(i)))
	s := &sentinels{
		r:      rand.New(rand.NewPCG(g.opts.ContentSeed^0x5e471e15, uint64(i))),
		traces: map[[16]byte]int32{},
		spans:  map[[8]byte][2]int32{},
		times: map[uint64]struct {
			trace int32
			rel   int64
		}{},
		strs: map[string]patch{},
	}
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	service := Services[i%len(Services)]
	res.PutStr("service.name", service)
	res.PutStr("service.version", "1.4."+strconv.Itoa(i%3))
	res.PutStr("deployment.environment.name", "load")
	res.PutStr("telemetry.sdk.language", "python")
	res.PutStr("telemetry.sdk.name", "opentelemetry")
	res.PutStr("host.name", fmt.Sprintf("worker-%02d", i%8))
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("cairn.loadgen")
	ss.Scope().SetVersion("1.0.0")
	spans := ss.Spans()
	for t := range int32(g.opts.TracesPerRequest) {
		g.addTrace(spans, s, cr, t, i)
	}
	req := ptraceotlp.NewExportRequestFromTraces(td)
	var body []byte
	var err error
	if g.opts.Encoding == JSON {
		body, err = req.MarshalJSON()
	} else {
		body, err = req.MarshalProto()
	}
	if err != nil {
		return template{}, fmt.Errorf("encode: %w", err)
	}
	patches, err := g.locate(body, s)
	if err != nil {
		return template{}, err
	}
	return template{body: body, patches: patches}, nil
}

// addTrace appends the four spans of trace t (index in the request) of template tmpl.
func (g *Generator) addTrace(spans ptrace.SpanSlice, s *sentinels, r *rand.Rand, t int32, tmpl int) {
	// Times are relative to the request's end: trace t ends t microseconds before it.
	chatMs := 300 + r.Int64N(2700)
	toolMs := 20 + r.Int64N(300)
	total := 5 + chatMs + 5 + toolMs + 10 // root duration, ms
	end := -int64(t) * int64(time.Microsecond)
	start := end - total*int64(time.Millisecond)
	at := func(ms int64) int64 { return start + ms*int64(time.Millisecond) }

	traceID := s.traceID(t)
	ids := [SpansPerTrace]pcommon.SpanID{}
	for k := range ids {
		ids[k] = s.spanID(t, int32(k))
	}
	user := fmt.Sprintf("user-%04d", r.IntN(g.opts.Users))
	session := func() string { return s.str(sessionLen, patch{kind: pSession, trace: t}) }
	feature := Features[(tmpl*g.opts.TracesPerRequest+int(t))%len(Features)]
	failed := r.IntN(50) == 0 // 2% of model calls fail

	root := spans.AppendEmpty()
	root.SetTraceID(traceID)
	root.SetSpanID(ids[0])
	root.SetName("POST /chat")
	root.SetKind(ptrace.SpanKindServer)
	root.SetStartTimestamp(s.time(t, at(0)))
	root.SetEndTimestamp(s.time(t, end))
	ra := root.Attributes()
	ra.PutStr("http.request.method", "POST")
	ra.PutStr("http.route", "/chat")
	ra.PutInt("http.response.status_code", 200)
	ra.PutStr("session.id", session())
	ra.PutStr("user.id", user)

	biz := spans.AppendEmpty()
	biz.SetTraceID(traceID)
	biz.SetSpanID(ids[1])
	biz.SetParentSpanID(ids[0])
	biz.SetName(feature + "_trip")
	biz.SetKind(ptrace.SpanKindInternal)
	biz.SetStartTimestamp(s.time(t, at(2)))
	biz.SetEndTimestamp(s.time(t, end-2*int64(time.Millisecond)))
	ba := biz.Attributes()
	ba.PutStr("app.feature", feature)
	ba.PutStr("session.id", session())
	ba.PutStr("user.id", user)
	ba.PutInt("app.candidates", int64(r.IntN(20)))

	chat := spans.AppendEmpty()
	chat.SetTraceID(traceID)
	chat.SetSpanID(ids[2])
	chat.SetParentSpanID(ids[1])
	chat.SetName("chat gpt-4o")
	chat.SetKind(ptrace.SpanKindClient)
	chat.SetStartTimestamp(s.time(t, at(5)))
	chat.SetEndTimestamp(s.time(t, at(5+chatMs)))
	prompt := g.prompt(r, s, t)
	answer := sentence(r, 60+r.IntN(60))
	inTok, outTok := int64(len(prompt)/4+r.IntN(40)), int64(len(answer)/4+r.IntN(20))
	ca := chat.Attributes()
	ca.PutStr("gen_ai.operation.name", "chat")
	ca.PutStr("gen_ai.provider.name", "openai")
	ca.PutStr("gen_ai.request.model", "gpt-4o")
	ca.PutStr("gen_ai.response.model", "gpt-4o-2024-08-06")
	ca.PutStr("gen_ai.response.id", fmt.Sprintf("chatcmpl-%d-%d", tmpl, t))
	ca.PutDouble("gen_ai.request.temperature", 0.7)
	ca.PutInt("gen_ai.request.max_tokens", 1024)
	ca.PutStr("server.address", "api.openai.com")
	ca.PutStr("session.id", session())
	ca.PutStr("user.id", user)
	ca.PutStr("gen_ai.system_instructions",
		`[{"type":"text","content":"You are an expert travel and hiking assistant. Answer briefly and name the trail."}]`)
	ca.PutStr("gen_ai.input.messages", messagesJSON("user", prompt, ""))
	if failed {
		chat.Status().SetCode(ptrace.StatusCodeError)
		chat.Status().SetMessage("rate limit exceeded")
		ca.PutStr("error.type", "429")
	} else {
		ca.PutInt("gen_ai.usage.input_tokens", inTok)
		ca.PutInt("gen_ai.usage.output_tokens", outTok)
		ca.PutEmptySlice("gen_ai.response.finish_reasons").AppendEmpty().SetStr("stop")
		ca.PutStr("gen_ai.output.messages", messagesJSON("assistant", answer, "stop"))
	}

	tool := spans.AppendEmpty()
	tool.SetTraceID(traceID)
	tool.SetSpanID(ids[3])
	tool.SetParentSpanID(ids[1])
	tool.SetName("execute_tool get_weather")
	tool.SetKind(ptrace.SpanKindInternal)
	tool.SetStartTimestamp(s.time(t, at(5+chatMs+5)))
	tool.SetEndTimestamp(s.time(t, at(5+chatMs+5+toolMs)))
	ta := tool.Attributes()
	ta.PutStr("gen_ai.operation.name", "execute_tool")
	ta.PutStr("gen_ai.tool.name", "get_weather")
	ta.PutStr("gen_ai.tool.call.id", fmt.Sprintf("call_%d_%d", tmpl, t))
	ta.PutStr("gen_ai.tool.type", "function")
}

// prompt returns a user prompt of about 2 KB: CommonWord, wordSlots placeholders rewritten per
// trace, and text drawn from the word list.
func (g *Generator) prompt(r *rand.Rand, s *sentinels, t int32) string {
	var b strings.Builder
	b.WriteString("Plan an " + CommonWord + " for me. ")
	for slot := range wordSlots {
		b.WriteString(sentence(r, 40+r.IntN(20)))
		b.WriteByte(' ')
		b.WriteString(s.str(slotWidth, patch{kind: pWord, trace: t, span: int32(slot)}))
		b.WriteString(" matters most. ")
	}
	return b.String()
}

// sentence returns n words from the list, capitalised and ended with a full stop.
func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		w := words[r.IntN(len(words))]
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
		if i%9 == 8 && i != n-1 {
			b.WriteByte(',')
		}
	}
	b.WriteByte('.')
	return b.String()
}

// messagesJSON is a GenAI semantic-conventions message list with one text message. The text is
// made of letters, spaces and punctuation that need no JSON escaping.
func messagesJSON(role, text, finish string) string {
	fr := ""
	if finish != "" {
		fr = `,"finish_reason":"` + finish + `"`
	}
	return `[{"role":"` + role + `","parts":[{"type":"text","content":"` + text + `"}]` + fr + `}]`
}

// locate finds every placeholder in an encoded template and returns the slots, checking that
// each placeholder occurs as often as the request shape says and that no two slots overlap.
func (g *Generator) locate(body []byte, s *sentinels) ([]patch, error) {
	json := g.opts.Encoding == JSON
	var patches []patch
	find := func(needle []byte, want int, p patch, what string) error {
		n := 0
		for off := 0; ; {
			i := bytes.Index(body[off:], needle)
			if i < 0 {
				break
			}
			p.off = int32(off + i)
			patches = append(patches, p)
			off += i + len(needle)
			n++
		}
		if n != want {
			return fmt.Errorf("%s placeholder found %d times in the encoding, want %d", what, n, want)
		}
		return nil
	}
	for id, trace := range s.traces {
		needle := id[:]
		if json {
			needle = []byte(hex.EncodeToString(id[:]))
		}
		if err := find(needle, SpansPerTrace, patch{kind: pTraceID, trace: trace}, "trace id"); err != nil {
			return nil, err
		}
	}
	// Occurrences of each span id: as its own id, and as the parent of its children.
	uses := [SpansPerTrace]int{2, 3, 1, 1}
	for id, ts := range s.spans {
		needle := id[:]
		if json {
			needle = []byte(hex.EncodeToString(id[:]))
		}
		if err := find(needle, uses[ts[1]], patch{kind: pSpanID, trace: ts[0], span: ts[1]}, "span id"); err != nil {
			return nil, err
		}
	}
	for v, tr := range s.times {
		var needle []byte
		if json {
			needle = []byte(`"` + strconv.FormatUint(v, 10) + `"`)
		} else {
			needle = binary.LittleEndian.AppendUint64(nil, v)
		}
		p := patch{kind: pTime, trace: tr.trace, rel: tr.rel}
		if err := find(needle, 1, p, "timestamp"); err != nil {
			return nil, err
		}
		if json { // the slot is the digits, inside the quotes
			patches[len(patches)-1].off++
		}
	}
	for str, p := range s.strs {
		if err := find([]byte(str), 1, p, "text"); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(patches, func(a, b patch) int { return int(a.off - b.off) })
	for i := 1; i < len(patches); i++ {
		if patches[i].off < patches[i-1].off+int32(g.slotLen(patches[i-1].kind)) {
			return nil, fmt.Errorf("slots at %d and %d overlap", patches[i-1].off, patches[i].off)
		}
	}
	return patches, nil
}

// slotLen is the width of a slot of kind k in the encoding.
func (g *Generator) slotLen(k uint8) int {
	json := g.opts.Encoding == JSON
	switch k {
	case pTraceID:
		if json {
			return 32
		}
		return 16
	case pSpanID:
		if json {
			return 16
		}
		return 8
	case pTime:
		if json {
			return 19
		}
		return 8
	case pSession:
		return sessionLen
	default:
		return slotWidth
	}
}
