package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// sender delivers one encoded export request. A request the server could not take now is a
// *retryError; anything else stops the run.
type sender interface {
	send(ctx context.Context, body []byte) error
	close() error
}

// retryError means the server refused the request for now (HTTP 429/503, gRPC
// RESOURCE_EXHAUSTED/UNAVAILABLE) and asked to retry after the delay.
type retryError struct {
	after time.Duration
	msg   string
}

func (e *retryError) Error() string { return e.msg }

// defaultRetryAfter is the wait when the server says to retry without saying when.
const defaultRetryAfter = time.Second

// maxRetryAfter caps a server's requested delay.
const maxRetryAfter = 30 * time.Second

// rejectedError is a request the server accepted only in part (OTLP partial success).
func rejectedError(n int64, msg string) error {
	return fmt.Errorf("server rejected %d spans of a request (partial success): %s", n, msg)
}

// grpcSender sends over OTLP/gRPC with a pass-through codec, so the pre-encoded bytes go on
// the wire as they are.
type grpcSender struct {
	conn *grpc.ClientConn
	md   metadata.MD
	opts []grpc.CallOption
}

const exportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

func newGRPCSender(endpoint, ingestToken string, gz bool) (*grpcSender, error) {
	endpoint = strings.TrimPrefix(strings.TrimPrefix(endpoint, "http://"), "grpc://")
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("OTLP/gRPC endpoint %q: %w", endpoint, err)
	}
	s := &grpcSender{conn: conn, opts: []grpc.CallOption{grpc.ForceCodecV2(rawCodec{})}}
	if gz {
		s.opts = append(s.opts, grpc.UseCompressor(grpcgzip.Name))
	}
	if ingestToken != "" {
		s.md = metadata.Pairs("authorization", "Bearer "+ingestToken)
	}
	return s, nil
}

func (s *grpcSender) send(ctx context.Context, body []byte) error {
	if s.md != nil {
		ctx = metadata.NewOutgoingContext(ctx, s.md)
	}
	var resp rawMessage
	err := s.conn.Invoke(ctx, exportMethod, &rawMessage{data: body}, &resp, s.opts...)
	if err != nil {
		st := status.Convert(err)
		switch st.Code() {
		case codes.ResourceExhausted, codes.Unavailable:
			after := defaultRetryAfter
			for _, d := range st.Details() {
				if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
					after = ri.GetRetryDelay().AsDuration()
				}
			}
			return &retryError{after: min(after, maxRetryAfter), msg: "gRPC " + st.Code().String() + ": " + st.Message()}
		}
		return fmt.Errorf("OTLP/gRPC export: %w", err)
	}
	return checkResponse(resp.data, Proto)
}

func (s *grpcSender) close() error { return s.conn.Close() }

// rawMessage is a protobuf message kept as bytes.
type rawMessage struct{ data []byte }

// rawCodec passes rawMessage bytes through gRPC untouched.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*rawMessage)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return mem.BufferSlice{mem.SliceBuffer(m.data)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*rawMessage)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	m.data = data.Materialize()
	return nil
}

// httpSender posts to OTLP/HTTP /v1/traces.
type httpSender struct {
	client      *http.Client
	url         string
	contentType string
	gzip        bool
	enc         Encoding
	ingestToken string
}

func newHTTPSender(endpoint, ingestToken string, enc Encoding, gz bool, conns int) *httpSender {
	ct := "application/x-protobuf"
	if enc == JSON {
		ct = "application/json"
	}
	return &httpSender{
		client: &http.Client{
			Timeout: 2 * time.Minute,
			Transport: &http.Transport{
				MaxIdleConns:        conns,
				MaxIdleConnsPerHost: conns,
				IdleConnTimeout:     time.Minute,
				DisableCompression:  true,
			},
		},
		url:         strings.TrimSuffix(endpoint, "/") + "/v1/traces",
		contentType: ct,
		gzip:        gz,
		enc:         enc,
		ingestToken: ingestToken,
	}
}

func (s *httpSender) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", s.contentType)
	if s.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if s.ingestToken != "" {
		req.Header.Set("Authorization", "Bearer "+s.ingestToken)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("OTLP/HTTP export: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("OTLP/HTTP export: read response: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return checkResponse(data, s.enc)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return &retryError{after: retryAfter(resp.Header.Get("Retry-After")), msg: "HTTP " + resp.Status}
	}
	return fmt.Errorf("OTLP/HTTP export: %s: %s", resp.Status, clip(string(data), 300))
}

func (s *httpSender) close() error {
	s.client.CloseIdleConnections()
	return nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string) time.Duration {
	if h == "" {
		return defaultRetryAfter
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter)
	}
	return defaultRetryAfter
}

// checkResponse fails on a partial success that rejected spans.
func checkResponse(data []byte, enc Encoding) error {
	if len(data) == 0 {
		return nil
	}
	resp := ptraceotlp.NewExportResponse()
	var err error
	if enc == JSON {
		err = resp.UnmarshalJSON(data)
	} else {
		err = resp.UnmarshalProto(data)
	}
	if err != nil {
		return fmt.Errorf("decode export response: %w", err)
	}
	if n := resp.PartialSuccess().RejectedSpans(); n > 0 {
		return rejectedError(n, resp.PartialSuccess().ErrorMessage())
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// gzipper compresses request bodies, reusing its writer and buffer.
type gzipper struct {
	w   *gzip.Writer
	buf bytes.Buffer
}

func newGzipper() *gzipper {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return &gzipper{w: w}
}

// compress returns body gzip-compressed; the result is valid until the next call.
func (z *gzipper) compress(body []byte) ([]byte, error) {
	z.buf.Reset()
	z.w.Reset(&z.buf)
	if _, err := z.w.Write(body); err != nil {
		return nil, err
	}
	if err := z.w.Close(); err != nil {
		return nil, err
	}
	return z.buf.Bytes(), nil
}
