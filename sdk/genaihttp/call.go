package genaihttp

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/cairn-dev/cairn/sdk/session"
)

// call is one instrumented GenAI request, from RoundTrip until the response
// body has been read (or closed, or failed).
type call struct {
	t        *transport
	ctx      context.Context
	span     trace.Span
	start    time.Time
	op       string
	req      apiRequest
	reqModel string
	provider string
	address  string
	port     int
	once     sync.Once
}

// roundTripGenAI starts the span, forwards the request and arranges for the
// span to end when the response is complete.
func (t *transport) roundTripGenAI(orig *http.Request, op string) (*http.Response, error) {
	start := time.Now()
	body, req, err := readRequestBody(orig)
	if err != nil {
		return nil, err
	}
	c := &call{t: t, start: start, op: op}
	_ = json.Unmarshal(body, &c.req) // a malformed body is the API's to reject; trace what we can
	c.reqModel = c.req.Model
	if c.reqModel == "" {
		c.reqModel = azureDeployment(req.URL.Path)
	}
	c.provider = t.cfg.provider
	if c.provider == "" {
		c.provider = providerOf(req.URL.Hostname(), req.URL.Path)
	}
	c.address, c.port = serverAddress(req)

	name := op
	if c.reqModel != "" {
		name = op + " " + c.reqModel
	}
	attrs := append(c.commonAttributes(), requestAttributes(&c.req)...)
	if sid := session.ID(orig.Context()); sid != "" {
		attrs = append(attrs, semconv.GenAIConversationID(sid))
	}
	c.ctx, c.span = t.tracer.Start(orig.Context(), name,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))

	resp, err := t.base.RoundTrip(req.WithContext(c.ctx))
	if err != nil {
		c.finish(nil, err)
		return nil, err
	}
	if resp.StatusCode >= 400 {
		c.finishAPIError(resp)
		return resp, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 || resp.Body == nil {
		c.finish(nil, nil)
		return resp, nil
	}
	res := newResult(t.cfg.captureContent)
	var s sink = &jsonSink{res: res}
	if isEventStream(resp.Header.Get("Content-Type")) {
		s = &sseSink{res: res, start: start}
	}
	resp.Body = &observedBody{rc: resp.Body, sink: s, done: func(err error) { c.finish(res, err) }}
	return resp, nil
}

func isEventStream(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "text/event-stream"
}

// commonAttributes are shared by the span and both metrics.
func (c *call) commonAttributes() []attribute.KeyValue {
	a := []attribute.KeyValue{
		semconv.GenAIOperationNameKey.String(c.op),
		semconv.GenAIProviderNameKey.String(c.provider),
		semconv.ServerAddress(c.address),
		semconv.ServerPort(c.port),
	}
	if c.reqModel != "" {
		a = append(a, semconv.GenAIRequestModel(c.reqModel))
	}
	return a
}

// finishAPIError reads (a bounded prefix of) an error response, records it and
// hands the caller a body that still yields every byte.
func (c *call) finishAPIError(resp *http.Response) {
	var prefix []byte
	if resp.Body != nil {
		prefix, _ = io.ReadAll(io.LimitReader(resp.Body, c.t.cfg.maxErrorBody))
		resp.Body = &replayBody{Reader: io.MultiReader(bytesReader(prefix), resp.Body), Closer: resp.Body}
	}
	c.finish(nil, newAPIError(resp, prefix))
}

// finish ends the span and records the metrics exactly once.
func (c *call) finish(res *result, err error) {
	c.once.Do(func() { c.end(res, err) })
}

func (c *call) end(res *result, err error) {
	duration := time.Since(c.start)
	metricAttrs := c.commonAttributes()
	if res != nil {
		if res.streamErr != nil && err == nil {
			err = streamError(res.streamErr)
		}
		c.span.SetAttributes(c.responseAttributes(res)...)
		if res.model != "" {
			metricAttrs = append(metricAttrs, semconv.GenAIResponseModel(res.model))
		}
		c.recordTokens(res.usage, metricAttrs)
		if c.t.cfg.captureContent {
			c.span.SetAttributes(contentAttributes(c.op, &c.req, res)...)
		}
	} else if c.t.cfg.captureContent && err != nil {
		c.span.SetAttributes(contentAttributes(c.op, &c.req, nil)...)
	}
	if err != nil {
		et := errorType(err)
		c.span.SetAttributes(semconv.ErrorTypeKey.String(et))
		c.span.RecordError(err)
		c.span.SetStatus(codes.Error, err.Error())
		metricAttrs = append(metricAttrs, semconv.ErrorTypeKey.String(et))
	}
	c.t.metrics.duration.Record(c.ctx, duration.Seconds(), metricOpt(metricAttrs))
	c.span.End()
}

// responseAttributes describes the response on the span.
func (c *call) responseAttributes(res *result) []attribute.KeyValue {
	var a []attribute.KeyValue
	if res.id != "" {
		a = append(a, semconv.GenAIResponseID(res.id))
	}
	if res.model != "" {
		a = append(a, semconv.GenAIResponseModel(res.model))
	}
	if fr := res.finishReasons(); len(fr) > 0 {
		a = append(a, semconv.GenAIResponseFinishReasons(fr...))
	}
	if res.ttft > 0 {
		a = append(a, semconv.GenAIResponseTimeToFirstChunk(res.ttft.Seconds()))
	}
	if u := res.usage; u != nil {
		if u.PromptTokens != nil {
			a = append(a, semconv.GenAIUsageInputTokens(int(*u.PromptTokens)))
		}
		if u.CompletionTokens != nil && c.op != opEmbeddings {
			a = append(a, semconv.GenAIUsageOutputTokens(int(*u.CompletionTokens)))
		}
		if d := u.PromptTokensDetails; d != nil && d.CachedTokens != nil {
			a = append(a, semconv.GenAIUsageCacheReadInputTokens(int(*d.CachedTokens)))
		}
		if d := u.CompletionTokensDetails; d != nil && d.ReasoningTokens != nil {
			a = append(a, semconv.GenAIUsageReasoningOutputTokens(int(*d.ReasoningTokens)))
		}
	}
	return a
}

// recordTokens records gen_ai.client.token.usage once per token type present.
func (c *call) recordTokens(u *apiUsage, attrs []attribute.KeyValue) {
	if u == nil {
		return
	}
	rec := func(n *int64, tokenType attribute.KeyValue) {
		if n == nil {
			return
		}
		a := append(attrs[:len(attrs):len(attrs)], tokenType)
		c.t.metrics.tokens.Record(c.ctx, *n, metricOpt(a))
	}
	rec(u.PromptTokens, semconv.GenAITokenTypeInput)
	if c.op != opEmbeddings {
		rec(u.CompletionTokens, semconv.GenAITokenTypeOutput)
	}
}

// observedBody hands the response through to the caller unchanged while a
// sink watches the bytes; the call finishes at EOF, on a read error, or when
// the caller closes the body early.
type observedBody struct {
	rc   io.ReadCloser
	mu   sync.Mutex
	sink sink
	done func(error)
	once sync.Once
}

func (b *observedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.mu.Lock()
		b.sink.write(p[:n])
		b.mu.Unlock()
	}
	switch {
	case err == io.EOF:
		b.end(nil)
	case err != nil:
		b.end(err)
	}
	return n, err
}

// Close ends the call with what has been seen so far: a caller that stops
// reading a stream early has not failed.
func (b *observedBody) Close() error {
	err := b.rc.Close()
	b.end(nil)
	return err
}

func (b *observedBody) end(err error) {
	b.once.Do(func() {
		b.mu.Lock()
		b.sink.done()
		b.mu.Unlock()
		b.done(err)
	})
}

// replayBody serves a buffered prefix followed by the rest of the original body.
type replayBody struct {
	io.Reader
	io.Closer
}
