package author

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// ParsePXEndpoint splits a Portworx API endpoint into the request's
// spec.storage.ip and spec.storage.port. It follows storkctl's
// getHostPortFromEndPoint, but strictly:
//
//   - host:port and [ipv6]:port are split;
//   - http://host[:port] and https://host[:port] keep the scheme in ip (Stork
//     passes it to Portworx); without a port, the scheme's port (80 or 443);
//   - a bare host name or IP address gets the Portworx API port 9001 (where
//     storkctl uses 80 for a name and refuses an address);
//   - any other scheme, a path (even "/"), a query, a fragment, credentials
//     or a port outside 1-65535 is an error.
//
// The host itself is checked later, with the request, by the same rules as
// spec.storage.ip.
func ParsePXEndpoint(s string) (ip string, port int, err error) {
	if s == "" {
		return "", 0, fmt.Errorf("is empty: give the destination's Portworx API endpoint as HOST[:PORT] or http(s)://HOST[:PORT]")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return "", 0, fmt.Errorf("%s contains whitespace", diag.QuoteURL(s))
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		return parseURLEndpoint(s, scheme)
	}
	if strings.ContainsAny(s, "/?#@") {
		return "", 0, fmt.Errorf("the endpoint must be HOST[:PORT] or http(s)://HOST[:PORT]: no path, query or credentials")
	}
	if net.ParseIP(s) != nil {
		return s, v1alpha1.DefaultPortworxPort, nil // a bare IPv4 or IPv6 address
	}
	if inner, ok := strings.CutPrefix(s, "["); ok {
		if addr, ok := strings.CutSuffix(inner, "]"); ok && net.ParseIP(addr) != nil {
			return addr, v1alpha1.DefaultPortworxPort, nil
		}
	}
	host, p, splitErr := net.SplitHostPort(s)
	if splitErr != nil {
		if strings.Contains(s, ":") {
			return "", 0, fmt.Errorf("%q is not HOST:PORT (an IPv6 address with a port is written [ADDRESS]:PORT)", s)
		}
		return s, v1alpha1.DefaultPortworxPort, nil // a bare host name
	}
	if host == "" {
		return "", 0, fmt.Errorf("%s has no host", diag.QuoteURL(s))
	}
	n, err := parsePort(p)
	if err != nil {
		return "", 0, fmt.Errorf("%q: %w", s, err)
	}
	return host, n, nil
}

func parseURLEndpoint(s, scheme string) (string, int, error) {
	if scheme != "http" && scheme != "https" {
		return "", 0, fmt.Errorf("%s has the scheme %q: only http:// and https:// (lowercase) are accepted", diag.QuoteURL(s), scheme)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", 0, fmt.Errorf("%s is not a valid URL", diag.QuoteURL(s))
	case u.User != nil:
		return "", 0, fmt.Errorf("%s must not carry credentials", diag.QuoteURL(s))
	case u.Path != "" || u.RawPath != "":
		return "", 0, fmt.Errorf("%s must not have a path (not even a trailing /)", diag.QuoteURL(s))
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", 0, fmt.Errorf("%s must not have a query or fragment", diag.QuoteURL(s))
	case u.Hostname() == "":
		return "", 0, fmt.Errorf("%s has no host", diag.QuoteURL(s))
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // a URL keeps the brackets of an IPv6 address
	}
	port := 80
	if scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		if port, err = parsePort(p); err != nil {
			return "", 0, fmt.Errorf("%s: %w", diag.QuoteURL(s), err)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", 0, fmt.Errorf("%s has an empty port", diag.QuoteURL(s))
	}
	return scheme + "://" + host, port, nil
}

func parsePort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 || strings.TrimLeft(p, "0123456789") != "" {
		return 0, fmt.Errorf("the port %q is not a number from 1 to 65535", p)
	}
	return n, nil
}
