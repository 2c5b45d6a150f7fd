package authtoken

import "testing"

func TestMatchesBearer(t *testing.T) {
	f := func(secret, header string, want bool) {
		t.Helper()
		if got := New(secret).MatchesBearer(header); got != want {
			t.Errorf("token %q, header %q: %v, want %v", secret, header, got, want)
		}
	}
	f("s3cret", "Bearer s3cret", true)
	f("s3cret", "bearer s3cret", true)
	f("s3cret", "BEARER   s3cret  ", true)
	f("s3cret", "Bearer S3CRET", false) // the scheme is case-insensitive, the token is not
	f("s3cret", "Bearers3cret", false)
	f("s3cret", "Bearer", false)
	f("s3cret", "Bearer s3cret2", false)
	f("s3cret", "Bearer s3cre", false)
	f("s3cret", "s3cret", false)
	f("s3cret", "Basic s3cret", false)
	f("s3cret", "Bearer ", false)
	f("s3cret", "", false)
	f("", "Bearer ", false) // no token configured matches nothing
	f("", "", false)
}

func TestEqual(t *testing.T) {
	f := func(secret, s string, want bool) {
		t.Helper()
		if got := New(secret).Equal(s); got != want {
			t.Errorf("token %q, %q: %v, want %v", secret, s, got, want)
		}
	}
	f("9f1c-key", "9f1c-key", true)
	f("9f1c-key", "9F1C-KEY", false)
	f("9f1c-key", "", false)
	f("", "", false)
	if New("").IsSet() || !New("x").IsSet() {
		t.Error("IsSet: want false for an empty secret, true otherwise")
	}
}
