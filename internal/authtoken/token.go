// Package authtoken checks the shared secrets Cairn's listeners require when they are exposed:
// the API token, and the ingest token that OTLP requests carry as a bearer token and
// Application Insights exporters as their instrumentation key.
package authtoken

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"
)

// Token is a configured secret. The zero value is "no token": IsSet reports false and Equal
// matches nothing.
type Token struct {
	digest [sha256.Size]byte
	set    bool
}

// New returns the token secret; an empty secret gives the zero Token.
func New(secret string) Token {
	if secret == "" {
		return Token{}
	}
	return Token{digest: sha256.Sum256([]byte(secret)), set: true}
}

// IsSet reports whether a secret was configured.
func (t Token) IsSet() bool { return t.set }

// Equal reports whether s is the secret. It compares SHA-256 digests in constant time, so
// neither the secret's content nor its length leaks through timing.
func (t Token) Equal(s string) bool {
	if !t.set {
		return false
	}
	got := sha256.Sum256([]byte(s))
	return subtle.ConstantTimeCompare(got[:], t.digest[:]) == 1
}

// MatchesBearer reports whether an Authorization header value is "Bearer <secret>".
func (t Token) MatchesBearer(header string) bool {
	cred, ok := Bearer(header)
	return ok && t.Equal(cred)
}

// Bearer returns the credentials of an Authorization header value of the bearer scheme. The
// scheme matches in any case (RFC 9110: auth schemes are case-insensitive); spaces around the
// credentials are ignored. ok is false for any other scheme or an empty header.
func Bearer(header string) (cred string, ok bool) {
	const scheme = "bearer "
	if len(header) < len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return "", false
	}
	return strings.TrimSpace(header[len(scheme):]), true
}
