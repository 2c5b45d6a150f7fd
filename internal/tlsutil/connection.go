package tlsutil

import (
	"fmt"
	"net"
	"strings"
)

// InstrumentationKey is the key Cairn prints in its connection string; Cairn accepts any key
// and stores it as the project key, but exporters insist on a GUID.
const InstrumentationKey = "00000000-0000-0000-0000-000000000000"

// ConnectionString returns the Application Insights connection string pointing exporters at the
// TLS listener on addr (host:port; an unspecified host becomes 127.0.0.1). LiveEndpoint points
// there too, so Live Metrics pings stay local (Cairn answers "not subscribed").
func ConnectionString(addr string) string {
	return ConnectionStringFor("https://"+DialAddr(addr)+"/", InstrumentationKey)
}

// ConnectionStringFor returns the connection string that sends exporters to endpoint (a base
// URL ending in "/", for ingestion and Live Metrics) with the instrumentation key key.
func ConnectionStringFor(endpoint, key string) string {
	return fmt.Sprintf("InstrumentationKey=%s;IngestionEndpoint=%s;LiveEndpoint=%s", key, endpoint, endpoint)
}

// DialAddr turns a listen address into one a local client can dial (an unspecified host,
// 0.0.0.0 or ::, becomes 127.0.0.1).
func DialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// StartupText is what Cairn prints at start for Application Insights users: the connection
// string connStr, and the variables that make Node and Python trust the local CA in caFile.
func StartupText(connStr, caFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Azure Monitor / Application Insights exporters: set\n")
	fmt.Fprintf(&b, "  export APPLICATIONINSIGHTS_CONNECTION_STRING=%q\n", connStr)
	fmt.Fprintf(&b, "and trust Cairn's local CA (%s):\n", caFile)
	fmt.Fprintf(&b, "  export NODE_EXTRA_CA_CERTS=%q   # Node.js (adds to the default CAs)\n", caFile)
	fmt.Fprintf(&b, "  export REQUESTS_CA_BUNDLE=%q    # Python exporter (requests)\n", caFile)
	fmt.Fprintf(&b, "  export SSL_CERT_FILE=%q         # Python, other clients\n", caFile)
	fmt.Fprintf(&b, "The two Python variables replace the default CAs: if the app also calls public HTTPS APIs,\n")
	fmt.Fprintf(&b, "point them at a bundle of both instead: cat \"$(python -m certifi)\" %q > bundle.pem\n", caFile)
	return b.String()
}
