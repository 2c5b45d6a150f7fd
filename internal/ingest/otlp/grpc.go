package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcencoding "google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/gzip" // registers the gzip decompressor exporters use
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cairn-dev/cairn/internal/consumer"
	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
)

// GRPCServer is the OTLP/gRPC receiver: the Export methods of
// opentelemetry.proto.collector.{trace,logs,metrics}.v1.*Service.
//
// It takes each request message as raw bytes (see rawMessage) and decodes it exactly as the
// HTTP receiver decodes a protobuf body, so that a span with an id of the wrong length is
// rejected alone through partial success rather than failing the whole call inside the codec.
type GRPCServer struct {
	next   consumer.Consumer
	opts   Options
	logger *slog.Logger
}

// NewGRPCServer returns an OTLP/gRPC receiver that hands decoded batches to next. A nil logger
// discards. Register it on a grpc.Server created with ServerOptions.
func NewGRPCServer(next consumer.Consumer, opts Options, logger *slog.Logger) *GRPCServer {
	return &GRPCServer{next: next, opts: opts.withDefaults(), logger: discardIfNil(logger)}
}

// ServerOptions are the grpc.ServerOptions an OTLP server needs: a receive limit equal to the
// HTTP body limit (grpc-go's 4 MiB default is too small and grpc-go applies it after gzip
// decompression too), a codec that hands Export requests over as raw bytes, and a stats
// handler that tells the Export handler whether a request is compressed (see exportHandler).
func (g *GRPCServer) ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(int(g.opts.MaxBodyBytes)),
		grpc.ForceServerCodecV2(rawCodec{fallback: grpcencoding.GetCodecV2("proto")}),
		grpc.StatsHandler(compressionTagger{}),
	}
}

// RegisterGRPC registers the three OTLP export services on s.
func (g *GRPCServer) RegisterGRPC(s *grpc.Server) {
	for _, svc := range []struct {
		name, file string
		sig        *signal
	}{
		{"opentelemetry.proto.collector.trace.v1.TraceService", "opentelemetry/proto/collector/trace/v1/trace_service.proto", tracesSignal},
		{"opentelemetry.proto.collector.logs.v1.LogsService", "opentelemetry/proto/collector/logs/v1/logs_service.proto", logsSignal},
		{"opentelemetry.proto.collector.metrics.v1.MetricsService", "opentelemetry/proto/collector/metrics/v1/metrics_service.proto", metricsSignal},
	} {
		s.RegisterService(&grpc.ServiceDesc{
			ServiceName: svc.name,
			HandlerType: (*any)(nil),
			Methods:     []grpc.MethodDesc{{MethodName: "Export", Handler: g.exportHandler(svc.name, svc.sig)}},
			Metadata:    svc.file,
		}, g)
	}
}

// exportHandler is the grpc.MethodHandler of one service's Export method.
//
// grpc-go receives and decompresses the request message only when dec is called, within
// MaxRecvMsgSize but without any bound across requests; the handler reserves the memory from
// the shared Budget first. A compressed message may inflate to MaxBodyBytes, so that much is
// reserved before dec and cut to the message's size after; an uncompressed one costs what the
// client sends, and is counted once received. A request that does not fit is refused with
// RESOURCE_EXHAUSTED and RetryInfo, before its message is inflated.
func (g *GRPCServer) exportHandler(service string, sig *signal) grpc.MethodHandler {
	method := "/" + service + "/Export"
	return func(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		res := reqbody.NewReservation(g.opts.Budget)
		defer res.Release()
		if mayBeCompressed(ctx) {
			if err := res.Grow(g.opts.MaxBodyBytes); err != nil {
				return nil, g.budgetError(ctx, sig, err)
			}
		}
		in := new(rawMessage)
		if err := dec(in); err != nil {
			return nil, err
		}
		if err := res.Set(int64(len(in.data))); err != nil {
			return nil, g.budgetError(ctx, sig, err)
		}
		handle := func(ctx context.Context, req any) (any, error) {
			return g.export(ctx, sig, req.(*rawMessage).data, res.Release)
		}
		if interceptor == nil {
			return handle(ctx, in)
		}
		return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: g, FullMethod: method}, handle)
	}
}

func (g *GRPCServer) export(ctx context.Context, sig *signal, body []byte, decoded func()) (*rawMessage, error) {
	rep, err := export(ctx, g.next, g.opts.Observer, sig, body, encProto, decoded)
	if err != nil {
		return nil, g.grpcError(ctx, sig, len(body), err)
	}
	out, err := sig.encodeResponse(rep, encProto)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encode %s response: %v", sig.name, err)
	}
	return &rawMessage{data: out}, nil
}

// grpcError maps a failed export to the status OTLP exporters understand: INVALID_ARGUMENT (not
// retried), RESOURCE_EXHAUSTED or UNAVAILABLE with RetryInfo (retried after the delay).
func (g *GRPCServer) grpcError(ctx context.Context, sig *signal, size int, err error) error {
	if _, ok := errors.AsType[*invalidError](err); ok {
		g.logger.LogAttrs(ctx, slog.LevelDebug, "otlp: undecodable gRPC request", slog.String("signal", sig.name),
			slog.Int("bytes", size))
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return status.FromContextError(ctx.Err()).Err()
	}
	code := codes.Unavailable
	if isOverloaded(err) {
		code = codes.ResourceExhausted
	}
	g.logger.LogAttrs(ctx, slog.LevelWarn, "otlp: batch not stored; exporter will retry", slog.String("signal", sig.name),
		slog.String("code", code.String()), slog.String("err", err.Error()))
	return g.retryLater(code, "telemetry not stored, retry later: "+err.Error())
}

// budgetError answers a request refused for the memory budget: RESOURCE_EXHAUSTED, with
// RetryInfo when retrying can help (OTLP exporters retry RESOURCE_EXHAUSTED only then).
func (g *GRPCServer) budgetError(ctx context.Context, sig *signal, err error) error {
	e, ok := errors.AsType[*reqbody.Error](err)
	if !ok {
		return status.Error(codes.Internal, fmt.Sprintf("reserve memory for the request: %v", err))
	}
	g.logger.LogAttrs(ctx, slog.LevelWarn, "otlp: gRPC request refused", slog.String("signal", sig.name), slog.String("err", e.Msg))
	if !e.Retryable() {
		return status.Error(codes.ResourceExhausted, e.Msg)
	}
	return g.retryLater(codes.ResourceExhausted, e.Msg)
}

// retryLater is a status with RetryInfo, which OTLP exporters honour.
func (g *GRPCServer) retryLater(code codes.Code, msg string) error {
	st, derr := status.New(code, msg).WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(g.opts.RetryAfter)})
	if derr != nil {
		return status.Error(code, msg)
	}
	return st.Err()
}

// compressionTagger is a stats.Handler that records, for each RPC, whether its request is
// compressed: grpc-go tells stats handlers (stats.InHeader.Compression) before the method
// handler runs, and tells the handler nothing.
type compressionTagger struct{}

type compressedKey struct{}

// TagRPC gives the RPC's context a flag for HandleRPC to set.
func (compressionTagger) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	return context.WithValue(ctx, compressedKey{}, new(atomic.Bool))
}

// HandleRPC sets the flag from the request's grpc-encoding.
func (compressionTagger) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if in, ok := s.(*stats.InHeader); ok {
		if flag, ok := ctx.Value(compressedKey{}).(*atomic.Bool); ok {
			flag.Store(in.Compression != "" && in.Compression != "identity")
		}
	}
}

// TagConn implements stats.Handler.
func (compressionTagger) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}

// HandleConn implements stats.Handler.
func (compressionTagger) HandleConn(context.Context, stats.ConnStats) {}

// mayBeCompressed reports whether the RPC's request may be compressed: true unless
// compressionTagger saw it was not (a server created without ServerOptions cannot tell).
func mayBeCompressed(ctx context.Context) bool {
	flag, ok := ctx.Value(compressedKey{}).(*atomic.Bool)
	return !ok || flag.Load()
}

// rawMessage is an OTLP request or response kept as protobuf bytes. rawCodec moves it in and
// out of gRPC; it also has the methods pdata's own "proto" codec looks for, so it works on a
// server created without ServerOptions as well.
type rawMessage struct{ data []byte }

// SizeProto, MarshalProto and UnmarshalProto are the interface of pdata's gRPC codec.
func (m *rawMessage) SizeProto() int { return len(m.data) }

// MarshalProto copies the message into buf, which has SizeProto bytes.
func (m *rawMessage) MarshalProto(buf []byte) int { return copy(buf, m.data) }

// UnmarshalProto keeps a copy of data: the codec's buffer is reused after the call.
func (m *rawMessage) UnmarshalProto(data []byte) error {
	m.data = append([]byte(nil), data...)
	return nil
}

// rawCodec is the gRPC "proto" codec for rawMessage; other messages (health checks,
// reflection) go to the codec that was registered before it.
type rawCodec struct{ fallback grpcencoding.CodecV2 }

// Name is the content subtype this codec serves.
func (rawCodec) Name() string { return "proto" }

// Marshal passes a rawMessage's bytes through untouched.
func (c rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(*rawMessage); ok {
		return mem.BufferSlice{mem.SliceBuffer(m.data)}, nil
	}
	return c.fallback.Marshal(v)
}

// Unmarshal gives a rawMessage its own copy of the received bytes.
func (c rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if m, ok := v.(*rawMessage); ok {
		m.data = data.Materialize()
		return nil
	}
	return c.fallback.Unmarshal(data, v)
}
