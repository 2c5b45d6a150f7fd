package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cairn-dev/cairn/internal/ingest/reqbody"
)

// bodyBudget creates the memory budget for ingest request bodies that every receiver shares
// (--max-body-memory) and exports its use as self-metrics.
func (s *Server) bodyBudget() *reqbody.Budget {
	b := reqbody.NewBudget(s.cfg.MaxBodyMemory)
	s.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cairn_ingest_body_bytes",
			Help: "Bytes of ingest request bodies held in memory now, compressed and decompressed."},
			func() float64 { return float64(b.InUse()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cairn_ingest_body_bytes_limit",
			Help: "The memory budget for ingest request bodies (--max-body-memory)."},
			func() float64 { return float64(b.Capacity()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cairn_ingest_body_budget_refusals_total",
			Help: "Ingest requests refused (429 or RESOURCE_EXHAUSTED, retried by exporters) because request bodies in memory would exceed --max-body-memory."},
			func() float64 { return float64(b.Refused()) }))
	return b
}
