package server

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cairn-dev/cairn/internal/pipeline"
	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/store/sqlite"
)

// selfMetrics is Cairn's own Prometheus registry (not the global one, so that tests can run
// several servers in one process).
type selfMetrics struct {
	reg        *prometheus.Registry
	received   *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	committed  *prometheus.CounterVec
	writeTime  prometheus.Histogram
	writeItems prometheus.Histogram
	writeCPU   prometheus.Counter
	failed     prometheus.Counter
	overloaded prometheus.Counter
}

// newSelfMetrics registers the process, Go runtime, store and ingest metrics.
func newSelfMetrics(version string, st store.Maintainer) *selfMetrics {
	m := &selfMetrics{
		reg: prometheus.NewRegistry(),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_received_items_total", Help: "Spans, log records and metric points accepted and committed, by receiver and signal.",
		}, []string{"receiver", "signal"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_rejected_items_total", Help: "Items refused as invalid (reported to the client as partial success), by receiver and signal.",
		}, []string{"receiver", "signal"}),
		committed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cairn_store_written_items_total", Help: "Items committed to the store, by kind.",
		}, []string{"kind"}),
		writeTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cairn_store_write_seconds", Help: "Duration of one store transaction (group commit).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		writeItems: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cairn_store_write_items", Help: "Items (spans, log records, metric points) per store transaction (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
		writeCPU: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cairn_store_write_cpu_seconds_total", Help: "CPU time of the store writer thread in committed transactions (Linux; compare with cairn_store_write_seconds_sum).",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cairn_store_write_failures_total", Help: "Store transactions that failed.",
		}),
		overloaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cairn_queue_refused_items_total", Help: "Items refused with 429/RESOURCE_EXHAUSTED because the write queue was full.",
		}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cairn_build_info", Help: "Cairn's version.", ConstLabels: prometheus.Labels{"version": version},
	})
	build.Set(1)
	m.reg.MustRegister(m.received, m.rejected, m.committed, m.writeTime, m.writeItems, m.writeCPU, m.failed, m.overloaded, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cairn_process_peak_resident_memory_bytes", Help: "Peak resident set size (VmHWM) of the process.",
		}, peakRSS),
		newStoreCollector(st))
	return m
}

// watchQueue exports the pipeline's queue depth and capacity.
func (m *selfMetrics) watchQueue(p *pipeline.Pipeline) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cairn_queue_items", Help: "Items waiting to be written."},
			func() float64 { return float64(p.Depth()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cairn_queue_capacity_items", Help: "Capacity of the write queue in items."},
			func() float64 { return float64(p.Capacity()) }))
}

// watchWAL exports the size of the store's write-ahead log and its checkpointer's work.
func (m *selfMetrics) watchWAL(st *sqlite.Store) {
	c := st.Checkpoints()
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cairn_store_wal_bytes", Help: "Size of the write-ahead log on disk."},
			func() float64 { return float64(st.WALBytes()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cairn_store_wal_resets_total",
			Help: "Times the write-ahead log passed its limit and was checkpointed and truncated."},
			func() float64 { return float64(c.Resets.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cairn_store_wal_reset_failures_total",
			Help: "WAL truncations given up because readers still used the log (retried later)."},
			func() float64 { return float64(c.Failed.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "cairn_store_wal_reset_pause_seconds_total",
			Help: "Time writes waited for WAL truncations."},
			func() float64 { return float64(c.PausedNanos.Load()) / 1e9 }))
}

// watchTextIndex exports the full-text indexer's backlog.
func (m *selfMetrics) watchTextIndex(st *sqlite.Store) {
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cairn_text_index_queue_bytes",
			Help: "Words stored and waiting for the full-text indexer (ingest waits past 16 MiB)."},
			func() float64 { return float64(st.TextIndex().QueuedBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cairn_text_index_lag_documents",
			Help: "Documents stored and not yet searchable by text."},
			func() float64 { return float64(st.TextIndex().LagDocuments) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "cairn_text_index_failing",
			Help: "1 while the full-text indexer's transactions fail (see the log; it retries every second)."},
			func() float64 {
				if st.TextIndex().Failing {
					return 1
				}
				return 0
			}))
}

// handler serves the registry in the Prometheus text format.
func (m *selfMetrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Committed implements pipeline.Observer.
func (m *selfMetrics) Committed(c pipeline.Commit) {
	m.committed.WithLabelValues("span").Add(float64(c.Spans))
	m.committed.WithLabelValues("log").Add(float64(c.Logs))
	m.committed.WithLabelValues("metric_point").Add(float64(c.MetricPoints))
	m.writeTime.Observe(c.Took.Seconds())
	m.writeCPU.Add(c.CPU.Seconds())
	m.writeItems.Observe(float64(c.Spans + c.Logs + c.MetricPoints))
}

// Failed implements pipeline.Observer.
func (m *selfMetrics) Failed(int) { m.failed.Inc() }

// Overloaded implements pipeline.Observer.
func (m *selfMetrics) Overloaded(n int) { m.overloaded.Add(float64(n)) }

// receiver returns the observer of one receiver (OTLP HTTP, OTLP gRPC, Application Insights).
func (m *selfMetrics) receiver(name string) receiverObserver {
	return receiverObserver{m: m, name: name}
}

// receiverObserver implements the otlp and breeze Observer interfaces.
type receiverObserver struct {
	m    *selfMetrics
	name string
}

// Received counts committed items.
func (o receiverObserver) Received(signal string, n int) {
	o.m.received.WithLabelValues(o.name, signal).Add(float64(n))
}

// Rejected counts invalid items.
func (o receiverObserver) Rejected(signal string, n int) {
	o.m.rejected.WithLabelValues(o.name, signal).Add(float64(n))
}

// storeCollector reads the store's counters at scrape time.
type storeCollector struct {
	st                                   store.Maintainer
	spans, logs, points, traces, diskLen *prometheus.Desc
}

func newStoreCollector(st store.Maintainer) *storeCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &storeCollector{st: st,
		spans:   d("cairn_store_spans", "Spans stored."),
		logs:    d("cairn_store_logs", "Log records stored."),
		points:  d("cairn_store_metric_points", "Metric points stored."),
		traces:  d("cairn_store_traces", "Traces stored."),
		diskLen: d("cairn_store_disk_bytes", "Size of the database files on disk, WAL included."),
	}
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.spans, c.logs, c.points, c.traces, c.diskLen} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.st.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.spans, err)
		return
	}
	g := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	g(c.spans, st.Spans)
	g(c.logs, st.Logs)
	g(c.points, st.MetricPoints)
	g(c.traces, st.Traces)
	g(c.diskLen, st.DiskBytes)
}

// peakRSS reads VmHWM from /proc/self/status (Linux); 0 elsewhere.
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			f := bytes.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseFloat(string(f[0]), 64)
				return kb * 1024
			}
		}
	}
	return 0
}
