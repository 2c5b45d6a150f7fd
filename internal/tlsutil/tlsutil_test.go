package tlsutil

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func ensure(t *testing.T, dir string) (cert, key, ca string) {
	t.Helper()
	cert, key, ca, err := EnsureLocalCA(dir)
	if err != nil {
		t.Fatalf("EnsureLocalCA: %v", err)
	}
	return cert, key, ca
}

func pool(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", caFile)
	}
	return p
}

func TestEnsureLocalCAVerifies(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, caFile := ensure(t, dir)
	ca, err := readCert(caFile)
	if err != nil {
		t.Fatal(err)
	}
	if ca.Subject.CommonName != CAName || !ca.IsCA || ca.NotAfter.Sub(ca.NotBefore) < 9*365*24*time.Hour {
		t.Errorf("CA %q IsCA=%v valid %v; want %q, a CA, ten years", ca.Subject.CommonName, ca.IsCA, ca.NotAfter.Sub(ca.NotBefore), CAName)
	}
	leaf, err := readCert(certFile)
	if err != nil {
		t.Fatal(err)
	}
	f := func(host string) {
		t.Helper()
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool(t, caFile), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			t.Errorf("server certificate does not verify for %s: %v", host, err)
		}
	}
	f("localhost")
	f("127.0.0.1")
	f("::1")
	for _, name := range []string{keyFile, filepath.Join(dir, "tls", CAKeyFile)} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
}

func TestEnsureLocalCAReuses(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, caFile := ensure(t, dir)
	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ca1, cert1 := read(caFile), read(certFile)
	ensure(t, dir)
	if !bytes.Equal(ca1, read(caFile)) || !bytes.Equal(cert1, read(certFile)) {
		t.Error("second call replaced valid certificates")
	}

	// A missing server certificate is made again, signed by the same CA.
	if err := os.Remove(certFile); err != nil {
		t.Fatal(err)
	}
	ensure(t, dir)
	if !bytes.Equal(ca1, read(caFile)) || bytes.Equal(cert1, read(certFile)) {
		t.Error("want the same CA and a new server certificate after deleting it")
	}

	// An expired server certificate is replaced.
	ca, caKey, err := loadCA(caFile, filepath.Join(dir, "tls", CAKeyFile), time.Now())
	if err != nil || ca == nil {
		t.Fatalf("loadCA: %v", err)
	}
	if err := createServerCert(certFile, keyFile, ca, caKey, time.Now().Add(-2*serverValidity)); err != nil {
		t.Fatal(err)
	}
	if serverCertUsable(certFile, keyFile, ca, time.Now()) {
		t.Fatal("expired certificate reported usable")
	}
	ensure(t, dir)
	if !serverCertUsable(certFile, keyFile, ca, time.Now()) {
		t.Error("expired server certificate was not replaced")
	}
}

func TestEnsureLocalCACorruptCA(t *testing.T) {
	dir := t.TempDir()
	_, _, caFile := ensure(t, dir)
	if err := os.WriteFile(caFile, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := EnsureLocalCA(dir)
	if err == nil || !strings.Contains(err.Error(), caFile) || !strings.Contains(err.Error(), "delete") {
		t.Errorf("err = %v; want an error naming %s and saying how to fix it", err, caFile)
	}
}

func TestTLSHandshake(t *testing.T) {
	certFile, keyFile, caFile := ensure(t, t.TempDir())
	cfg, err := LoadServerConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello over tls")
	}))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(t, caFile)}}}
	f := func(host string) {
		t.Helper()
		resp, err := client.Get("https://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Fatalf("GET via %s: %v", host, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if string(body) != "hello over tls" || resp.TLS == nil {
			t.Errorf("via %s: body %q", host, body)
		}
	}
	f("127.0.0.1")
	f("localhost")

	// A client trusting only the system roots refuses the certificate.
	plain := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: x509.NewCertPool()}}}
	if _, err := plain.Get(srv.URL); err == nil {
		t.Error("a client that does not trust the local CA completed the handshake")
	}
}

func TestLoadServerConfigErrors(t *testing.T) {
	_, err := LoadServerConfig("/nonexistent/cert.pem", "/nonexistent/key.pem")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/cert.pem") || !strings.Contains(err.Error(), "/nonexistent/key.pem") {
		t.Errorf("err = %v; want both file names", err)
	}
}

func TestStartupText(t *testing.T) {
	f := func(addr, want string) {
		t.Helper()
		if got := ConnectionString(addr); got != want {
			t.Errorf("ConnectionString(%q) = %q, want %q", addr, got, want)
		}
	}
	f("127.0.0.1:4319", "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:4319/;LiveEndpoint=https://127.0.0.1:4319/")
	f(":4319", "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:4319/;LiveEndpoint=https://127.0.0.1:4319/")
	f("[::]:4319", "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:4319/;LiveEndpoint=https://127.0.0.1:4319/")
	f("[::1]:4319", "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://[::1]:4319/;LiveEndpoint=https://[::1]:4319/")

	if got, want := ConnectionStringFor("http://127.0.0.1:4318/", "<ingest-token>"),
		"InstrumentationKey=<ingest-token>;IngestionEndpoint=http://127.0.0.1:4318/;LiveEndpoint=http://127.0.0.1:4318/"; got != want {
		t.Errorf("ConnectionStringFor = %q, want %q", got, want)
	}
	text := StartupText(ConnectionString("127.0.0.1:4319"), "/data/tls/ca.pem")
	for _, want := range []string{
		"IngestionEndpoint=https://127.0.0.1:4319/",
		`export NODE_EXTRA_CA_CERTS="/data/tls/ca.pem"`,
		`export REQUESTS_CA_BUNDLE="/data/tls/ca.pem"`,
		`export SSL_CERT_FILE="/data/tls/ca.pem"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("startup text lacks %q:\n%s", want, text)
		}
	}
}
