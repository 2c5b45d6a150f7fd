package sqlite

import (
	_ "embed"
	"fmt"
	"strings"
)

//go:embed write.sql
var writeSQL string

//go:embed read.sql
var readSQL string

// queries maps a statement name ("-- name: x" in the .sql files) to its SQL.
var queries = mustParseQueries(writeSQL, readSQL)

// mustParseQueries splits embedded .sql files at "-- name: " markers. It panics on a duplicate
// name: the files are compiled in, so that is a programming error caught by every test.
func mustParseQueries(files ...string) map[string]string {
	out := make(map[string]string)
	for _, f := range files {
		for _, chunk := range strings.Split(f, "-- name: ")[1:] {
			name, body, _ := strings.Cut(chunk, "\n")
			name = strings.TrimSpace(name)
			if _, dup := out[name]; dup {
				panic(fmt.Sprintf("duplicate query name %q", name))
			}
			out[name] = strings.TrimSpace(body)
		}
	}
	return out
}

// q returns the named query, panicking on an unknown name (a programming error).
func q(name string) string {
	s, ok := queries[name]
	if !ok {
		panic("unknown query " + name)
	}
	return s
}
