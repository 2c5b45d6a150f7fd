package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestEnvFillsOnlyAllowedFlags(t *testing.T) {
	f := func(command, flagName, env string, want string) {
		t.Helper()
		fs := newFlagSet(command, "", &bytes.Buffer{})
		v := fs.String(flagName, "default", "")
		t.Setenv(envName(flagName), env)
		if err := parseFlags(fs, nil); err != nil {
			t.Fatalf("%s --%s: %v", command, flagName, err)
		}
		if *v != want {
			t.Errorf("%s --%s with %s=%q = %q; want %q", command, flagName, envName(flagName), env, *v, want)
		}
	}
	f("serve", "http-addr", "127.0.0.1:9", "127.0.0.1:9")
	f("traces", "server", "http://x:1", "http://x:1")
	f("traces", "api-token", "secret", "secret")
	f("traces", "user", "maya", "default") // a stray CAIRN_USER must not filter a search
	f("trace", "limit", "3", "default")
}

func TestByteSize(t *testing.T) {
	f := func(in string, want int64, wantErr bool) {
		t.Helper()
		var b byteSize
		err := b.Set(in)
		if (err != nil) != wantErr || !wantErr && int64(b) != want {
			t.Errorf("byteSize(%q) = %d, %v; want %d (error %v)", in, b, err, want, wantErr)
		}
	}
	f("1048576", 1<<20, false)
	f("20MiB", 20<<20, false)
	f("1.5 GiB", 3<<29, false)
	f("10GB", 10e9, false)
	f("512B", 512, false)
	f("-1", 0, true)
	f("lots", 0, true)
}

// TestDemoErrorRateIsChecked: an --error-rate outside 0..1 is refused before anything is sent.
func TestDemoErrorRateIsChecked(t *testing.T) {
	f := func(rate string) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := runDemo(t.Context(), []string{"--endpoint", "http://127.0.0.1:1", "--error-rate", rate}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "--error-rate") {
			t.Fatalf("--error-rate %s: error %v, want one naming --error-rate", rate, err)
		}
		if out.Len() != 0 {
			t.Fatalf("--error-rate %s: printed %q before refusing", rate, out.String())
		}
	}
	f("1.5")
	f("-0.1")
}
