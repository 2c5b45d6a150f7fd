package api

import (
	"errors"
	"net/http"

	"github.com/cairn-dev/cairn/internal/store"
	"github.com/cairn-dev/cairn/internal/telemetry"
)

// maxSessionIDBytes bounds the session id in a path.
const maxSessionIDBytes = 1024

// searchTraces serves GET /api/v1/traces.
func (s *server) searchTraces(r *http.Request) (any, error) {
	q, err := parseTraceQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	page, err := s.r.SearchTraces(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return renderTracePage(&page), nil
}

// getTrace serves GET /api/v1/traces/{traceId}: the full form, or with view=compact the
// compact one. Both are streamed (a trace can be megabytes).
func (s *server) getTrace(r *http.Request) (any, error) {
	p, err := newParams(r.URL.Query(), []string{"view"})
	if err != nil {
		return nil, err
	}
	view, err := p.oneOf("view", "full", "compact")
	if err != nil {
		return nil, err
	}
	id, err := telemetry.ParseTraceID(r.PathValue("traceId"))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	t, err := s.r.GetTrace(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(http.StatusNotFound,
			"trace %s not found: it has not arrived yet (exporters batch for a few seconds) or retention removed it", id)
	}
	if err != nil {
		return nil, err
	}
	prepared := prepareTrace(t, s.cfg.Enricher)
	if view == "compact" {
		return newCompactTrace(prepared), nil
	}
	return fullTrace{prepared}, nil
}

// services serves GET /api/v1/services.
func (s *server) services(r *http.Request) (any, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	names, err := s.r.Services(r.Context())
	if err != nil {
		return nil, err
	}
	return struct {
		Services []string `json:"services"`
	}{orEmpty(names)}, nil
}

// operations serves GET /api/v1/operations.
func (s *server) operations(r *http.Request) (any, error) {
	p, err := newParams(r.URL.Query(), opParams)
	if err != nil {
		return nil, err
	}
	ops, err := s.r.Operations(r.Context(), p.str("service"))
	if err != nil {
		return nil, err
	}
	return struct {
		Operations []operationJSON `json:"operations"`
	}{renderOperations(ops)}, nil
}

// sessions serves GET /api/v1/sessions.
func (s *server) sessions(r *http.Request) (any, error) {
	q, err := parseSessionQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	page, err := s.r.Sessions(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return renderSessionPage(&page), nil
}

// session serves GET /api/v1/sessions/{id}.
func (s *server) session(r *http.Request) (any, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if len(id) > maxSessionIDBytes {
		return nil, badRequest("session id is %d bytes long: at most %d", len(id), maxSessionIDBytes)
	}
	d, err := s.r.Session(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "session %q not found: no stored trace carries this session id", trunc(id))
	}
	if err != nil {
		return nil, err
	}
	if err := s.completeTurns(r.Context(), d); err != nil {
		return nil, err
	}
	return renderSessionDetail(d), nil
}

// genAISeries serves GET /api/v1/metrics/genai.
func (s *server) genAISeries(r *http.Request) (any, error) {
	q, err := parseGenAIQuery(r.URL.Query(), s.cfg.Now())
	if err != nil {
		return nil, err
	}
	series, err := s.r.GenAISeries(r.Context(), q)
	if err != nil {
		return nil, err
	}
	if series == nil {
		series = &store.GenAISeries{}
	}
	return renderGenAISeries(series, q.Step), nil
}

// models serves GET /api/v1/models.
func (s *server) models(r *http.Request) (any, error) {
	q, err := parseModelQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	ms, err := s.r.Models(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return struct {
		Models []modelJSON `json:"models"`
	}{renderModels(ms)}, nil
}

// metricSeries serves GET /api/v1/metrics/series.
func (s *server) metricSeries(r *http.Request) (any, error) {
	q, err := parseMetricQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	ss, err := s.r.MetricSeries(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return struct {
		Series []metricSeriesJSON `json:"series"`
	}{renderMetricSeries(ss)}, nil
}

// info serves GET /api/v1/info.
func (s *server) info(r *http.Request) (any, error) {
	if err := noParams(r); err != nil {
		return nil, err
	}
	return infoJSON{
		Version: s.cfg.Version, OTLPGRPC: s.cfg.OTLPGRPC, OTLPHTTP: s.cfg.OTLPHTTP,
		BreezeConnectionString: s.cfg.BreezeConnectionString, AuthRequired: s.cfg.APIToken != "",
	}, nil
}

// noParams rejects any query parameter on routes that take none.
func noParams(r *http.Request) error {
	_, err := newParams(r.URL.Query(), nil)
	return err
}
