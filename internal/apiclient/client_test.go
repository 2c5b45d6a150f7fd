package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestParseServer(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		u, err := ParseServer(in)
		got := ""
		if err == nil {
			got = u.String()
		}
		if got != want {
			t.Errorf("ParseServer(%q) = %q (%v); want %q", in, got, err, want)
		}
	}
	f("http://127.0.0.1:4318", "http://127.0.0.1:4318")
	f("127.0.0.1:4318", "http://127.0.0.1:4318")
	f("localhost:4318/", "http://localhost:4318")
	f(" https://cairn.example.com/prefix/ ", "https://cairn.example.com/prefix")
	f("", "")
	f("ftp://x", "")
	f("http://", "")
	f("http://user:pw@host", "")
	f("http://host?x=1", "")
}

func TestTraceQueryValues(t *testing.T) {
	f := func(q TraceQuery, want string) {
		t.Helper()
		if got := q.Values().Encode(); got != want {
			t.Errorf("%+v: %s; want %s", q, got, want)
		}
	}
	f(TraceQuery{}, "")
	f(TraceQuery{Service: "s", Status: "error", Limit: 5, Cursor: "c"}, "cursor=c&limit=5&service=s&status=error")
	f(TraceQuery{Attrs: []string{"a=1", "b=2"}, MinDuration: 1500 * time.Millisecond}, "attr=a%3D1&attr=b%3D2&minDuration=1.5s")
	f(TraceQuery{Start: time.UnixMilli(1795362649713).In(time.FixedZone("x", 3600))}, "start=2026-11-22T15%3A50%3A49.713Z")
}

func TestGetUsesPrefixTokenAndErrors(t *testing.T) {
	var gotPath, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.EscapedPath(), r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"trace x not found"}`))
	}))
	defer srv.Close()
	c, err := New(srv.URL+"/cairn/", "tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetTrace(context.Background(), "a/b")
	if gotPath != "/cairn/api/v1/traces/a%2Fb" || gotAuth != "Bearer tok" {
		t.Errorf("request %s with %q", gotPath, gotAuth)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Message != "trace x not found" || StatusOf(err) != 404 {
		t.Errorf("error %v; want an *APIError 404 with the server's message", err)
	}
	srv.Close()
	_, err = c.GetTrace(context.Background(), "a")
	if ue, ok := errors.AsType[*UnreachableError](err); !ok || ue.Server != srv.URL+"/cairn" {
		t.Errorf("closed server: %v; want an *UnreachableError", err)
	}
}
