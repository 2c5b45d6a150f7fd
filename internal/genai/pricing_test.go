package genai

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

// TestPriceLookup checks that dated, prefixed and deployment names find their family.
func TestPriceLookup(t *testing.T) {
	prices := newTestNormalizer(t).Prices()
	f := func(model string, wantInput float64, wantOK bool) {
		t.Helper()
		p, ok := prices.Lookup(model)
		if ok != wantOK || (ok && p.Input != wantInput) {
			t.Errorf("Lookup(%q) = %+v, %v; want input %v, %v", model, p, ok, wantInput, wantOK)
		}
	}
	f("gpt-4o", 2.5, true)
	f("gpt-4o-2024-08-06", 2.5, true)
	f("GPT-4o-mini-2024-07-18", 0.15, true)
	f("openai/gpt-4o", 2.5, true)
	f("azure/gpt-4.1-mini", 0.4, true)
	f("gpt-4.1-nano-2025-04-14", 0.1, true)
	f("gpt-3.5-turbo-0125", 0.5, true)
	f("gpt-35-turbo", 0.5, true)
	f("o3-mini-2025-01-31", 1.1, true)
	f("o1-preview", 15, true)
	f("claude-3-5-sonnet-20241022", 3, true)
	f("claude-3-5-sonnet-latest", 3, true)
	f("anthropic.claude-3-5-haiku-20241022-v1:0", 0.8, true)
	f("us.anthropic.claude-3-7-sonnet-20250219-v1:0", 3, true)
	f("claude-3-5-sonnet-v2@20241022", 3, true)
	f("claude-sonnet-4-20250514", 3, true)
	f("claude-opus-4-1-20250805", 15, true)
	f("gemini-1.5-pro-002", 1.25, true)
	f("models/gemini-2.0-flash-001", 0.1, true)
	f("gemini-2.5-flash-lite", 0.1, true)
	f("mistral-large-2411", 2, true)
	f("text-embedding-3-small", 0.02, true)
	f("my-azure-deployment", 0, false)
	f("", 0, false)
	f("gpt", 0, false)
}

// TestCost checks the cost formula: cached tokens are billed once, at the cached price.
func TestCost(t *testing.T) {
	prices := newTestNormalizer(t).Prices()
	f := func(req, resp string, u telemetry.Usage, want float64, wantKnown bool) {
		t.Helper()
		got := prices.Cost(&telemetry.Generation{RequestModel: req, ResponseModel: resp, Usage: u})
		if (got != nil) != wantKnown || (got != nil && math.Abs(*got-want) > 1e-12) {
			t.Errorf("Cost(%s/%s, %s) = %v; want %v (known %v)", req, resp, asJSON(u), got, want, wantKnown)
		}
	}
	f("gpt-4o", "gpt-4o-2024-08-06", telemetry.Usage{InputTokens: i64(1000), OutputTokens: i64(100)}, (1000*2.5+100*10)/1e6, true)
	f("gpt-4o", "", telemetry.Usage{InputTokens: i64(1000), OutputTokens: i64(100), CachedInputTokens: i64(400)}, (600*2.5+400*1.25+100*10)/1e6, true)
	f("my-deployment", "gpt-4o-mini-2024-07-18", telemetry.Usage{InputTokens: i64(1_000_000)}, 0.15, true)
	f("claude-3-5-sonnet-20241022", "", telemetry.Usage{InputTokens: i64(1000), OutputTokens: i64(10), CachedInputTokens: i64(500), CacheCreationTokens: i64(200)},
		(300*3+500*0.3+200*3.75+10*15)/1e6, true)
	// Input that excludes cache tokens (cache > input) is billed as reported, not negative.
	f("claude-3-5-sonnet", "", telemetry.Usage{InputTokens: i64(10), CachedInputTokens: i64(500)}, (10*3+500*0.3)/1e6, true)
	f("unknown-model", "", telemetry.Usage{InputTokens: i64(10)}, 0, false)
	f("gpt-4o", "", telemetry.Usage{}, 0, false)
	f("text-embedding-3-large", "", telemetry.Usage{InputTokens: i64(1000)}, 1000*0.13/1e6, true)
}

// TestEnrichCost checks cost on an enriched span, and that an unknown model gives nil.
func TestEnrichCost(t *testing.T) {
	g := enrichOne(t, telemetry.Attributes{"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
		"gen_ai.usage.input_tokens": "1000", "gen_ai.usage.output_tokens": "1000"}).Generation
	if g.CostUSD == nil || math.Abs(*g.CostUSD-0.0125) > 1e-12 {
		t.Errorf("cost %v; want 0.0125", g.CostUSD)
	}
	g = enrichOne(t, telemetry.Attributes{"gen_ai.operation.name": "chat", "gen_ai.request.model": "in-house-llm",
		"gen_ai.usage.input_tokens": int64(1000)}).Generation
	if g.CostUSD != nil {
		t.Errorf("unknown model: cost %v; want nil", *g.CostUSD)
	}
	g = enrichOne(t, telemetry.Attributes{"openinference.span.kind": "LLM", "llm.model_name": "in-house-llm",
		"llm.token_count.prompt": int64(1000), "llm.cost.total": 0.5}).Generation
	if g.CostUSD == nil || *g.CostUSD != 0.5 {
		t.Errorf("reported cost %v; want 0.5", g.CostUSD)
	}
}

// TestPriceFile checks overriding and extending the built-in table, and the errors of bad files.
func TestPriceFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"models": {"gpt-4o": {"input": 1, "output": 2}, "In-House-LLM": {"input": 0.5, "output": 0.5, "cachedInput": 0.1}},
		"aliases": {"prod-chat": "gpt-4o-mini"}}`)
	n, err := New(Options{PriceFile: good})
	if err != nil {
		t.Fatal(err)
	}
	f := func(model string, wantInput float64) {
		t.Helper()
		if p, ok := n.Prices().Lookup(model); !ok || p.Input != wantInput {
			t.Errorf("Lookup(%q) = %+v, %v; want input %v", model, p, ok, wantInput)
		}
	}
	f("gpt-4o-2024-08-06", 1)
	f("in-house-llm", 0.5)
	f("prod-chat", 0.15)
	f("claude-3-haiku-20240307", 0.25) // built-in entries stay

	e := func(name, content, wantInErr string) {
		t.Helper()
		p := write(name, content)
		_, err := New(Options{PriceFile: p})
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), wantInErr) {
			t.Errorf("%s: error %v; want it to name the file and contain %q", name, err, wantInErr)
		}
	}
	e("syntax.json", "{\"models\": {\n  \"gpt-4o\": {\"input\": 1,, \"output\": 2}}}", "line 2, column")
	e("type.json", "{\"models\": {\"gpt-4o\": {\"input\": \"cheap\"}}}", "line 1, column")
	e("unknown.json", `{"models": {"gpt-4o": {"inputPrice": 1}}}`, "inputPrice")
	e("negative.json", `{"models": {"gpt-4o": {"input": -1, "output": 1}}}`, "negative")
	e("alias.json", `{"models": {"a": {"input": 1, "output": 1}}, "aliases": {"b": "nope"}}`, `"nope"`)
	e("empty.json", `{}`, "no \"models\"")
	e("trailing.json", `{"models": {"a": {"input": 1, "output": 1}}} []`, "after the top-level object")
	if _, err := New(Options{PriceFile: filepath.Join(dir, "missing.json")}); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}
