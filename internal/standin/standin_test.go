package standin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cairn-dev/cairn/internal/standin"
)

func post(t *testing.T, h http.Handler, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	return rec
}

func TestChatAnswers(t *testing.T) {
	s := standin.New(standin.Options{})
	f := func(path, prompt, wantPrefix string) {
		t.Helper()
		body := `{"model":"gpt-4o","messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":` + quote(prompt) + `}]}`
		rec := post(t, s, path, body)
		var resp struct {
			Model   string `json:"model"`
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
			Usage struct {
				PromptTokens, CompletionTokens int
			} `json:"usage"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != 200 {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		if got := resp.Choices[0].Message.Content; !strings.HasPrefix(got, wantPrefix) {
			t.Errorf("%q: answer %q, want prefix %q", prompt, got, wantPrefix)
		}
		if resp.Model != "gpt-4o-2024-08-06" {
			t.Errorf("model %q", resp.Model)
		}
		again := post(t, s, path, body)
		if again.Body.String() != rec.Body.String() {
			t.Errorf("%q: answers differ between identical requests", prompt)
		}
	}
	f("/v1/chat/completions", "Recommend a hiking trail. Preferences: easy, lakes, family", "Emerald Lake Trail")
	f("/v1/chat/completions", "Recommend a hiking trail. Preferences: challenging and adventurous", "Angels Landing")
	f("/v1/chat/completions", "What are some recommended supplies for a camping trip in the mountains?", "Here are recommended supplies")
	f("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", "Suggest a desert hike at sunset", "Delicate Arch Trail")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestStreamFormat(t *testing.T) {
	rec := post(t, standin.New(standin.Options{}), "/v1/chat/completions",
		`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Recommend an easy hike with lakes"}]}`)
	if ct := rec.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content type %q", ct)
	}
	events := strings.Split(strings.TrimSpace(rec.Body.String()), "\n\n")
	if events[len(events)-1] != "data: [DONE]" {
		t.Errorf("last event %q", events[len(events)-1])
	}
	var usage struct {
		Choices []any `json:"choices"`
		Usage   *struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(events[len(events)-2], "data: ")), &usage); err != nil {
		t.Fatal(err)
	}
	if len(usage.Choices) != 0 || usage.Usage == nil || usage.Usage.PromptTokens == 0 {
		t.Errorf("usage chunk %s", events[len(events)-2])
	}
}

func TestErrorsAreDeterministic(t *testing.T) {
	run := func() []int {
		s := standin.New(standin.Options{ErrorRate: 0.5, Seed: 99})
		var codes []int
		for range 20 {
			codes = append(codes, post(t, s, "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x"}`).Code)
		}
		return codes
	}
	a, b := run(), run()
	seen := map[int]bool{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("run 1 %v, run 2 %v", a, b)
		}
		seen[a[i]] = true
	}
	if !seen[200] || !seen[429] && !seen[500] {
		t.Errorf("statuses %v, want a mix", a)
	}
	rec := post(t, standin.New(standin.Options{ErrorRate: 1}), "/v1/chat/completions", `{}`)
	var body struct {
		Error struct{ Message, Type string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Message == "" {
		t.Errorf("error body %s", rec.Body)
	}
}

func TestStartServesModels(t *testing.T) {
	l, err := standin.Start(standin.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(l.BaseURL + "/models")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"gpt-4o"`) {
		t.Errorf("models %s", body)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Errorf("close: %v", err)
	}
	rec := httptest.NewRecorder()
	standin.New(standin.Options{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v2/nothing", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Errorf("unknown path: %d %s", rec.Code, rec.Body)
	}
}
