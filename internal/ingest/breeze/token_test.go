package breeze

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/cairn-dev/cairn/internal/authtoken"
)

// TestTrackIngestToken: with an ingest token, a track request is accepted when every envelope's
// instrumentation key is the token (what an unchanged app sends once its connection string
// says InstrumentationKey=<token>) or when it carries the token as a bearer token; anything
// else is refused with 401 and nothing is stored.
func TestTrackIngestToken(t *testing.T) {
	const token = "ingest-7f3a"
	traces := fixture(t, "breeze-js-beta47-traces.json")
	withKey := func(key string) []byte {
		return bytes.ReplaceAll(traces, []byte(`"iKey":"00000000-0000-0000-0000-000000000000"`), []byte(`"iKey":"`+key+`"`))
	}
	// One envelope with another key among ones with the token.
	mixed := bytes.Replace(withKey(token), []byte(`"iKey":"`+token+`"`), []byte(`"iKey":"someone-else"`), 1)
	f := func(body []byte, auth string, wantStatus int) {
		t.Helper()
		s := &sink{}
		srv := newServer(t, s, Options{IngestToken: authtoken.New(token)})
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/v2.1/track", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != wantStatus {
			t.Fatalf("auth %q: status %d, want %d", auth, resp.StatusCode, wantStatus)
		}
		if wantStatus == http.StatusUnauthorized {
			if s.items() != 0 || resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("auth %q: refused but stored %d items (WWW-Authenticate %q)", auth, s.items(), resp.Header.Get("WWW-Authenticate"))
			}
			return
		}
		if wantStatus == http.StatusOK && s.items() == 0 {
			t.Fatalf("auth %q: accepted but nothing stored", auth)
		}
	}
	f(withKey(token), "", http.StatusOK)
	f(withKey("00000000-0000-0000-0000-000000000000"), "", http.StatusUnauthorized)
	f(withKey(strings.ToUpper(token)), "", http.StatusUnauthorized)
	f(mixed, "", http.StatusUnauthorized)
	f(withKey("any-key"), "Bearer "+token, http.StatusOK)
	f(withKey("any-key"), "Bearer wrong", http.StatusUnauthorized)
	f([]byte("not json"), "", http.StatusUnauthorized) // no hint about the body to strangers
	f([]byte("not json"), "Bearer "+token, http.StatusBadRequest)
	f([]byte(`[]`), "", http.StatusUnauthorized)
}

// TestTrackWithoutTokenTakesAnyKey: with no ingest token configured, any key is accepted.
func TestTrackWithoutTokenTakesAnyKey(t *testing.T) {
	s := &sink{}
	srv := newServer(t, s, Options{})
	r := post(t, srv.URL+"/v2.1/track", "application/json", "", fixture(t, "breeze-js-beta47-traces.json"))
	if r.status != http.StatusOK || s.items() == 0 {
		t.Fatalf("status %d, %d items stored: %s", r.status, s.items(), r.bodyString)
	}
}
