package server

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// listenPprof binds the profiling listener, which is only ever allowed on loopback: profiles
// reveal memory contents (prompts among them).
func (s *Server) listenPprof() error {
	if s.cfg.PprofAddr == "" {
		return nil
	}
	if !isLoopback(s.cfg.PprofAddr) {
		return fmt.Errorf("--pprof-addr %s must be a loopback address (profiles can contain prompts)", s.cfg.PprofAddr)
	}
	ln, err := net.Listen("tcp", s.cfg.PprofAddr)
	if err != nil {
		return fmt.Errorf("listen for pprof on %s: %w", s.cfg.PprofAddr, err)
	}
	s.pprofLn = ln
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.pprofSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return nil
}
