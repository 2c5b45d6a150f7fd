package telemetry

import "testing"

func TestConversationTurn(t *testing.T) {
	text := func(role, s string) Message { return Message{Role: role, Parts: []Part{{Type: "text", Content: s}}} }
	f := func(gens []*Generation, wantFirst, wantLast string) {
		t.Helper()
		first, last := ConversationTurn(gens)
		if first != wantFirst || last != wantLast {
			t.Errorf("ConversationTurn = %q, %q; want %q, %q", first, last, wantFirst, wantLast)
		}
	}
	f(nil, "", "")
	f([]*Generation{{InputMessages: []Message{text("system", "be brief"), text("user", "a hike?"), text("user", "later")}}}, "a hike?", "")
	f([]*Generation{
		{InputMessages: []Message{text("user", "first")}, OutputMessages: []Message{text("assistant", "tool call")}},
		{InputMessages: []Message{text("user", "second")}, OutputMessages: []Message{text("assistant", "x"), text("assistant", "final")}},
	}, "first", "final")
}

func TestIsModelCall(t *testing.T) {
	f := func(op string, want bool) {
		t.Helper()
		if got := (&Generation{Operation: op}).IsModelCall(); got != want {
			t.Errorf("IsModelCall(%q) = %v, want %v", op, got, want)
		}
	}
	f("chat", true)
	f("text_completion", true)
	f("generate_content", true)
	f("embeddings", true)
	f("", true) // a span with model attributes but no operation name is still a model call
	f("execute_tool", false)
	f("invoke_agent", false)
	f("create_agent", false)
}
