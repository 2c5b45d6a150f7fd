package server

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/tlsutil"
)

// retentionLoop applies the retention policy now and every RetentionEvery until ctx ends.
func (s *Server) retentionLoop(ctx context.Context) {
	if s.cfg.RetentionAge <= 0 && s.cfg.RetentionBytes <= 0 {
		return
	}
	t := time.NewTicker(s.cfg.RetentionEvery)
	defer t.Stop()
	for {
		s.retainOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// retainOnce runs one retention pass and logs what it deleted.
func (s *Server) retainOnce(ctx context.Context) {
	start := time.Now()
	res, err := s.store.Retain(ctx, store.Retention{MaxAge: s.cfg.RetentionAge, MaxBytes: s.cfg.RetentionBytes})
	if err != nil {
		if ctx.Err() == nil {
			s.logger.Error("retention failed; will retry", "err", err, "next", s.cfg.RetentionEvery)
		}
		return
	}
	s.logger.Info("retention", "result", fmt.Sprintf("%+v", res), "took", time.Since(start).Round(time.Millisecond))
}

// printBanner tells the user where everything is, ready to paste.
func (s *Server) printBanner(out io.Writer) {
	if out == nil {
		return
	}
	base := "http://" + dialable(s.HTTPAddr())
	fmt.Fprintf(out, "Cairn %s is running (data in %s)\n", s.cfg.Version, s.cfg.DataDir)
	fmt.Fprintf(out, "  UI:            %s/\n", base)
	fmt.Fprintf(out, "  API:           %s/api/v1/traces\n", base)
	fmt.Fprintf(out, "  OTLP/HTTP:     export OTEL_EXPORTER_OTLP_ENDPOINT=%s\n", base)
	if g := s.GRPCAddr(); g != "" {
		fmt.Fprintf(out, "  OTLP/gRPC:     export OTEL_EXPORTER_OTLP_ENDPOINT=http://%s OTEL_EXPORTER_OTLP_PROTOCOL=grpc\n", dialable(g))
	}
	if s.cfg.IngestToken != "" {
		fmt.Fprintf(out, "                 export OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%%20<ingest token>\n")
	}
	fmt.Fprintf(out, "  Try it:        cairn demo --endpoint %s\n", base)
	if s.tlsLn != nil {
		caFile := s.caFile
		if caFile == "" {
			caFile = s.cfg.TLSCert
		}
		fmt.Fprintf(out, "  Application Insights over TLS on %s.\n", s.TLSAddr())
		fmt.Fprint(out, indent(tlsutil.StartupText(s.connectionString(), caFile)))
	} else {
		fmt.Fprintf(out, "  Application Insights (plain HTTP; add --tls-addr 127.0.0.1:4319 for the JS exporter):\n")
		fmt.Fprintf(out, "    export APPLICATIONINSIGHTS_CONNECTION_STRING=%q\n", s.connectionString())
	}
}

// dialable turns a listen address into one a local client can dial (0.0.0.0 → 127.0.0.1).
func dialable(addr string) string { return tlsutil.DialAddr(addr) }

// indent prefixes every line with four spaces.
func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}
