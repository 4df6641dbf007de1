package portworx

import (
	"net"
	"strconv"
	"strings"
)

// Endpoint is a Portworx API endpoint: where FetchPairToken connects.
type Endpoint struct {
	// Scheme is "http" or "https".
	Scheme string
	// Host is a host name or an IP address (an IPv6 address without
	// brackets).
	Host string
	// Port is the TCP port.
	Port int
}

// EndpointFromOptions is the endpoint of a pair's ip and port options (the
// request's spec.storage.ip and port) as storkctl and openstorage's client
// read them: storkctl joins them as "ip:port" and openstorage's
// NewInsecureTLSAuthClusterClient keeps an https:// or http:// prefix and
// puts http:// before anything else. So "https://px.example.com" with 443
// is https, and a bare host or address is plain http.
func EndpointFromOptions(ip string, port int) Endpoint {
	scheme := "http"
	host := ip
	if rest, ok := strings.CutPrefix(ip, "https://"); ok {
		scheme, host = "https", rest
	} else if rest, ok := strings.CutPrefix(ip, "http://"); ok {
		host = rest
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return Endpoint{Scheme: scheme, Host: host, Port: port}
}

// Address is host:port, with brackets around an IPv6 address.
func (e Endpoint) Address() string {
	return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
}

// String is scheme://host:port: no path and no query.
func (e Endpoint) String() string {
	return e.Scheme + "://" + e.Address()
}
