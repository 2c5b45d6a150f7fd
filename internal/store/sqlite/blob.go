package sqlite

import (
	"fmt"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// blobVersion is the first byte of every encoded blob, so the encoding can evolve.
const blobVersion = 1

// encodeSpan writes everything of s that is not a promoted column.
func encodeSpan(e *encoder, s *telemetry.Span) {
	e.byte1(blobVersion)
	e.str(s.TraceState)
	e.str(s.Status.Message)
	e.attrs(s.Attributes)
	e.count(len(s.Events), s.Events == nil)
	for _, ev := range s.Events {
		e.varint(ev.TimeUnixNano)
		e.str(ev.Name)
		e.attrs(ev.Attributes)
	}
	e.count(len(s.Links), s.Links == nil)
	for _, l := range s.Links {
		e.b = append(e.b, l.TraceID[:]...)
		e.b = append(e.b, l.SpanID[:]...)
		e.str(l.TraceState)
		e.attrs(l.Attributes)
	}
	e.str(s.Scope.Name)
	e.str(s.Scope.Version)
	e.str(s.ProjectKey)
	e.intMap(s.Truncated)
	e.str(s.UserID)
	if s.Generation == nil {
		e.byte1(0)
	} else {
		e.byte1(1)
		encodeGeneration(e, s.Generation)
	}
}

// decodeSpan fills the non-promoted fields of s from blob b.
func decodeSpan(b []byte, s *telemetry.Span) error {
	d := &decoder{b: b}
	if v := d.byte1(); v != blobVersion {
		return fmt.Errorf("span blob version %d: this Cairn reads version %d: %w", v, blobVersion, errCorrupt)
	}
	s.TraceState = d.str()
	s.Status.Message = d.str()
	s.Attributes = d.attrs(0)
	if n, isNil := d.count(); !isNil {
		s.Events = make([]telemetry.Event, n)
		for i := range s.Events {
			ev := &s.Events[i]
			ev.TimeUnixNano = d.varint()
			ev.Name = d.str()
			ev.Attributes = d.attrs(0)
		}
	}
	if n, isNil := d.count(); !isNil {
		s.Links = make([]telemetry.Link, n)
		for i := range s.Links {
			l := &s.Links[i]
			copy(l.TraceID[:], d.raw(16))
			copy(l.SpanID[:], d.raw(8))
			l.TraceState = d.str()
			l.Attributes = d.attrs(0)
		}
	}
	s.Scope.Name = d.str()
	s.Scope.Version = d.str()
	s.ProjectKey = d.str()
	s.Truncated = d.intMap()
	s.UserID = d.str()
	if d.byte1() == 1 {
		s.Generation = decodeGeneration(d)
	}
	return d.err
}

func encodeGeneration(e *encoder, g *telemetry.Generation) {
	for _, s := range []string{g.Operation, g.Provider, g.RequestModel, g.ResponseModel, g.ResponseID,
		g.Convention, g.ConversationID, g.AgentName, g.ToolName} {
		e.str(s)
	}
	u := &g.Usage
	for _, p := range []*int64{u.InputTokens, u.OutputTokens, u.CachedInputTokens, u.CacheCreationTokens,
		u.ReasoningTokens, u.TotalTokens} {
		e.optInt(p)
	}
	e.optF64(g.CostUSD)
	e.strs(g.FinishReasons)
	e.attrs(g.Params)
	e.optF64(g.TimeToFirstTokenMs)
	e.str(g.ErrorType)
	e.bool1(g.ContentRecorded)
	encodeParts(e, g.SystemInstructions)
	encodeMessages(e, g.InputMessages)
	encodeMessages(e, g.OutputMessages)
	e.bool1(g.ContentTruncated)
}

func decodeGeneration(d *decoder) *telemetry.Generation {
	g := &telemetry.Generation{}
	for _, p := range []*string{&g.Operation, &g.Provider, &g.RequestModel, &g.ResponseModel, &g.ResponseID,
		&g.Convention, &g.ConversationID, &g.AgentName, &g.ToolName} {
		*p = d.str()
	}
	u := &g.Usage
	for _, p := range []**int64{&u.InputTokens, &u.OutputTokens, &u.CachedInputTokens, &u.CacheCreationTokens,
		&u.ReasoningTokens, &u.TotalTokens} {
		*p = d.optInt()
	}
	g.CostUSD = d.optF64()
	g.FinishReasons = d.strs()
	g.Params = d.attrs(0)
	g.TimeToFirstTokenMs = d.optF64()
	g.ErrorType = d.str()
	g.ContentRecorded = d.bool1()
	g.SystemInstructions = decodeParts(d)
	g.InputMessages = decodeMessages(d)
	g.OutputMessages = decodeMessages(d)
	g.ContentTruncated = d.bool1()
	return g
}

func encodeMessages(e *encoder, ms []telemetry.Message) {
	e.count(len(ms), ms == nil)
	for _, m := range ms {
		e.str(m.Role)
		e.str(m.Name)
		e.str(m.FinishReason)
		encodeParts(e, m.Parts)
	}
}

func decodeMessages(d *decoder) []telemetry.Message {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	ms := make([]telemetry.Message, n)
	for i := range ms {
		ms[i].Role = d.str()
		ms[i].Name = d.str()
		ms[i].FinishReason = d.str()
		ms[i].Parts = decodeParts(d)
	}
	return ms
}

func encodeParts(e *encoder, ps []telemetry.Part) {
	e.count(len(ps), ps == nil)
	for _, p := range ps {
		for _, s := range []string{p.Type, p.Content, p.ID, p.Name} {
			e.str(s)
		}
		e.value(p.Arguments)
		e.value(p.Response)
		for _, s := range []string{p.MimeType, p.Modality, p.URI, p.FileID} {
			e.str(s)
		}
		e.attrs(p.Extra)
	}
}

func decodeParts(d *decoder) []telemetry.Part {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	ps := make([]telemetry.Part, n)
	for i := range ps {
		p := &ps[i]
		for _, s := range []*string{&p.Type, &p.Content, &p.ID, &p.Name} {
			*s = d.str()
		}
		p.Arguments = d.value(0)
		p.Response = d.value(0)
		for _, s := range []*string{&p.MimeType, &p.Modality, &p.URI, &p.FileID} {
			*s = d.str()
		}
		p.Extra = d.attrs(0)
	}
	return ps
}

// encodeLog writes the non-promoted fields of a log record.
func encodeLog(e *encoder, l *telemetry.LogRecord) {
	e.byte1(blobVersion)
	e.varint(l.ObservedTimeUnixNano)
	e.str(l.SeverityText)
	e.str(l.EventName)
	e.value(l.Body)
	e.attrs(l.Attributes)
	e.str(l.Scope.Name)
	e.str(l.Scope.Version)
	e.str(l.ProjectKey)
	e.intMap(l.Truncated)
}

func decodeLog(b []byte, l *telemetry.LogRecord) error {
	d := &decoder{b: b}
	if v := d.byte1(); v != blobVersion {
		return fmt.Errorf("log blob version %d: %w", v, errCorrupt)
	}
	l.ObservedTimeUnixNano = d.varint()
	l.SeverityText = d.str()
	l.EventName = d.str()
	l.Body = d.value(0)
	l.Attributes = d.attrs(0)
	l.Scope.Name = d.str()
	l.Scope.Version = d.str()
	l.ProjectKey = d.str()
	l.Truncated = d.intMap()
	return d.err
}

// encodeMetric writes the non-promoted fields of a metric point.
func encodeMetric(e *encoder, m *telemetry.MetricPoint) {
	e.byte1(blobVersion)
	e.str(m.Description)
	e.str(m.Unit)
	e.str(string(m.Type))
	e.bool1(m.Monotonic)
	e.str(m.Temporality)
	e.varint(m.StartTimeUnixNano)
	e.attrs(m.Attributes)
	e.str(m.Scope.Name)
	e.str(m.Scope.Version)
	e.str(m.ProjectKey)
	e.f64(m.Value)
	e.uvarint(m.Count)
	e.f64(m.Sum)
	e.optF64(m.Min)
	e.optF64(m.Max)
	e.count(len(m.BucketCounts), m.BucketCounts == nil)
	for _, c := range m.BucketCounts {
		e.uvarint(c)
	}
	e.count(len(m.ExplicitBounds), m.ExplicitBounds == nil)
	for _, f := range m.ExplicitBounds {
		e.f64(f)
	}
	e.count(len(m.Quantiles), m.Quantiles == nil)
	for _, q := range m.Quantiles {
		e.f64(q[0])
		e.f64(q[1])
	}
}

func decodeMetric(b []byte, m *telemetry.MetricPoint) error {
	d := &decoder{b: b}
	if v := d.byte1(); v != blobVersion {
		return fmt.Errorf("metric blob version %d: %w", v, errCorrupt)
	}
	m.Description = d.str()
	m.Unit = d.str()
	m.Type = telemetry.MetricType(d.str())
	m.Monotonic = d.bool1()
	m.Temporality = d.str()
	m.StartTimeUnixNano = d.varint()
	m.Attributes = d.attrs(0)
	m.Scope.Name = d.str()
	m.Scope.Version = d.str()
	m.ProjectKey = d.str()
	m.Value = d.f64()
	m.Count = d.uvarint()
	m.Sum = d.f64()
	m.Min = d.optF64()
	m.Max = d.optF64()
	if n, isNil := d.count(); !isNil {
		m.BucketCounts = make([]uint64, n)
		for i := range m.BucketCounts {
			m.BucketCounts[i] = d.uvarint()
		}
	}
	if n, isNil := d.count(); !isNil {
		m.ExplicitBounds = make([]float64, n)
		for i := range m.ExplicitBounds {
			m.ExplicitBounds[i] = d.f64()
		}
	}
	if n, isNil := d.count(); !isNil {
		m.Quantiles = make([][2]float64, n)
		for i := range m.Quantiles {
			m.Quantiles[i] = [2]float64{d.f64(), d.f64()}
		}
	}
	return d.err
}
