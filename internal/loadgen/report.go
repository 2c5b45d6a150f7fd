package loadgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Report is the outcome of a run; WriteMarkdown and WriteJSON print it.
type Report struct {
	Machine Machine      `json:"machine"`
	Server  ServerInfo   `json:"server"`
	Config  ReportConfig `json:"config"`
	Phases  []Phase      `json:"phases"`
}

// Machine describes where the load tool ran (the server is usually on the same machine).
type Machine struct {
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpuModel,omitempty"`
	Go       string `json:"go"`
}

// ServerInfo identifies the server measured.
type ServerInfo struct {
	HTTP    string `json:"http"`
	Version string `json:"version,omitempty"`
}

// ReportConfig is the run's configuration as reported.
type ReportConfig struct {
	Spans       int64   `json:"spans"`
	DurationSec float64 `json:"durationSeconds"`
	BatchSpans  int     `json:"batchSpans"`
	Concurrency int     `json:"concurrency"`
	Queries     int     `json:"queries"`
	Gzip        bool    `json:"gzip"`
	RareEvery   int     `json:"rareEvery"`
	ContentSeed uint64  `json:"contentSeed"`
}

func reportConfig(c Config) ReportConfig {
	return ReportConfig{Spans: c.Spans, DurationSec: c.Duration.Seconds(), BatchSpans: c.BatchSpans,
		Concurrency: c.Concurrency, Queries: c.Queries, Gzip: c.Gzip, RareEvery: c.RareEvery, ContentSeed: c.ContentSeed}
}

// Phase is one protocol's ingest and queries.
type Phase struct {
	Protocol             string        `json:"protocol"`
	Encoding             string        `json:"encoding,omitempty"`
	Gzip                 bool          `json:"gzip"`
	BatchSpans           int           `json:"batchSpans"`
	Concurrency          int           `json:"concurrency"`
	GeneratorSpansPerSec float64       `json:"generatorSpansPerSec,omitempty"`
	Ingest               *IngestResult `json:"ingest,omitempty"`
	Store                StoreStats    `json:"store"`
	Queries              []QueryResult `json:"queries"`
}

// IngestResult measures one phase's ingest.
type IngestResult struct {
	Spans             int64   `json:"spans"`
	Traces            int64   `json:"traces"`
	Requests          int64   `json:"requests"`
	RequestBytes      int64   `json:"requestBytes"`
	Retries           int64   `json:"retries"`
	Seconds           float64 `json:"seconds"`
	SentSpansPerSec   float64 `json:"sentSpansPerSec"`
	StoredSpans       int64   `json:"storedSpans"`
	StoredSeconds     float64 `json:"storedSeconds"`
	StoredSpansPerSec float64 `json:"storedSpansPerSec"`
	ServerCPUSeconds  float64 `json:"serverCpuSeconds"`
	LoadCPUSeconds    float64 `json:"loadCpuSeconds"`
	QueueRefusedItems int64   `json:"queueRefusedItems"`
	// The server's store writer during ingest (zero when the server does not export it).
	Transactions     int64   `json:"transactions"`
	WriterSeconds    float64 `json:"writerSeconds"`
	WriterCPUSeconds float64 `json:"writerCpuSeconds"`
	// The write-ahead log: largest size seen (sampled every second), resets, and the time
	// writes waited for them.
	MaxWALBytes     float64 `json:"maxWalBytes"`
	WALResets       int64   `json:"walResets"`
	WALPauseSeconds float64 `json:"walPauseSeconds"`
	// LoadAverage is the machine's 1-minute load average at the start and end of ingest
	// (Linux; the load tool usually shares the server's machine).
	LoadAverage [2]float64 `json:"loadAverage"`
}

// StoreStats is the server's store and memory after the phase's ingest.
type StoreStats struct {
	Spans            int64   `json:"spans"`
	Traces           int64   `json:"traces"`
	DiskBytes        int64   `json:"diskBytes"`
	DiskBytesPerSpan float64 `json:"diskBytesPerSpan"`
	PeakRSSBytes     float64 `json:"peakRssBytes"`
	RSSBytes         float64 `json:"rssBytes"`
}

// QueryResult is the latency of one query kind.
type QueryResult struct {
	Name       string  `json:"name"`
	Example    string  `json:"example"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"firstError,omitempty"`
	P50Ms      float64 `json:"p50Ms"`
	P95Ms      float64 `json:"p95Ms"`
	P99Ms      float64 `json:"p99Ms"`
	MaxMs      float64 `json:"maxMs"`
	MeanItems  float64 `json:"meanItems"`
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes the report as Markdown tables.
func (r *Report) WriteMarkdown(w io.Writer) error {
	b := &strings.Builder{}
	m := r.Machine
	fmt.Fprintf(b, "Machine: %d CPUs", m.CPUs)
	if m.CPUModel != "" {
		fmt.Fprintf(b, " (%s)", m.CPUModel)
	}
	fmt.Fprintf(b, ", %s/%s, %s. Server: %s", m.OS, m.Arch, m.Go, r.Server.HTTP)
	if r.Server.Version != "" {
		fmt.Fprintf(b, " (cairn %s)", r.Server.Version)
	}
	b.WriteString(".\n")
	for _, ph := range r.Phases {
		b.WriteString("\n")
		writePhase(b, ph)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writePhase(b *strings.Builder, ph Phase) {
	title := ph.Protocol
	if ph.Encoding != "" {
		title += " (" + ph.Encoding
		if ph.Gzip {
			title += ", gzip"
		}
		title += ")"
	}
	fmt.Fprintf(b, "### Ingest: %s, %d spans per request, %d senders\n\n", title, ph.BatchSpans, ph.Concurrency)
	b.WriteString("| Measure | Value |\n|---|---:|\n")
	row := func(k, v string) { fmt.Fprintf(b, "| %s | %s |\n", k, v) }
	if in := ph.Ingest; in != nil {
		row("Spans sent", fmt.Sprintf("%s (%s traces, %s requests of %s)", commas(float64(in.Spans)),
			commas(float64(in.Traces)), commas(float64(in.Requests)), bytesHuman(float64(in.RequestBytes))))
		row("Ingest time", fmt.Sprintf("%.1f s", in.Seconds))
		row("Sent (acknowledged) rate", fmt.Sprintf("**%s spans/s**", commas(in.SentSpansPerSec)))
		row("Stored rate", fmt.Sprintf("**%s spans/s** (%s stored after %.1f s)", commas(in.StoredSpansPerSec),
			commas(float64(in.StoredSpans)), in.StoredSeconds))
		row("Retries (429 / RESOURCE_EXHAUSTED)", fmt.Sprintf("%s (server refused %s items)", commas(float64(in.Retries)), commas(float64(in.QueueRefusedItems))))
		if ph.GeneratorSpansPerSec > 0 {
			row("Generator alone", fmt.Sprintf("%s spans/s", commas(ph.GeneratorSpansPerSec)))
		}
		if in.Seconds > 0 {
			row("Server CPU during ingest", fmt.Sprintf("%.2f cores (%s spans per CPU-second)", in.ServerCPUSeconds/in.StoredSeconds,
				commas(safeDiv(float64(in.StoredSpans), in.ServerCPUSeconds))))
			row("Load tool CPU during ingest", fmt.Sprintf("%.2f cores", in.LoadCPUSeconds/in.Seconds))
		}
		if in.Transactions > 0 && in.StoredSpans > 0 {
			per := 1000 / float64(in.StoredSpans)
			cpu := ""
			if in.WriterCPUSeconds > 0 {
				cpu = fmt.Sprintf(" (%.1f ms on CPU)", 1000*in.WriterCPUSeconds*per)
			}
			row("Store writer", fmt.Sprintf("%.1f ms per 1,000 spans%s; busy %.0f%% of the ingest time; %s transactions of %s spans on average",
				1000*in.WriterSeconds*per, cpu, 100*safeDiv(in.WriterSeconds, in.StoredSeconds),
				commas(float64(in.Transactions)), commas(float64(in.StoredSpans)/float64(in.Transactions))))
		}
		if in.MaxWALBytes > 0 {
			row("WAL during ingest", fmt.Sprintf("at most %s; reset %s times, writes paused %.2f s for it",
				bytesHuman(in.MaxWALBytes), commas(float64(in.WALResets)), in.WALPauseSeconds))
		}
		if in.LoadAverage[0] > 0 || in.LoadAverage[1] > 0 {
			row("Machine load average (1 min) at start / end", fmt.Sprintf("%.2f / %.2f", in.LoadAverage[0], in.LoadAverage[1]))
		}
	}
	st := ph.Store
	row("Store", fmt.Sprintf("%s spans, %s traces, %s on disk", commas(float64(st.Spans)), commas(float64(st.Traces)), bytesHuman(float64(st.DiskBytes))))
	row("Disk per span", fmt.Sprintf("**%s bytes**", commas(st.DiskBytesPerSpan)))
	row("Server peak RSS", fmt.Sprintf("**%s** (now %s)", bytesHuman(st.PeakRSSBytes), bytesHuman(st.RSSBytes)))
	if len(ph.Queries) == 0 {
		return
	}
	fmt.Fprintf(b, "\n| Query (%d each, one at a time) | p50 ms | p95 ms | p99 ms | max ms | results | errors |\n", ph.Queries[0].Requests)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, q := range ph.Queries {
		fmt.Fprintf(b, "| %s | %.1f | %.1f | %.1f | %.1f | %s | %d |\n", q.Name, q.P50Ms, q.P95Ms, q.P99Ms, q.MaxMs,
			trimFloat(q.MeanItems), q.Errors)
	}
	for _, q := range ph.Queries {
		if q.FirstError != "" {
			fmt.Fprintf(b, "\n%s: first error: %s\n", q.Name, q.FirstError)
		}
	}
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func trimFloat(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

// commas formats a number rounded to an integer with thousands separators.
func commas(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	n := int64(math.Round(f))
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprintf("%d", n)
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, c)
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// bytesHuman formats a byte count in binary units.
func bytesHuman(f float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", f)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// loadAverage reads the 1-minute load average on Linux (0 elsewhere).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// cpuModel reads the CPU model name on Linux.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
