// Package tlsutil gives Cairn a TLS listener that local exporters trust: a private certificate
// authority created on first start, a server certificate for localhost signed by it, and the
// text telling users which environment variables make their SDKs trust it. The Azure Monitor
// JS exporter only speaks https, so receiving from it needs this.
package tlsutil

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// File names under <dir>/tls/.
const (
	CACertFile     = "ca.pem"
	CAKeyFile      = "ca-key.pem"
	ServerCertFile = "server.pem"
	ServerKeyFile  = "server-key.pem"
)

// CAName is the common name of the local certificate authority.
const CAName = "Cairn local CA"

const (
	caValidity     = 10 * 365 * 24 * time.Hour
	serverValidity = 397 * 24 * time.Hour // the longest any client accepts for a TLS server cert
	renewBefore    = 30 * 24 * time.Hour  // a server cert closer than this to expiry is replaced
)

// serverHosts are the names the server certificate is valid for.
var (
	serverDNSNames = []string{"localhost"}
	serverIPs      = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
)

// EnsureLocalCA makes sure dir/tls/ holds a local CA (ECDSA P-256, valid ten years, named
// "Cairn local CA") and a server certificate for localhost, 127.0.0.1 and ::1 signed by it, and
// returns the paths of the server certificate, its key and the CA certificate (what clients
// must trust). Existing files are reused; the server certificate is created again when it is
// missing, unreadable, expired or near expiry, or not signed by the CA. A new CA is created only
// when there is none or it has expired, since users have configured their clients to trust it.
// Private keys are written with mode 0600.
func EnsureLocalCA(dir string) (certFile, keyFile, caFile string, err error) {
	tlsDir := filepath.Join(dir, "tls")
	if err := os.MkdirAll(tlsDir, 0o700); err != nil {
		return "", "", "", fmt.Errorf("create TLS directory %s: %w", tlsDir, err)
	}
	caFile = filepath.Join(tlsDir, CACertFile)
	caKeyFile := filepath.Join(tlsDir, CAKeyFile)
	certFile = filepath.Join(tlsDir, ServerCertFile)
	keyFile = filepath.Join(tlsDir, ServerKeyFile)
	now := time.Now()

	ca, caKey, err := loadCA(caFile, caKeyFile, now)
	if err != nil {
		return "", "", "", err
	}
	if ca == nil {
		if ca, caKey, err = createCA(caFile, caKeyFile, now); err != nil {
			return "", "", "", err
		}
	}
	if serverCertUsable(certFile, keyFile, ca, now) {
		return certFile, keyFile, caFile, nil
	}
	if err := createServerCert(certFile, keyFile, ca, caKey, now); err != nil {
		return "", "", "", err
	}
	return certFile, keyFile, caFile, nil
}

// loadCA returns the CA and its key, or nil when there is none yet or it has expired. A CA that
// exists but cannot be read is an error: replacing it silently would break every client
// configured to trust it.
func loadCA(certFile, keyFile string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	cert, err := readCert(certFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("local CA: %w; delete %s and %s to create a new CA", err, certFile, keyFile)
	}
	key, err := readKey(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("local CA key: %w; delete %s and %s to create a new CA", err, certFile, keyFile)
	}
	if !publicKeyMatches(cert, key) {
		return nil, nil, fmt.Errorf("local CA key %s does not belong to certificate %s; delete both to create a new CA", keyFile, certFile)
	}
	if !cert.IsCA || now.After(cert.NotAfter) {
		return nil, nil, nil
	}
	return cert, key, nil
}

// serverCertUsable reports whether the server certificate exists, matches its key, is signed
// by ca, covers the local names and stays valid for a while yet.
func serverCertUsable(certFile, keyFile string, ca *x509.Certificate, now time.Time) bool {
	cert, err := readCert(certFile)
	if err != nil {
		return false
	}
	key, err := readKey(keyFile)
	if err != nil || !publicKeyMatches(cert, key) {
		return false
	}
	if cert.CheckSignatureFrom(ca) != nil || now.Add(renewBefore).After(cert.NotAfter) || now.Before(cert.NotBefore) {
		return false
	}
	for _, name := range serverDNSNames {
		if cert.VerifyHostname(name) != nil {
			return false
		}
	}
	for _, ip := range serverIPs {
		if cert.VerifyHostname(ip.String()) != nil {
			return false
		}
	}
	return true
}

func createCA(certFile, keyFile string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: CAName, Organization: []string{"Cairn"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	cert, err := writeCertAndKey(certFile, keyFile, tmpl, tmpl, key, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create local CA: %w", err)
	}
	return cert, key, nil
}

func createServerCert(certFile, keyFile string, ca *x509.Certificate, caKey crypto.Signer, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate server key: %w", err)
	}
	notAfter := now.Add(serverValidity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"Cairn"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     notAfter,
		DNSNames:     serverDNSNames,
		IPAddresses:  serverIPs,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if _, err := writeCertAndKey(certFile, keyFile, tmpl, ca, key, caKey); err != nil {
		return fmt.Errorf("create server certificate: %w", err)
	}
	return nil
}

// writeCertAndKey signs tmpl with parent's key and writes the certificate (0644) and the key
// (0600), each atomically through a temporary file.
func writeCertAndKey(certFile, keyFile string, tmpl, parent *x509.Certificate, key *ecdsa.PrivateKey, parentKey crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	if err := writeFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func writeFileAtomic(name string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func readCert(name string) (*x509.Certificate, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s (%d bytes) holds no PEM CERTIFICATE block", name, len(b))
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate %s: %w", name, err)
	}
	return cert, nil
}

func readKey(name string) (crypto.Signer, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block", name)
	}
	var key any
	switch block.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("parse key %s: %w", name, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key %s (%T) cannot sign", name, key)
	}
	return signer, nil
}

func publicKeyMatches(cert *x509.Certificate, key crypto.Signer) bool {
	a, err1 := x509.MarshalPKIXPublicKey(cert.PublicKey)
	b, err2 := x509.MarshalPKIXPublicKey(key.Public())
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// serial returns a random 128-bit certificate serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil || n.Sign() == 0 {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

// LoadServerConfig returns a TLS server configuration (TLS 1.2 and later) serving the
// certificate and key in the given PEM files.
func LoadServerConfig(certFile, keyFile string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s with key %s: %w (give PEM files, or omit both to use Cairn's local CA)", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}
