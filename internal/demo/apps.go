package demo

import (
	"context"
	"fmt"
	"io"

	"go.opentelemetry.io/otel/attribute"

	"github.com/cairn-dev/cairn/examples/modelclient"
	"github.com/cairn-dev/cairn/examples/trailguide/trailguide"
	"github.com/cairn-dev/cairn/examples/travelguide/travelguide"
	"github.com/cairn-dev/cairn/sdk/session"
)

// hiker is one Trail Guide session: preferences and the follow-up turns.
type hiker struct {
	user, preferences string
	pack, weather     bool
}

var hikers = []hiker{
	{"maya", "easy, lakes, family friendly, short", true, true},
	{"jonas", "challenging, exposure, adventurous", false, true},
	{"priya", "rainforest, flat, shaded, quiet", true, false},
	{"sam", "desert, sunset, photography", true, true},
	{"lee", "alpine, wildlife, solitude", false, true},
}

var travelQuestions = []string{
	travelguide.DefaultQuestion,
	"What should I pack for a desert canyon camping trip?",
	"What gear do I need for winter camping in the snow?",
}

// runTrailGuide runs the Trail Guide sessions; a session stops at its first
// failed turn, as a user would give up.
func runTrailGuide(ctx context.Context, mc modelclient.Config, cfg Config, out io.Writer) []traceRecord {
	app := &trailguide.App{Client: modelclient.New(mc), Model: mc.Model, CaptureToolContent: true}
	var recs []traceRecord
	for i, h := range hikers {
		if cfg.TrailSessions > 0 && i >= cfg.TrailSessions || ctx.Err() != nil {
			break
		}
		sid := newSessionID("session")
		uctx := session.WithUser(ctx, h.user)
		fmt.Fprintf(out, "trail-guide %s (%s): %q\n", sid, h.user, h.preferences)
		res, err := app.Session(uctx, sid, h.preferences)
		recs = append(recs, report(out, "trail-guide", sid, "recommend", res.TraceID, res.Answer, err))
		if err != nil {
			continue
		}
		hike := res.Answer
		turns := []struct {
			what string
			on   bool
			run  func(context.Context, string, string) (trailguide.Result, error)
		}{{"pack", h.pack, app.PackingList}, {"weather", h.weather, app.Weather}}
		for _, t := range turns {
			if !t.on {
				continue
			}
			res, err := t.run(uctx, sid, trailName(hike))
			recs = append(recs, report(out, "trail-guide", sid, t.what, res.TraceID, res.Answer, err))
			if err != nil {
				break
			}
		}
	}
	return recs
}

// runTravelGuide runs the camping-supplies travel guide, one question per session.
func runTravelGuide(ctx context.Context, mc modelclient.Config, cfg Config, out io.Writer) []traceRecord {
	client := modelclient.New(mc)
	var recs []traceRecord
	for i, q := range travelQuestions {
		if cfg.TravelSessions > 0 && i >= cfg.TravelSessions || ctx.Err() != nil {
			break
		}
		g := &travelguide.Guide{Client: client, Model: mc.Model, SessionID: newSessionID("")}
		fmt.Fprintf(out, "travel-guide %s: %q\n", g.SessionID, q)
		res, err := g.GenerateCompletion(ctx, q)
		recs = append(recs, report(out, "travel-guide", g.SessionID, "supplies", res.TraceID, res.Answer, err))
	}
	return recs
}

// trailName keeps the trail's name from a "Name: summary" recommendation.
func trailName(hike string) string {
	for i := 0; i < len(hike); i++ {
		if hike[i] == ':' {
			return hike[:i]
		}
	}
	return hike
}

// report prints one turn's outcome (a short preview, never whole content).
func report(out io.Writer, service, sid, what, traceID, answer string, err error) traceRecord {
	if err != nil {
		fmt.Fprintf(out, "  ✗ %-9s failed: %v\n", what, err)
	} else {
		fmt.Fprintf(out, "  ✓ %-9s %s\n", what, preview(answer, 70))
	}
	return traceRecord{service: service, session: sid, what: what, traceID: traceID, err: err}
}

func preview(s string, n int) string {
	r := []rune(s)
	for i, c := range r {
		if c == '\n' {
			r = r[:i]
			break
		}
	}
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return string(r)
}

func deploymentEnv(v string) attribute.KeyValue {
	return attribute.String("deployment.environment.name", v)
}
