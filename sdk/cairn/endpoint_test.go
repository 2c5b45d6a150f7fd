package cairn

import "testing"

func TestEndpointFor(t *testing.T) {
	f := func(cfg config, env map[string]string, s signal, proto, want string) {
		t.Helper()
		for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"} {
			t.Setenv(k, env[k])
		}
		got, err := cfg.endpointFor(s, proto)
		if err != nil || got != want {
			t.Errorf("endpointFor(%+v, %v, %s, %s) = %q, %v; want %q", cfg, env, s.env, proto, got, err, want)
		}
	}
	f(config{}, nil, traces, ProtocolHTTP, "http://127.0.0.1:4318/v1/traces")
	f(config{}, nil, metrics, ProtocolGRPC, "http://127.0.0.1:4317")
	f(config{endpoint: "http://cairn:4318"}, nil, logs, ProtocolHTTP, "http://cairn:4318/v1/logs")
	f(config{endpoint: "https://otel.example.com/prefix/"}, nil, traces, ProtocolHTTP, "https://otel.example.com/prefix/v1/traces")
	f(config{endpoint: "localhost:4318"}, nil, traces, ProtocolHTTP, "http://localhost:4318/v1/traces")
	f(config{endpoint: "collector:4318"}, nil, traces, ProtocolHTTP, "https://collector:4318/v1/traces")
	f(config{endpoint: "collector:4318", insecure: true}, nil, traces, ProtocolHTTP, "http://collector:4318/v1/traces")
	// The environment is left to the exporters, which know its precedence rules.
	f(config{}, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}, traces, ProtocolHTTP, "")
	f(config{}, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://x:4318/v1/traces"}, traces, ProtocolHTTP, "")
	f(config{}, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://x:4318/v1/traces"}, metrics, ProtocolHTTP, "http://127.0.0.1:4318/v1/metrics")
	// An option wins over the environment.
	f(config{endpoint: "http://opt:1"}, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}, traces, ProtocolGRPC, "http://opt:1")
}

func TestProtocolFor(t *testing.T) {
	f := func(opt, general, perSignal, want string, wantErr bool) {
		t.Helper()
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", general)
		t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", perSignal)
		c := config{protocol: opt}
		got, err := c.protocolFor(traces)
		if got != want || (err != nil) != wantErr {
			t.Errorf("protocolFor(opt %q, env %q/%q) = %q, %v; want %q (error %v)", opt, general, perSignal, got, err, want, wantErr)
		}
	}
	f("", "", "", ProtocolHTTP, false)
	f("", "grpc", "", ProtocolGRPC, false)
	f("", "grpc", "http/protobuf", ProtocolHTTP, false)
	f(ProtocolHTTP, "grpc", "grpc", ProtocolHTTP, false)
	f("", "http/json", "", "", true)
}
