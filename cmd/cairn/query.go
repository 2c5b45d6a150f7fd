package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cairn-dev/cairn/internal/apiclient"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

const tracesSummary = `Searches the traces of a running Cairn server (through its JSON API) and prints them newest
first: start time, trace id, root span, service, duration, spans, errors, tokens and cost.
Filters combine: a trace matches when one span matches every span filter (--service, --name,
--attr) and the trace matches the rest. Print one trace with 'cairn trace <id>'.`

const traceSummary = `Give the trace id as the argument: cairn trace [flags] <trace id>. Prints that trace of a
running Cairn server as a tree of spans (name, service, duration, status) with, for every model
call, its model, tokens, cost, finish reason and messages; --json prints the API's answer.`

// displayZone is the time zone of printed times; tests set UTC.
var displayZone = time.Local

// clientFlags are the flags every API command takes.
type clientFlags struct {
	server, token string
	json          bool
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.server, "server", apiclient.DefaultServer, "base URL of the Cairn server (its --http-addr)")
	fs.StringVar(&c.token, "api-token", "", "API token, when the server was started with --api-token")
	fs.BoolVar(&c.json, "json", false, "print the API's JSON answer instead of text")
}

func (c *clientFlags) client() (*apiclient.Client, error) {
	cl, err := apiclient.New(c.server, c.token, nil)
	if err != nil {
		return nil, fmt.Errorf("--server: %w", err)
	}
	return cl, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ", ") }
func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// runTraces implements 'cairn traces'.
func runTraces(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var q apiclient.TraceQuery
	var attrs stringList
	var since time.Duration
	var start, end string
	fs := newFlagSet("traces", tracesSummary, stderr)
	cf.register(fs)
	fs.StringVar(&q.Service, "service", "", "only traces with a span of this service")
	fs.StringVar(&q.Name, "name", "", "only traces with a span of this name")
	fs.StringVar(&q.Status, "status", "", `"ok" (no error span) or "error" (at least one)`)
	fs.StringVar(&q.Model, "model", "", "only traces with a model call to this model (request or response model)")
	fs.StringVar(&q.Session, "session", "", "only traces of this session id")
	fs.StringVar(&q.User, "user", "", "only traces of this user id")
	fs.StringVar(&q.Text, "q", "", "full-text search in message content and log bodies")
	fs.Var(&attrs, "attr", "only traces with a span attribute key=value (repeatable)")
	fs.DurationVar(&q.MinDuration, "min-duration", 0, "only traces lasting at least this long, e.g. 500ms")
	fs.DurationVar(&q.MaxDuration, "max-duration", 0, "only traces lasting at most this long")
	fs.DurationVar(&since, "since", 0, "only traces started within this long before now, e.g. 1h")
	fs.StringVar(&start, "start", "", "only traces started at or after this time (RFC 3339 or Unix milliseconds)")
	fs.StringVar(&end, "end", "", "only traces started before this time (RFC 3339 or Unix milliseconds)")
	fs.IntVar(&q.Limit, "limit", 20, "traces per page, 1 to 1000")
	fs.StringVar(&q.Cursor, "cursor", "", "the next page: the cursor a previous page printed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	q.Attrs = attrs
	var err error
	if err = checkTraceQuery(&q, since, start, end, time.Now()); err != nil {
		return usageError(fs, err)
	}
	c, err := cf.client()
	if err != nil {
		return usageError(fs, err)
	}
	if cf.json {
		raw, err := c.SearchTracesRaw(ctx, q)
		if err != nil {
			return explain(err, c)
		}
		return writeJSON(stdout, raw)
	}
	page, err := c.SearchTraces(ctx, q)
	if err != nil {
		return explain(err, c)
	}
	printTraces(stdout, page, since > 0 && start == "", q.Start)
	return nil
}

// checkTraceQuery validates what the flags say and fills the time range.
func checkTraceQuery(q *apiclient.TraceQuery, since time.Duration, start, end string, now time.Time) error {
	if q.Status != "" && q.Status != "ok" && q.Status != "error" {
		return fmt.Errorf("--status %q: want ok or error", q.Status)
	}
	if q.Limit < 1 || q.Limit > 1000 {
		return fmt.Errorf("--limit %d: want 1 to 1000", q.Limit)
	}
	if q.MinDuration < 0 || q.MaxDuration < 0 || since < 0 {
		return errors.New("--min-duration, --max-duration and --since cannot be negative")
	}
	if q.MaxDuration > 0 && q.MinDuration > q.MaxDuration {
		return fmt.Errorf("--min-duration %s is more than --max-duration %s", q.MinDuration, q.MaxDuration)
	}
	for _, a := range q.Attrs {
		if k, _, ok := strings.Cut(a, "="); !ok || k == "" {
			return fmt.Errorf("--attr %q: want key=value, e.g. gen_ai.request.model=gpt-4o", a)
		}
	}
	var err error
	if since > 0 && start != "" {
		return errors.New("give --since or --start, not both")
	}
	if since > 0 {
		q.Start = now.Add(-since)
	}
	if q.Start.IsZero() {
		if q.Start, err = parseTimeFlag("start", start); err != nil {
			return err
		}
	}
	if q.End, err = parseTimeFlag("end", end); err != nil {
		return err
	}
	if !q.Start.IsZero() && !q.End.IsZero() && !q.Start.Before(q.End) {
		return errors.New("the start of the time range is not before its end")
	}
	return nil
}

// parseTimeFlag parses RFC 3339 or Unix milliseconds; the zero time for "".
func parseTimeFlag(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms >= 0 && ms <= math.MaxInt64/int64(time.Millisecond) {
		return time.UnixMilli(ms), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q: want RFC 3339 (2026-11-22T15:50:49Z) or Unix milliseconds", name, s)
}

// usageError prints err and the flags, and reports a usage error (exit status 2).
func usageError(fs *flag.FlagSet, err error) error {
	fmt.Fprintf(fs.Output(), "%s\n\n", safeLine(err.Error()))
	fs.Usage()
	return errUsage
}

// explain turns a client error into a message that says what to do. Every server-supplied
// text in it is made safe for the terminal.
func explain(err error, c *apiclient.Client) error {
	server := safeLine(c.Server())
	if ue, ok := errors.AsType[*apiclient.UnreachableError](err); ok {
		return fmt.Errorf("cannot reach cairn at %s (%s): is cairn serve running? start it with 'cairn serve', "+
			"or point --server (CAIRN_SERVER) at it", server, safeLine(ue.Err.Error()))
	}
	ae, ok := errors.AsType[*apiclient.APIError](err)
	if !ok {
		return errors.New(safeLine(err.Error()))
	}
	msg := safeLine(ae.Message)
	switch ae.Status {
	case 401:
		return fmt.Errorf("%s refused the request (%s): pass the token the server was started with as --api-token or CAIRN_API_TOKEN", server, msg)
	case 400:
		return fmt.Errorf("%s rejected the query: %s", server, msg)
	}
	return fmt.Errorf("%s answered %d: %s", server, ae.Status, msg)
}

// writeJSON prints an API answer as it came, but with every character a terminal could act
// on escaped: the answer stays the same JSON.
func writeJSON(w io.Writer, raw []byte) error {
	out := safeJSON(raw)
	if len(out) == 0 || out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	_, err := w.Write(out)
	return err
}

// printTraces prints a page of traces as an aligned table, then how to get the next page.
func printTraces(w io.Writer, page *apiclient.TracePage, relative bool, start time.Time) {
	if len(page.Traces) == 0 {
		fmt.Fprintln(w, "No traces match.")
		return
	}
	traces := slices.Clone(page.Traces)
	slices.SortStableFunc(traces, func(a, b apiclient.TraceSummary) int { return b.Start().Compare(a.Start()) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tTRACE ID\tROOT SPAN\tSERVICE\tDURATION\tSPANS\tERRORS\tTOKENS IN/OUT\tCOST")
	for i := range traces {
		t := &traces[i]
		root := clip(t.RootName, 48)
		if !t.HasRoot {
			root += " (no root yet)"
		}
		tokens := "-"
		if t.GenerationCount > 0 || t.InputTokens > 0 || t.OutputTokens > 0 {
			tokens = fmt.Sprintf("%d/%d", t.InputTokens, t.OutputTokens)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n",
			fmtClock(t.Start()), safeLine(clip(t.TraceID, 32)), safeLine(root), safeLine(clip(t.RootService, 24)),
			fmtMs(t.DurationMs), t.SpanCount, t.ErrorCount, tokens, fmtCost(t.CostUSD))
	}
	tw.Flush()
	if page.NextCursor != "" {
		cur := safeLine(page.NextCursor)
		if relative {
			fmt.Fprintf(w, "More traces: repeat with --start %s --cursor %s (in place of --since, so the window stays put)\n",
				start.UTC().Format(time.RFC3339Nano), cur)
		} else {
			fmt.Fprintf(w, "More traces: repeat with --cursor %s\n", cur)
		}
	}
}

// runTrace implements 'cairn trace <id>'.
func runTrace(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf clientFlags
	var full bool
	fs := newFlagSet("trace", traceSummary, stderr)
	cf.register(fs)
	fs.BoolVar(&full, "full", false, "print message content in full (by default long parts are cut)")
	pos, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, errors.New("give one trace id: cairn trace <trace id>"))
	}
	id := strings.TrimSpace(pos[0])
	if _, err := telemetry.ParseTraceID(id); err != nil {
		return usageError(fs, err)
	}
	id = strings.ToLower(id)
	c, err := cf.client()
	if err != nil {
		return usageError(fs, err)
	}
	raw, err := c.GetTraceRaw(ctx, id)
	if apiclient.StatusOf(err) == 404 {
		return fmt.Errorf("trace %s not found on %s: it has not arrived yet (exporters batch for a few seconds), "+
			"retention removed it, or it was sent to another server", id, safeLine(c.Server()))
	}
	if err != nil {
		return explain(err, c)
	}
	if cf.json {
		return writeJSON(stdout, raw)
	}
	t, err := apiclient.DecodeTrace(raw)
	if err != nil {
		return explain(err, c)
	}
	p := treePrinter{w: stdout, full: full}
	p.print(t)
	return nil
}

// parseFlagsAnywhere is parseFlags for commands with positional arguments, which may come
// before, between or after the flags. It returns the positional arguments.
func parseFlagsAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...) // everything after -- is positional
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if err := applyEnv(fs); err != nil {
		return nil, err
	}
	return pos, nil
}

// Formatting helpers.

// fmtClock prints a time in the display zone, to the second.
func fmtClock(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(displayZone).Format("2006-01-02 15:04:05")
}

// fmtMs prints a duration given in milliseconds with three significant digits or so.
func fmtMs(ms float64) string {
	switch {
	case math.IsNaN(ms) || ms < 0:
		return "-"
	case ms < 1:
		return strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case ms < 100:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	case ms < 60_000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + "s"
	case ms < 1e15:
		return time.Duration(ms * float64(time.Millisecond)).Round(time.Second).String()
	}
	return "-"
}

// fmtCost prints a cost in US dollars with three significant digits, "-" when unknown.
func fmtCost(c *float64) string {
	if c == nil || math.IsNaN(*c) || math.IsInf(*c, 0) {
		return "-"
	}
	v := *c
	switch {
	case v == 0:
		return "$0"
	case math.Abs(v) >= 1:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	decimals := min(12, 2-int(math.Floor(math.Log10(math.Abs(v)))))
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return "$" + s
}

// fmtTokens prints a token count that may be unreported.
func fmtTokens(n *int64) string {
	if n == nil {
		return "?"
	}
	return strconv.FormatInt(*n, 10)
}

// clip cuts s to at most n runes, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
