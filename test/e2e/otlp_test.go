package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// sdkClients are the OpenTelemetry Go SDK's providers over one OTLP transport.
type sdkClients struct {
	tp *sdktrace.TracerProvider
	lp *sdklog.LoggerProvider
	mp *sdkmetric.MeterProvider
}

// newSDKClients sets up the SDK's OTLP trace, log and metric exporters over gRPC or HTTP, as an
// application would, for service. headers are sent with every export.
func newSDKClients(t *testing.T, p *cairnProc, transport, service string, headers map[string]string) *sdkClients {
	t.Helper()
	ctx := context.Background()
	res := resource.NewSchemaless(attribute.String("service.name", service),
		attribute.String("deployment.environment.name", "e2e"), attribute.Int("host.cpus", 2))
	var (
		te  sdktrace.SpanExporter
		le  sdklog.Exporter
		me  sdkmetric.Exporter
		err error
	)
	switch transport {
	case "grpc":
		if te, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(p.GRPC), otlptracegrpc.WithInsecure(), otlptracegrpc.WithHeaders(headers)); err != nil {
			t.Fatal(err)
		}
		if le, err = otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(p.GRPC), otlploggrpc.WithInsecure(), otlploggrpc.WithHeaders(headers)); err != nil {
			t.Fatal(err)
		}
		if me, err = otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(p.GRPC), otlpmetricgrpc.WithInsecure(), otlpmetricgrpc.WithHeaders(headers)); err != nil {
			t.Fatal(err)
		}
	case "http":
		if te, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(p.HTTP), otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(headers)); err != nil {
			t.Fatal(err)
		}
		if le, err = otlploghttp.New(ctx, otlploghttp.WithEndpoint(p.HTTP), otlploghttp.WithInsecure(), otlploghttp.WithHeaders(headers)); err != nil {
			t.Fatal(err)
		}
		if me, err = otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(p.HTTP), otlpmetrichttp.WithInsecure(), otlpmetrichttp.WithHeaders(headers)); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("transport %q", transport)
	}
	c := &sdkClients{
		tp: sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(te)),
		lp: sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewBatchProcessor(le))),
		// The periodic reader exports at Shutdown; the interval only has to be longer than the test.
		mp: sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(me, sdkmetric.WithInterval(time.Hour)))),
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.tp.Shutdown(ctx)
		_ = c.lp.Shutdown(ctx)
		_ = c.mp.Shutdown(ctx)
	})
	return c
}

// flush delivers everything recorded so far; an export error (non-2xx, gRPC error) fails the test.
func (c *sdkClients) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.tp.ForceFlush(ctx); err != nil {
		t.Fatalf("flush traces: %v", err)
	}
	if err := c.lp.ForceFlush(ctx); err != nil {
		t.Fatalf("flush logs: %v", err)
	}
	if err := c.mp.ForceFlush(ctx); err != nil {
		t.Fatalf("flush metrics: %v", err)
	}
}

// checkoutTrace records one trace with every OTLP feature Cairn must keep:
//
//	checkout (server, ok, attributes of every type, an event)
//	└─ charge card (client, error, exception event, a link, a log record)
//	   ├─ publish receipt (producer)
//	   └─ consume receipt (consumer)
//
// It returns the trace id and the linked span's context.
func checkoutTrace(c *sdkClients, base time.Time) (string, trace.SpanContext) {
	tr := c.tp.Tracer("e2e/interop", trace.WithInstrumentationVersion("1.2.3"))
	_, other := tr.Start(context.Background(), "inventory sync", trace.WithTimestamp(base))
	other.End(trace.WithTimestamp(base.Add(time.Millisecond)))
	linked := other.SpanContext()

	ctx, root := tr.Start(context.Background(), "checkout", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(base),
		trace.WithAttributes(
			attribute.String("http.route", "/checkout"),
			attribute.Int64("cart.items", 3),
			attribute.Int64("order.big", 9007199254740993), // 2^53+1: not a float64
			attribute.Float64("cart.total", 42.5),
			attribute.Bool("customer.vip", true),
			attribute.StringSlice("cart.skus", []string{"a-1", "b-2"}),
			attribute.Int64Slice("cart.quantities", []int64{1, 2}),
			attribute.Float64Slice("cart.prices", []float64{1.5, 20.25}),
			attribute.BoolSlice("cart.gift", []bool{true, false}),
		))
	root.AddEvent("cart.loaded", trace.WithTimestamp(base.Add(time.Millisecond)),
		trace.WithAttributes(attribute.Int("items", 3)))

	cctx, child := tr.Start(ctx, "charge card", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(base.Add(2*time.Millisecond)),
		trace.WithLinks(trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("link.why", "stock")}}))
	var rec otellog.Record
	rec.SetTimestamp(base.Add(3 * time.Millisecond))
	rec.SetSeverity(otellog.SeverityWarn)
	rec.SetSeverityText("WARN")
	rec.SetEventName("payment.retry")
	rec.SetBody(attribute.StringValue("card declined, retrying"))
	rec.AddAttributes(attribute.String("payment.provider", "acme"), attribute.Int("attempt", 2))
	c.lp.Logger("e2e/interop").Emit(cctx, rec)

	_, prod := tr.Start(cctx, "publish receipt", trace.WithSpanKind(trace.SpanKindProducer), trace.WithTimestamp(base.Add(4*time.Millisecond)))
	prod.End(trace.WithTimestamp(base.Add(5 * time.Millisecond)))
	_, cons := tr.Start(cctx, "consume receipt", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithTimestamp(base.Add(6*time.Millisecond)))
	cons.End(trace.WithTimestamp(base.Add(7 * time.Millisecond)))

	child.RecordError(errors.New("card declined"), trace.WithTimestamp(base.Add(8*time.Millisecond)))
	child.SetStatus(codes.Error, "card declined")
	child.End(trace.WithTimestamp(base.Add(50 * time.Millisecond)))
	root.SetStatus(codes.Ok, "")
	root.End(trace.WithTimestamp(base.Add(100 * time.Millisecond)))
	return root.SpanContext().TraceID().String(), linked
}

// TestOTLPGoSDKInterop sends traces, logs and metrics with the OpenTelemetry Go SDK's OTLP
// exporters, over gRPC and over HTTP, and reads them back through the API as a user would.
func TestOTLPGoSDKInterop(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Millisecond)
	for i, transport := range []string{"grpc", "http"} {
		t.Run(transport, func(t *testing.T) {
			service := "interop-" + transport
			c := newSDKClients(t, p, transport, service, nil)
			traceID, linked := checkoutTrace(c, base.Add(time.Duration(i)*time.Second))
			recordMetrics(c, transport)
			c.flush(t)
			g := waitTrace(t, p, traceID, func(g *gotTrace) bool { return len(g.Spans) == 4 })
			checkCheckout(t, g, service, linked)
			// Attribute filters compare values of every type as rendered text.
			for _, attr := range []string{"http.route=/checkout", "cart.items=3", "cart.total=42.5", "customer.vip=true", "order.big=9007199254740993"} {
				var l gotTraceList
				if code := getJSON(t, p.API("/traces?service="+service+"&attr="+url.QueryEscape(attr)), &l); code != http.StatusOK ||
					!slices.Equal(traceIDsOf(l.Traces), []string{traceID}) {
					t.Errorf("GET /traces?service=%s&attr=%s: %d %v; want just %s", service, attr, code, traceIDsOf(l.Traces), traceID)
				}
			}
			var none gotTraceList
			if getJSON(t, p.API("/traces?service="+service+"&attr=customer.vip=false"), &none); len(none.Traces) != 0 {
				t.Errorf("attr=customer.vip=false matched %v", traceIDsOf(none.Traces))
			}
			checkMetrics(t, p, service, transport)
		})
	}

	var services struct{ Services []string }
	if code := getJSON(t, p.API("/services"), &services); code != http.StatusOK ||
		!slices.Contains(services.Services, "interop-grpc") || !slices.Contains(services.Services, "interop-http") {
		t.Errorf("GET /services: %d %v; want interop-grpc and interop-http", code, services.Services)
	}
	var ops struct {
		Operations []struct{ Name, SpanKind string }
	}
	if code := getJSON(t, p.API("/operations?service=interop-http"), &ops); code != http.StatusOK {
		t.Fatalf("GET /operations: %d", code)
	}
	got := map[string]string{}
	for _, o := range ops.Operations {
		got[o.Name] = o.SpanKind
	}
	want := map[string]string{"checkout": "server", "charge card": "client", "publish receipt": "producer",
		"consume receipt": "consumer", "inventory sync": "internal"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GET /operations?service=interop-http = %v, want %v", got, want)
	}
}

func checkCheckout(t *testing.T, g *gotTrace, service string, linked trace.SpanContext) {
	t.Helper()
	s := g.Summary
	if s.RootName != "checkout" || !s.HasRoot || s.RootService != service || s.SpanCount != 4 || s.ErrorCount != 1 || s.DurationMs != 100 {
		t.Errorf("summary %+v; want root checkout of %s, 4 spans, 1 error, 100 ms", s, service)
	}
	root, child := g.span(t, "checkout"), g.span(t, "charge card")
	prod, cons := g.span(t, "publish receipt"), g.span(t, "consume receipt")
	tree := []struct {
		s            gotSpan
		kind, parent string
	}{{root, "server", ""}, {child, "client", root.SpanID}, {prod, "producer", child.SpanID}, {cons, "consumer", child.SpanID}}
	for _, x := range tree {
		if x.s.Kind != x.kind || x.s.ParentSpanID != x.parent || x.s.Service != service || x.s.TraceID != s.TraceID {
			t.Errorf("span %s: kind %q parent %q service %q; want %s under %q in %s", x.s.Name, x.s.Kind, x.s.ParentSpanID, x.s.Service, x.kind, x.parent, service)
		}
		if x.s.Scope.Name != "e2e/interop" || x.s.Scope.Version != "1.2.3" {
			t.Errorf("span %s scope %+v", x.s.Name, x.s.Scope)
		}
	}
	wantRes := map[string]any{"service.name": service, "deployment.environment.name": "e2e", "host.cpus": json.Number("2")}
	for k, v := range wantRes {
		if root.Resource[k] != v {
			t.Errorf("resource %s = %#v, want %#v (resource %v)", k, root.Resource[k], v, root.Resource)
		}
	}
	wantAttrs := map[string]any{
		"http.route":      "/checkout",
		"cart.items":      json.Number("3"),
		"order.big":       json.Number("9007199254740993"),
		"cart.total":      json.Number("42.5"),
		"customer.vip":    true,
		"cart.skus":       []any{"a-1", "b-2"},
		"cart.quantities": []any{json.Number("1"), json.Number("2")},
		"cart.prices":     []any{json.Number("1.5"), json.Number("20.25")},
		"cart.gift":       []any{true, false},
	}
	for k, v := range wantAttrs {
		if !reflect.DeepEqual(root.Attributes[k], v) {
			t.Errorf("attribute %s = %#v, want %#v", k, root.Attributes[k], v)
		}
	}
	if root.Status.Code != "ok" || child.Status.Code != "error" || child.Status.Message != "card declined" || prod.Status.Code != "unset" {
		t.Errorf("status: checkout %+v, charge card %+v, publish %+v; want ok, error \"card declined\", unset", root.Status, child.Status, prod.Status)
	}
	if root.DurationMs != 100 || child.DurationMs != 48 {
		t.Errorf("durations %v, %v ms; want 100, 48", root.DurationMs, child.DurationMs)
	}
	if len(root.Events) != 1 || root.Events[0].Name != "cart.loaded" || root.Events[0].Attributes["items"] != json.Number("3") {
		t.Errorf("checkout events %+v; want cart.loaded items=3", root.Events)
	}
	if len(child.Links) != 1 || child.Links[0].TraceID != linked.TraceID().String() ||
		child.Links[0].SpanID != linked.SpanID().String() || child.Links[0].Attributes["link.why"] != "stock" {
		t.Errorf("charge card links %+v; want %s/%s link.why=stock", child.Links, linked.TraceID(), linked.SpanID())
	}
	// RecordError's exception: a span event, which Cairn may show as an event or as a log.
	exc := false
	for _, e := range child.Events {
		exc = exc || e.Name == "exception" && e.Attributes["exception.message"] == "card declined"
	}
	for _, l := range child.Logs {
		exc = exc || l.EventName == "exception" && l.Attributes["exception.message"] == "card declined"
	}
	if !exc {
		t.Errorf("charge card has no exception \"card declined\": events %+v logs %+v", child.Events, child.Logs)
	}
	var retry *gotLog
	for i, l := range child.Logs {
		if l.EventName == "payment.retry" {
			retry = &child.Logs[i]
		}
	}
	switch {
	case retry == nil:
		t.Errorf("charge card has no payment.retry log; logs %+v, orphans %+v", child.Logs, g.OrphanLogs)
	case retry.Body != "card declined, retrying" || retry.SeverityNumber != 13 || retry.SeverityText != "WARN" ||
		retry.SpanID != child.SpanID || retry.TraceID != s.TraceID ||
		retry.Attributes["payment.provider"] != "acme" || retry.Attributes["attempt"] != json.Number("2") ||
		retry.Resource["service.name"] != service:
		t.Errorf("payment.retry log %+v", *retry)
	}
	for _, x := range tree[1:] {
		for _, l := range x.s.Logs {
			if l.EventName == "payment.retry" && x.s.Name != "charge card" {
				t.Errorf("payment.retry attached to %s", x.s.Name)
			}
		}
	}
}

// recordMetrics records a sum, a gauge and a histogram named e2e.<transport>.*.
func recordMetrics(c *sdkClients, transport string) {
	ctx := context.Background()
	m := c.mp.Meter("e2e/interop")
	route := metric.WithAttributes(attribute.String("route", "/checkout"))
	counter, _ := m.Int64Counter("e2e." + transport + ".requests")
	counter.Add(ctx, 3, route)
	counter.Add(ctx, 4, route)
	gauge, _ := m.Float64Gauge("e2e."+transport+".temperature", metric.WithUnit("Cel"))
	gauge.Record(ctx, 21.5, route)
	hist, _ := m.Float64Histogram("e2e."+transport+".latency", metric.WithUnit("ms"),
		metric.WithExplicitBucketBoundaries(10, 100, 1000))
	for _, v := range []float64{5, 50, 500, 5000} {
		hist.Record(ctx, v, route)
	}
}

type gotSeries struct {
	Series []struct {
		Name, Type, Unit, Service string
		Attributes                map[string]any
		Points                    []struct {
			Value          float64
			Count          *float64
			Sum            *float64
			Min, Max       *float64
			BucketCounts   []string
			ExplicitBounds []float64
		}
	}
}

func checkMetrics(t *testing.T, p *cairnProc, service, transport string) {
	t.Helper()
	series := func(name string) gotSeries {
		var s gotSeries
		waitFor(t, func() bool {
			return getJSON(t, p.API("/metrics/series?name="+name+"&service="+service), &s) == http.StatusOK &&
				len(s.Series) == 1 && len(s.Series[0].Points) > 0
		}, "series "+name)
		return s
	}
	sum := series("e2e." + transport + ".requests")
	if s := sum.Series[0]; s.Type != "sum" || s.Service != service || s.Attributes["route"] != "/checkout" || s.Points[len(s.Points)-1].Value != 7 {
		t.Errorf("sum series %+v; want type sum, route=/checkout, value 7", s)
	}
	gauge := series("e2e." + transport + ".temperature")
	if s := gauge.Series[0]; s.Type != "gauge" || s.Unit != "Cel" || s.Points[len(s.Points)-1].Value != 21.5 {
		t.Errorf("gauge series %+v; want type gauge, unit Cel, value 21.5", s)
	}
	hist := series("e2e." + transport + ".latency")
	s := hist.Series[0]
	if s.Type != "histogram" || s.Unit != "ms" {
		t.Errorf("histogram series type %q unit %q", s.Type, s.Unit)
	}
	pt := s.Points[len(s.Points)-1]
	if pt.Count == nil || *pt.Count != 4 || pt.Sum == nil || *pt.Sum != 5555 || pt.Min == nil || *pt.Min != 5 || pt.Max == nil || *pt.Max != 5000 ||
		!reflect.DeepEqual(pt.BucketCounts, []string{"1", "1", "1", "1"}) || !reflect.DeepEqual(pt.ExplicitBounds, []float64{10, 100, 1000}) {
		t.Errorf("histogram point %+v; want count 4 sum 5555 min 5 max 5000 buckets [1 1 1 1] bounds [10 100 1000]", fmtPoint(pt))
	}
}

func fmtPoint(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestTraceSearch searches traces recorded by the SDK with known services, names, statuses,
// durations, attributes and start times, and pages through them.
func TestTraceSearch(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	c := newSDKClients(t, p, "http", "search-a", nil)
	cb := newSDKClients(t, p, "grpc", "search-b", nil)
	tra, trb := c.tp.Tracer("e2e"), cb.tp.Tracer("e2e")

	// search-a: 25 traces a minute apart, oldest first: "job" with duration (i+1)*10 ms,
	// attribute tenant = acme for even i, else globex, and retries = i; every fifth fails.
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	var ids []string // index i → trace id
	starts := make([]time.Time, 25)
	for i := range 25 {
		starts[i] = base.Add(time.Duration(i) * time.Minute)
		tenant := "globex"
		if i%2 == 0 {
			tenant = "acme"
		}
		ctx, root := tra.Start(context.Background(), "job", trace.WithTimestamp(starts[i]),
			trace.WithAttributes(attribute.String("tenant", tenant), attribute.Int("retries", i)))
		_, step := tra.Start(ctx, "step", trace.WithTimestamp(starts[i]))
		step.End(trace.WithTimestamp(starts[i].Add(time.Millisecond)))
		if i%5 == 4 {
			root.SetStatus(codes.Error, "failed")
		}
		root.End(trace.WithTimestamp(starts[i].Add(time.Duration(i+1) * 10 * time.Millisecond)))
		ids = append(ids, root.SpanContext().TraceID().String())
	}
	// search-b: one "report" trace.
	_, rb := trb.Start(context.Background(), "report", trace.WithTimestamp(base))
	rb.End(trace.WithTimestamp(base.Add(time.Second)))
	bID := rb.SpanContext().TraceID().String()
	c.flush(t)
	cb.flush(t)
	waitFor(t, func() bool {
		var l gotTraceList
		return getJSON(t, p.API("/traces?limit=100"), &l) == http.StatusOK && len(l.Traces) == 26
	}, "26 traces")

	// newest first: index 24 down to 0.
	rev := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return out
	}
	all := make([]int, 25)
	for i := range all {
		all[i] = 24 - i
	}
	search := func(query string, want []string) {
		t.Helper()
		var got []string
		for _, page := range searchAll(t, p, query) {
			got = append(got, traceIDsOf(page)...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("GET /traces?%s:\n got %v\nwant %v", query, got, want)
		}
	}
	search("service=search-a&limit=100", rev(all...))
	search("service=search-b", []string{bID})
	search("name=report", []string{bID})
	search("service=search-a&name=step&limit=100", rev(all...)) // a trace matches through any span
	search("service=search-a&status=error", rev(24, 19, 14, 9, 4))
	search("service=search-a&status=ok&limit=3&minDuration=200", rev(23, 22, 21, 20))
	search("service=search-a&minDuration=100ms&maxDuration=130", rev(12, 11, 10, 9))
	search("service=search-a&maxDuration=0.02s", rev(1, 0))
	search("attr=tenant=acme&minDuration=200", rev(24, 22, 20))
	search("attr=retries=7", rev(7))
	search("attr=tenant=globex&attr=retries=7", rev(7))
	search("attr=tenant=acme&attr=retries=7", nil)
	ms := func(tm time.Time) string { return strconv.FormatInt(tm.UnixMilli(), 10) }
	search("service=search-a&start="+ms(starts[20])+"&end="+url.QueryEscape(starts[23].Format(time.RFC3339Nano)), rev(22, 21, 20))
	search("service=search-a&start="+ms(starts[23]), rev(24, 23))

	// Paging: 25 traces in pages of 7 are 7, 7, 7, 4, newest first, no duplicates.
	pages := searchAll(t, p, "service=search-a&limit=7")
	var sizes []int
	var got []string
	var prev int64 = 1<<63 - 1
	for _, page := range pages {
		sizes = append(sizes, len(page))
		for _, s := range page {
			got = append(got, s.TraceID)
			st, _ := strconv.ParseInt(s.StartUnixNano, 10, 64)
			if st > prev {
				t.Errorf("paging: trace %s (start %d) after a newer one (%d)", s.TraceID, st, prev)
			}
			prev = st
		}
	}
	if !slices.Equal(sizes, []int{7, 7, 7, 4}) || !slices.Equal(got, rev(all...)) {
		t.Errorf("paging by 7: page sizes %v; traces %v\nwant %v", sizes, got, rev(all...))
	}

	// A summary in a list is the same as in the trace.
	var l gotTraceList
	getJSON(t, p.API("/traces?service=search-a&limit=1"), &l)
	if len(l.Traces) != 1 || l.Traces[0].SpanCount != 2 || l.Traces[0].RootName != "job" || l.Traces[0].DurationMs != 250 || l.Traces[0].ErrorCount != 1 {
		t.Errorf("newest summary %+v; want job, 2 spans, 250 ms, 1 error", l.Traces)
	}
}

// TestAPIBadParameters checks that a bad parameter is a 400 whose JSON error names it.
func TestAPIBadParameters(t *testing.T) {
	t.Parallel()
	p := startServer(t, "")
	f := func(path, param string) {
		t.Helper()
		code, h, body := httpDo(t, http.MethodGet, p.API(path), nil, nil)
		var e struct{ Error string }
		if err := json.Unmarshal(body, &e); err != nil || code != http.StatusBadRequest ||
			!strings.HasPrefix(h.Get("Content-Type"), "application/json") || !strings.Contains(e.Error, param) {
			t.Errorf("GET %s: %d %s %q; want 400 with a JSON error naming %s", path, code, h.Get("Content-Type"), body, param)
		}
	}
	f("/traces?limit=abc", "limit")
	f("/traces?limit=0", "limit")
	f("/traces?limit=1001", "limit")
	f("/traces?minDuration=-5", "minDuration")
	f("/traces?maxDuration=soon", "maxDuration")
	f("/traces?start=yesterday", "start")
	f("/traces?end=2026-13-45", "end")
	f("/traces?status=broken", "status")
	f("/traces?attr=novalue", "attr")
	f("/traces?cursor=%3Cscript%3E", "cursor")
	f("/traces?servce=x", "servce")
	f("/traces?service=a&service=b", "service")
	f("/traces/not-a-trace-id", "trace")
	f("/operations?service=x&limit=-1", "limit")
	f("/metrics/series", "name")
	f(fmt.Sprintf("/traces?start=%d&end=%d", 2000, 1000), "start")
}
