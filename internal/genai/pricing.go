package genai

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/cairn-dev/cairn/internal/telemetry"
)

//go:embed prices.json
var builtinPrices []byte

// Price is one model's list price in USD per million tokens. CachedInput (cache reads) and
// CacheWrite (cache creation) default to Input when unset.
type Price struct {
	Input       float64  `json:"input"`
	Output      float64  `json:"output"`
	CachedInput *float64 `json:"cachedInput,omitempty"`
	CacheWrite  *float64 `json:"cacheWrite,omitempty"`
}

// priceFile is the JSON format of prices.json and of a user's price file.
type priceFile struct {
	Comment string            `json:"comment,omitempty"`
	Models  map[string]Price  `json:"models"`
	Aliases map[string]string `json:"aliases,omitempty"`
}

// PriceTable maps model names to prices. Lookups accept dated and decorated names
// (gpt-4o-2024-08-06, claude-3-5-sonnet-20241022, openai/gpt-4o,
// anthropic.claude-3-5-sonnet-20241022-v2:0, claude-3-5-sonnet-v2@20241022) and fall back to
// the longest model name the given name starts with. It is safe for concurrent use.
type PriceTable struct {
	models  map[string]Price
	aliases map[string]string
	byLen   []string // model names, longest first, for prefix matching

	mu    sync.RWMutex
	cache map[string]cachedLookup // bounded memo of normalised lookups
}

type cachedLookup struct {
	price Price
	ok    bool
}

// maxCachedLookups bounds the lookup memo: model names come from untrusted input.
const maxCachedLookups = 4096

var (
	builtinOnce  sync.Once
	builtinTable *PriceTable
	builtinErr   error
)

// defaultPrices returns the built-in table, parsed once (it is read-only afterwards).
func defaultPrices() *PriceTable {
	builtinOnce.Do(func() {
		builtinTable, builtinErr = LoadPrices("")
	})
	if builtinErr != nil {
		panic("genai: built-in prices.json is invalid: " + builtinErr.Error())
	}
	return builtinTable
}

// LoadPrices returns the built-in price table extended and overridden by the JSON file at
// path (same format as the built-in prices.json); path "" gives the built-in table.
func LoadPrices(path string) (*PriceTable, error) {
	base, err := decodePrices(builtinPrices, "built-in prices.json")
	if err != nil {
		return nil, err
	}
	t := &PriceTable{models: base.Models, aliases: base.Aliases, cache: make(map[string]cachedLookup)}
	if t.aliases == nil {
		t.aliases = make(map[string]string)
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read price file: %w", err)
		}
		user, err := decodePrices(data, path)
		if err != nil {
			return nil, err
		}
		for name, p := range user.Models {
			t.models[strings.ToLower(name)] = p
		}
		for from, to := range user.Aliases {
			t.aliases[strings.ToLower(from)] = strings.ToLower(to)
		}
	}
	for from, to := range t.aliases {
		if _, ok := t.models[to]; !ok {
			return nil, fmt.Errorf("price file %s: alias %q points to %q, which is not a model of the table; add it under \"models\"", sourceName(path), from, to)
		}
	}
	for name := range t.models {
		t.byLen = append(t.byLen, name)
	}
	sort.Slice(t.byLen, func(i, j int) bool {
		if len(t.byLen[i]) != len(t.byLen[j]) {
			return len(t.byLen[i]) > len(t.byLen[j])
		}
		return t.byLen[i] < t.byLen[j]
	})
	return t, nil
}

func sourceName(path string) string {
	if path == "" {
		return "built-in prices.json"
	}
	return path
}

// decodePrices parses and checks one price file, with the line and column of a syntax or
// type error.
func decodePrices(data []byte, name string) (*priceFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f priceFile
	if err := dec.Decode(&f); err != nil {
		return nil, priceError(data, name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("price file %s: unexpected data after the top-level object at byte %d", name, dec.InputOffset())
	}
	if len(f.Models) == 0 && len(f.Aliases) == 0 {
		return nil, fmt.Errorf("price file %s: no \"models\" (want {\"models\": {\"gpt-4o\": {\"input\": 2.5, \"output\": 10, \"cachedInput\": 1.25}}})", name)
	}
	models := make(map[string]Price, len(f.Models))
	for m, p := range f.Models {
		if p.Input < 0 || p.Output < 0 || (p.CachedInput != nil && *p.CachedInput < 0) || (p.CacheWrite != nil && *p.CacheWrite < 0) {
			return nil, fmt.Errorf("price file %s: model %q has a negative price; prices are USD per million tokens", name, m)
		}
		models[strings.ToLower(strings.TrimSpace(m))] = p
	}
	aliases := make(map[string]string, len(f.Aliases))
	for from, to := range f.Aliases {
		aliases[strings.ToLower(strings.TrimSpace(from))] = strings.ToLower(strings.TrimSpace(to))
	}
	f.Models, f.Aliases = models, aliases
	return &f, nil
}

// priceError adds the file name and the line and column of a JSON error.
func priceError(data []byte, name string, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 {
		return fmt.Errorf("price file %s: %w (want {\"models\": {NAME: {\"input\": USD, \"output\": USD, \"cachedInput\": USD, \"cacheWrite\": USD}}, \"aliases\": {NAME: MODEL}})", name, err)
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("price file %s: line %d, column %d (byte %d): %w", name, line, col, off, err)
}

func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// Lookup returns the price of a model name as reported by an instrumentation.
func (t *PriceTable) Lookup(model string) (Price, bool) {
	key := strings.ToLower(strings.TrimSpace(model))
	if key == "" {
		return Price{}, false
	}
	t.mu.RLock()
	c, hit := t.cache[key]
	t.mu.RUnlock()
	if hit {
		return c.price, c.ok
	}
	p, ok := t.resolve(key)
	t.mu.Lock()
	if len(t.cache) < maxCachedLookups {
		t.cache[key] = cachedLookup{p, ok}
	}
	t.mu.Unlock()
	return p, ok
}

// resolve tries the name as given, then without provider prefixes, deployment decorations
// and date suffixes, then the longest known model name it starts with.
func (t *PriceTable) resolve(name string) (Price, bool) {
	if p, ok := t.exact(name); ok {
		return p, true
	}
	name = undecorate(name)
	if p, ok := t.exact(name); ok {
		return p, true
	}
	if stripped := stripDate(name); stripped != name {
		name = stripped
		if p, ok := t.exact(name); ok {
			return p, true
		}
	}
	for _, m := range t.byLen {
		if len(name) > len(m) && strings.HasPrefix(name, m) {
			if c := name[len(m)]; c == '-' || c == ':' || c == '@' || c == '.' {
				return t.models[m], true
			}
		}
	}
	return Price{}, false
}

func (t *PriceTable) exact(name string) (Price, bool) {
	if p, ok := t.models[name]; ok {
		return p, true
	}
	if to, ok := t.aliases[name]; ok {
		p, ok := t.models[to]
		return p, ok
	}
	return Price{}, false
}

// undecorate removes provider prefixes ("openai/", "azure/gpt-4o", Bedrock's
// "us.anthropic."), Vertex's "@date" and Bedrock's "-v2:0" suffixes.
func undecorate(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '@'); i > 0 {
		name = name[:i]
	}
	for _, region := range []string{"us.", "eu.", "apac.", "global."} {
		name = strings.TrimPrefix(name, region)
	}
	for _, vendor := range []string{"anthropic.", "meta.", "mistral.", "amazon.", "cohere.", "openai.", "deepseek."} {
		name = strings.TrimPrefix(name, vendor)
	}
	if i := strings.LastIndexByte(name, ':'); i > 0 {
		name = name[:i]
	}
	if i := strings.LastIndex(name, "-v"); i > 0 && isDigits(name[i+2:]) {
		name = name[:i]
	}
	return strings.TrimSuffix(name, "-latest")
}

// stripDate removes a trailing date or version stamp: -2024-08-06, -20241022, -0613, -002.
func stripDate(name string) string {
	if n := len(name); n > 11 && name[n-11] == '-' && name[n-6] == '-' && name[n-3] == '-' &&
		isDigits(name[n-10:n-6]) && isDigits(name[n-5:n-3]) && isDigits(name[n-2:]) {
		return name[:n-11]
	}
	i := strings.LastIndexByte(name, '-')
	if i > 0 && isDigits(name[i+1:]) && len(name)-i-1 >= 3 {
		return name[:i]
	}
	return name
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Cost returns the generation's cost in USD from its usage and the price of its response
// model (else its request model), or nil when the model is unknown or no tokens are
// reported: an unknown cost is not a zero cost. Cache reads are billed at the cached price
// and cache writes at the write price, and neither again as plain input, since input token
// counts include them; when a count says otherwise (cache tokens exceed input, as when input
// excludes them), input is billed as reported.
func (t *PriceTable) Cost(g *telemetry.Generation) *float64 {
	u := &g.Usage
	if u.InputTokens == nil && u.OutputTokens == nil {
		return nil
	}
	p, ok := t.Lookup(g.ResponseModel)
	if !ok {
		if p, ok = t.Lookup(g.RequestModel); !ok {
			return nil
		}
	}
	in, out, cached, created := val(u.InputTokens), val(u.OutputTokens), val(u.CachedInputTokens), val(u.CacheCreationTokens)
	plain := in - cached - created
	if plain < 0 {
		plain = in
	}
	cachedPrice, writePrice := p.Input, p.Input
	if p.CachedInput != nil {
		cachedPrice = *p.CachedInput
	}
	if p.CacheWrite != nil {
		writePrice = *p.CacheWrite
	}
	usd := (float64(plain)*p.Input + float64(cached)*cachedPrice + float64(created)*writePrice + float64(out)*p.Output) / 1e6
	return &usd
}

func val(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
