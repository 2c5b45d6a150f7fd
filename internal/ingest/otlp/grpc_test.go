package otlp

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
)

// startGRPC serves g on a loopback port and returns a client connection to it. withOptions
// false starts the server without g.ServerOptions, relying on pdata's registered codec.
func startGRPC(t *testing.T, g *GRPCServer, withOptions bool) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if withOptions {
		opts = g.ServerOptions()
	}
	s := grpc.NewServer(opts...)
	g.RegisterGRPC(s)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	cc, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func TestGRPCExport(t *testing.T) {
	for _, withOptions := range []bool{true, false} {
		rec := &recorder{}
		cc := startGRPC(t, NewGRPCServer(rec, Options{}, nil), withOptions)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client := ptraceotlp.NewGRPCClient(cc)
		resp, err := client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(oneSpan(nil)), grpc.UseCompressor(gzip.Name))
		if err != nil {
			t.Fatalf("server options %v: %v", withOptions, err)
		}
		if resp.PartialSuccess().RejectedSpans() != 0 || len(rec.spans()) != 1 || rec.spans()[0].Name != "chat gpt-4o" {
			t.Errorf("server options %v: response %d rejected, stored %v", withOptions, resp.PartialSuccess().RejectedSpans(), rec.spans())
		}

		// Wrong-length ids: the rest of the request is kept, as over HTTP.
		raw := coltrace.NewTraceServiceClient(cc)
		req := &coltrace.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(badIDTracesProto(t), req); err != nil {
			t.Fatal(err)
		}
		out, err := raw.Export(ctx, req)
		if err != nil {
			t.Fatalf("server options %v: bad ids: %v", withOptions, err)
		}
		ps := out.GetPartialSuccess()
		if ps.GetRejectedSpans() != 2 || !strings.Contains(ps.GetErrorMessage(), "span id has 5 bytes") || len(rec.spans()) != 3 {
			t.Errorf("server options %v: partial success %v, stored %d spans", withOptions, ps, len(rec.spans()))
		}
	}
}

func TestGRPCErrors(t *testing.T) {
	f := func(name string, consumerErr error, body []byte, wantCode codes.Code, wantRetry bool) {
		t.Helper()
		g := NewGRPCServer(&recorder{err: consumerErr}, Options{RetryAfter: 3 * time.Second, MaxBodyBytes: 1 << 20}, nil)
		cc := startGRPC(t, g, true)
		req := &coltrace.ExportTraceServiceRequest{}
		if err := proto.Unmarshal(body, req); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := coltrace.NewTraceServiceClient(cc).Export(ctx, req)
		st := status.Convert(err)
		if st.Code() != wantCode {
			t.Fatalf("%s: code %v (%v); want %v", name, st.Code(), err, wantCode)
		}
		var retry *errdetails.RetryInfo
		for _, d := range st.Details() {
			if r, ok := d.(*errdetails.RetryInfo); ok {
				retry = r
			}
		}
		if wantRetry && (retry == nil || retry.GetRetryDelay().AsDuration() != 3*time.Second) {
			t.Errorf("%s: RetryInfo %v; want a 3s delay", name, retry)
		}
		if !wantRetry && retry != nil {
			t.Errorf("%s: RetryInfo %v on a non-retryable error", name, retry)
		}
	}
	valid := encodeTraces(t, oneSpan(nil), encProto)
	f("overloaded", fmt.Errorf("queue: %w", consumer.ErrOverloaded), valid, codes.ResourceExhausted, true)
	f("unavailable", fmt.Errorf("store: %w", consumer.ErrUnavailable), valid, codes.Unavailable, true)
	f("other failure", fmt.Errorf("boom"), valid, codes.Unavailable, true)

	// A message past MaxRecvMsgSize is refused by grpc-go itself.
	big := encodeTraces(t, oneSpan(func(s ptrace.Span) { s.Attributes().PutStr("p", strings.Repeat("x", 2<<20)) }), encProto)
	f("too large", nil, big, codes.ResourceExhausted, false)

}

// TestGRPCMemoryBudget: a compressed request reserves the most it may inflate to before grpc-go
// inflates it, and is refused with RESOURCE_EXHAUSTED and RetryInfo when that does not fit; an
// uncompressed one costs only its own size. Both get through once the budget is free, and
// everything is given back.
func TestGRPCMemoryBudget(t *testing.T) {
	budget := reqbody.NewBudget(4 << 20)
	rec := &recorder{}
	cc := startGRPC(t, NewGRPCServer(rec, Options{MaxBodyBytes: 1 << 20, RetryAfter: 2 * time.Second, Budget: budget}, nil), true)
	client := ptraceotlp.NewGRPCClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := ptraceotlp.NewExportRequestFromTraces(oneSpan(nil))
	other := reqbody.NewReservation(budget)
	if err := other.Grow(3<<20 + 512<<10); err != nil { // 512 KiB left: less than MaxBodyBytes
		t.Fatal(err)
	}
	_, err := client.Export(ctx, req, grpc.UseCompressor(gzip.Name))
	st := status.Convert(err)
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if st.Code() != codes.ResourceExhausted || retry.GetRetryDelay().AsDuration() != 2*time.Second || !strings.Contains(st.Message(), "--max-body-memory") {
		t.Errorf("compressed request while the budget is short: %v, RetryInfo %v; want RESOURCE_EXHAUSTED naming --max-body-memory, retry in 2s", st, retry)
	}
	if _, err := client.Export(ctx, req); err != nil {
		t.Errorf("uncompressed small request while the budget is short: %v; want it stored", err)
	}
	other.Release()
	if _, err := client.Export(ctx, req, grpc.UseCompressor(gzip.Name)); err != nil {
		t.Errorf("compressed request once the budget is free: %v", err)
	}
	if len(rec.spans()) != 2 || budget.InUse() != 0 {
		t.Errorf("%d spans stored, %d bytes of budget held; want 2 and 0", len(rec.spans()), budget.InUse())
	}
}

func TestGRPCInvalidArgument(t *testing.T) {
	// Undecodable bytes cannot be built with a typed client; invoke with a raw message.
	cc := startGRPC(t, NewGRPCServer(&recorder{}, Options{}, nil), true)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := cc.Invoke(ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
		&rawMessage{data: []byte("\x0a\x05\x12\x03\x12\x01")}, new(rawMessage), grpc.ForceCodecV2(rawCodec{}))
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "decode protobuf request") {
		t.Errorf("status %v; want INVALID_ARGUMENT naming the decode failure", st)
	}
}

// grpcNewServer builds the server the way Cairn should: with the receiver's ServerOptions.
func grpcNewServer(g *GRPCServer) *grpc.Server {
	s := grpc.NewServer(g.ServerOptions()...)
	g.RegisterGRPC(s)
	return s
}
