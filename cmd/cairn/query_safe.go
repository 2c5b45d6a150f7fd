package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Everything the API returns (span names, services, messages, even error messages) is written
// by whoever sends telemetry, so a hostile span name could carry terminal escape sequences that
// recolour, retitle, rewrite or hide output. Text reaches the terminal only through these
// functions, which show such characters as visible escapes instead.

// unsafeRune reports a rune a terminal could act on or that would mislead the reader: C0 and C1
// controls (ESC, CSI U+009B, ...), DEL, bidirectional overrides and isolates (which reorder
// what is shown), and the Unicode line and paragraph separators.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return false
}

// escapeRune writes r as a visible escape.
func escapeRune(b *strings.Builder, r rune) {
	switch r {
	case '\n':
		b.WriteString(`\n`)
	case '\r':
		b.WriteString(`\r`)
	case '\t':
		b.WriteString(`\t`)
	default:
		if r < 0x100 {
			fmt.Fprintf(b, `\x%02x`, r)
		} else {
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
}

// safeLine returns s for one line of output: every unsafe rune, newlines and tabs included,
// escaped, and every byte that is not UTF-8 shown as \xNN.
func safeLine(s string) string { return safe(s, false) }

// safeText is safeLine for multi-line text (message content): newlines and tabs are kept, a
// CR LF pair becomes a newline; the caller indents the lines.
func safeText(s string) string { return safe(s, true) }

func safe(s string, multiline bool) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unsafeRune(r) && !(multiline && (r == '\n' || r == '\t')) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case multiline && (r == '\n' || r == '\t'):
			b.WriteRune(r)
		case multiline && r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// dropped: the \n follows
		case unsafeRune(r):
			escapeRune(&b, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// safeJSON returns valid JSON unchanged in meaning with every character a terminal could act
// on written as a \u escape. Valid JSON holds raw control characters (other than whitespace
// between tokens) and non-ASCII only inside strings, where the escape means the same thing.
// Bytes that are not UTF-8 become \ufffd, as a JSON decoder reads them.
func safeJSON(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, `\u007f`...)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(raw[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case unsafeRune(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, raw[i:i+n]...)
		}
		i += n
	}
	return out
}
