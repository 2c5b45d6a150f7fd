package cairn

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Cairn's default local OTLP listeners.
const (
	DefaultHTTPEndpoint = "http://127.0.0.1:4318"
	DefaultGRPCEndpoint = "http://127.0.0.1:4317"
)

// signal names one OTLP signal for endpoint and protocol resolution.
type signal struct {
	env  string // TRACES, METRICS or LOGS
	path string // HTTP path
}

var (
	traces  = signal{"TRACES", "/v1/traces"}
	metrics = signal{"METRICS", "/v1/metrics"}
	logs    = signal{"LOGS", "/v1/logs"}
)

// protocol resolves the signal's protocol: option, per-signal variable,
// general variable, default HTTP/protobuf.
func (c *config) protocolFor(s signal) (string, error) {
	p := c.protocol
	if p == "" {
		p = os.Getenv("OTEL_EXPORTER_OTLP_" + s.env + "_PROTOCOL")
	}
	if p == "" {
		p = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch p {
	case "", ProtocolHTTP:
		return ProtocolHTTP, nil
	case ProtocolGRPC:
		return ProtocolGRPC, nil
	}
	return "", fmt.Errorf("cairn: OTLP protocol %q for %s is not supported: use %q or %q (WithProtocol or OTEL_EXPORTER_OTLP_PROTOCOL)",
		p, strings.ToLower(s.env), ProtocolHTTP, ProtocolGRPC)
}

// endpointFor returns the full URL to configure, or "" when the exporter
// should read its endpoint from the environment itself.
func (c *config) endpointFor(s signal, protocol string) (string, error) {
	base := c.endpoint
	if base == "" {
		if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_"+s.env+"_ENDPOINT") != "" {
			return "", nil
		}
		base = DefaultHTTPEndpoint
		if protocol == ProtocolGRPC {
			base = DefaultGRPCEndpoint
		}
	}
	if !strings.Contains(base, "://") {
		scheme := "https://"
		if c.insecure || isLoopback(base) {
			scheme = "http://"
		}
		base = scheme + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("cairn: OTLP endpoint %q is not a URL like %s", base, DefaultHTTPEndpoint)
	}
	if protocol == ProtocolHTTP {
		u.Path = strings.TrimSuffix(u.Path, "/") + s.path
	}
	return u.String(), nil
}

func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func newSpanExporter(ctx context.Context, cfg *config) (sdktrace.SpanExporter, error) {
	proto, err := cfg.protocolFor(traces)
	if err != nil {
		return nil, err
	}
	endpoint, err := cfg.endpointFor(traces, proto)
	if err != nil {
		return nil, err
	}
	var exp sdktrace.SpanExporter
	if proto == ProtocolGRPC {
		var opts []otlptracegrpc.Option
		if endpoint != "" {
			opts = append(opts, otlptracegrpc.WithEndpointURL(endpoint))
		}
		if cfg.insecure {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	} else {
		var opts []otlptracehttp.Option
		if endpoint != "" {
			opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
		}
		if cfg.insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("cairn: create OTLP %s trace exporter: %w", proto, err)
	}
	return exp, nil
}

func newMetricExporter(ctx context.Context, cfg *config) (sdkmetric.Exporter, error) {
	proto, err := cfg.protocolFor(metrics)
	if err != nil {
		return nil, err
	}
	endpoint, err := cfg.endpointFor(metrics, proto)
	if err != nil {
		return nil, err
	}
	var exp sdkmetric.Exporter
	if proto == ProtocolGRPC {
		var opts []otlpmetricgrpc.Option
		if endpoint != "" {
			opts = append(opts, otlpmetricgrpc.WithEndpointURL(endpoint))
		}
		if cfg.insecure {
			opts = append(opts, otlpmetricgrpc.WithInsecure())
		}
		exp, err = otlpmetricgrpc.New(ctx, opts...)
	} else {
		var opts []otlpmetrichttp.Option
		if endpoint != "" {
			opts = append(opts, otlpmetrichttp.WithEndpointURL(endpoint))
		}
		if cfg.insecure {
			opts = append(opts, otlpmetrichttp.WithInsecure())
		}
		exp, err = otlpmetrichttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("cairn: create OTLP %s metric exporter: %w", proto, err)
	}
	return exp, nil
}

func newLogExporter(ctx context.Context, cfg *config) (sdklog.Exporter, error) {
	proto, err := cfg.protocolFor(logs)
	if err != nil {
		return nil, err
	}
	endpoint, err := cfg.endpointFor(logs, proto)
	if err != nil {
		return nil, err
	}
	var exp sdklog.Exporter
	if proto == ProtocolGRPC {
		var opts []otlploggrpc.Option
		if endpoint != "" {
			opts = append(opts, otlploggrpc.WithEndpointURL(endpoint))
		}
		if cfg.insecure {
			opts = append(opts, otlploggrpc.WithInsecure())
		}
		exp, err = otlploggrpc.New(ctx, opts...)
	} else {
		var opts []otlploghttp.Option
		if endpoint != "" {
			opts = append(opts, otlploghttp.WithEndpointURL(endpoint))
		}
		if cfg.insecure {
			opts = append(opts, otlploghttp.WithInsecure())
		}
		exp, err = otlploghttp.New(ctx, opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("cairn: create OTLP %s log exporter: %w", proto, err)
	}
	return exp, nil
}
