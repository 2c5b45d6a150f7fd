package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serverMetrics is what the load tool reads from the server's /metrics.
type serverMetrics struct {
	StoreSpans    float64 // cairn_store_spans
	StoreTraces   float64 // cairn_store_traces
	DiskBytes     float64 // cairn_store_disk_bytes
	PeakRSS       float64 // cairn_process_peak_resident_memory_bytes
	RSS           float64 // process_resident_memory_bytes
	QueueItems    float64 // cairn_queue_items
	CPUSeconds    float64 // process_cpu_seconds_total
	QueueRefused  float64 // cairn_queue_refused_items_total
	WriteFailures float64 // cairn_store_write_failures_total
	WriteSeconds  float64 // cairn_store_write_seconds_sum: store transactions' wall time
	WriteCount    float64 // cairn_store_write_seconds_count: store transactions
	WriteCPU      float64 // cairn_store_write_cpu_seconds_total: the writer thread's CPU time
	WALBytes      float64 // cairn_store_wal_bytes
	WALResets     float64 // cairn_store_wal_resets_total
	WALPause      float64 // cairn_store_wal_reset_pause_seconds_total
	HasStoreSpans bool
	HasQueueItems bool
	ScrapedAt     time.Time
}

// apiClient talks to the server's HTTP port: /metrics and /api/v1.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

func newAPIClient(base, token string) *apiClient {
	return &apiClient{
		base:  strings.TrimSuffix(base, "/"),
		token: token,
		http: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
			MaxIdleConnsPerHost: 4, DisableCompression: true,
		}},
	}
}

// get fetches path and returns the status and body.
func (c *apiClient) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// metrics scrapes /metrics.
func (c *apiClient) metrics(ctx context.Context) (serverMetrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	code, body, err := c.get(ctx, "/metrics")
	if err != nil {
		return serverMetrics{}, fmt.Errorf("scrape %s/metrics: %w", c.base, err)
	}
	if code != http.StatusOK {
		return serverMetrics{}, fmt.Errorf("scrape %s/metrics: HTTP %d: %s (is --api-token right?)", c.base, code, clip(string(body), 200))
	}
	m := parseMetrics(string(body))
	m.ScrapedAt = time.Now()
	return m, nil
}

// parseMetrics reads the Prometheus text format, summing the samples of a name across labels.
func parseMetrics(text string) serverMetrics {
	var m serverMetrics
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if i := strings.IndexByte(line, '{'); i >= 0 && i < len(name) {
			name = line[:i]
			j := strings.LastIndexByte(line, '}')
			if j < 0 {
				continue
			}
			rest = line[j+1:]
			ok = true
		}
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		switch name {
		case "cairn_store_spans":
			m.StoreSpans += v
			m.HasStoreSpans = true
		case "cairn_store_traces":
			m.StoreTraces += v
		case "cairn_store_disk_bytes":
			m.DiskBytes += v
		case "cairn_process_peak_resident_memory_bytes":
			m.PeakRSS += v
		case "process_resident_memory_bytes":
			m.RSS += v
		case "cairn_queue_items":
			m.QueueItems += v
			m.HasQueueItems = true
		case "process_cpu_seconds_total":
			m.CPUSeconds += v
		case "cairn_queue_refused_items_total":
			m.QueueRefused += v
		case "cairn_store_write_failures_total":
			m.WriteFailures += v
		case "cairn_store_write_seconds_sum":
			m.WriteSeconds += v
		case "cairn_store_write_seconds_count":
			m.WriteCount += v
		case "cairn_store_write_cpu_seconds_total":
			m.WriteCPU += v
		case "cairn_store_wal_bytes":
			m.WALBytes += v
		case "cairn_store_wal_resets_total":
			m.WALResets += v
		case "cairn_store_wal_reset_pause_seconds_total":
			m.WALPause += v
		}
	}
	return m
}
