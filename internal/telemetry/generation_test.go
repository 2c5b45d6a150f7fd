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
