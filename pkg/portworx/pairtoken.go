package portworx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// PairTokenPath is openstorage's REST route of the pairing token: the API
// version, then cluster.clusterPath + client.PairTokenPath
// (api/client/cluster/client.go, cluster.APIVersion "v1").
const PairTokenPath = "/v1/cluster/pairtoken" //nolint:gosec // G101: a URL path, not a credential.

// MaxResponseBytes bounds the response FetchPairToken reads: the answer is
// one small JSON object.
const MaxResponseBytes = 64 << 10

// DefaultTimeout bounds FetchPairToken when its context has no deadline.
const DefaultTimeout = 30 * time.Second

// FetchOptions are the options of FetchPairToken.
type FetchOptions struct {
	// Auth is the PX-Security token, or nil for a cluster without it.
	Auth *AuthToken
	// CABundle is PEM certificates that verify an https endpoint; nil means
	// the system's roots.
	CABundle []byte
	// InsecureSkipVerify turns TLS verification off (what storkctl always
	// does). It is never implied: FetchPairToken then returns a warning.
	InsecureSkipVerify bool
}

// PairToken is the answer of FetchPairToken.
type PairToken struct {
	// Token is the pairing token. In memory only: never print it.
	Token []byte
	// Endpoint is where it came from.
	Endpoint Endpoint
	// Warnings say what was insecure about the exchange, for the caller to
	// print: plain HTTP, TLS verification turned off.
	Warnings []string
}

// FetchPairToken gets the destination's pairing token from its Portworx API
// as storkctl's getPXToken does, through openstorage's REST cluster client
// (api/client/cluster GetPairToken(false), api/client/request.go Do): GET
// <endpoint>/v1/cluster/pairtoken?reset=false (reset=false: the token is
// read, never regenerated, so existing pairs keep working), with
// "Authorization: bearer TOKEN" for a PX-Security token that is a JWT
// ("Basic TOKEN" otherwise, as openstorage sends it), and the JSON answer
// {"token": "..."} of api.ClusterPairTokenGetResponse; a status outside
// 200-206 is an error.
//
// Unlike that client: an https endpoint's certificate is verified against
// opts.CABundle or the system's roots unless opts.InsecureSkipVerify (which
// adds a warning); plain http adds a warning too; no proxy is used (nor by
// openstorage's transport); a redirect is an error, never followed; a 503
// is not retried; the response is read up to MaxResponseBytes; and an
// error carries the endpoint (scheme, host and port) and the HTTP status,
// never the response body, the URL's query, the pairing token or the auth
// token. The context bounds the whole exchange (DefaultTimeout without a
// deadline).
func FetchPairToken(ctx context.Context, ep Endpoint, opts FetchOptions) (*PairToken, error) {
	if ep.Scheme != "http" && ep.Scheme != "https" {
		return nil, fmt.Errorf("the Portworx endpoint's scheme must be http or https, not %q", ep.Scheme)
	}
	if ep.Host == "" || ep.Port < 1 || ep.Port > 65535 {
		return nil, fmt.Errorf("the Portworx endpoint needs a host and a port from 1 to 65535")
	}
	out := &PairToken{Endpoint: ep}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case ep.Scheme == "http":
		what := "the pairing token"
		if opts.Auth != nil {
			what = "the auth token and the pairing token"
		}
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s is plain HTTP: %s crossed the network unencrypted (as storkctl sends them to a host:port endpoint)", ep, what))
	case opts.InsecureSkipVerify:
		tlsConfig.InsecureSkipVerify = true //nolint:gosec // G402: the operator's explicit choice, reported as a warning.
		out.Warnings = append(out.Warnings, fmt.Sprintf("%s: TLS verification is off, so whoever answers there got the auth token and gave the pairing token", ep))
	case opts.CABundle != nil:
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(opts.CABundle) {
			return nil, errors.New("the CA bundle for the Portworx endpoint holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: DefaultTimeout,
		DisableKeepAlives:     true,
		ForceAttemptHTTP2:     false,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.String()+PairTokenPath+"?reset=false", nil)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot build the request", ep)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "clusterpair-fn")
	if opts.Auth != nil {
		scheme := "Basic "
		if isJWT(opts.Auth.Token) {
			scheme = "bearer "
		}
		req.Header.Set("Authorization", scheme+string(opts.Auth.Token))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s%s: %s%s", ep, PairTokenPath, diag.RedactURLsIn(transportError(err)), tlsHint(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s%s: reading the response: %s", ep, PairTokenPath, diag.RedactURLsIn(transportError(err)))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 206 {
		return nil, fmt.Errorf("GET %s%s answered %s%s (the response body is not shown: it may echo credentials)", ep, PairTokenPath, statusText(resp.StatusCode), statusHint(resp.StatusCode, opts.Auth))
	}
	if len(body) > MaxResponseBytes {
		return nil, fmt.Errorf("GET %s%s: the response is larger than %d KiB, which no pairing token is: refused", ep, PairTokenPath, MaxResponseBytes>>10)
	}
	var answer struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, fmt.Errorf("GET %s%s: the response is not the JSON object openstorage answers ({\"token\": ...})", ep, PairTokenPath)
	}
	if answer.Token == "" {
		return nil, fmt.Errorf("GET %s%s: the response has no token", ep, PairTokenPath)
	}
	if strings.ContainsAny(answer.Token, " \t\r\n") {
		return nil, fmt.Errorf("GET %s%s: the token in the response holds whitespace", ep, PairTokenPath)
	}
	out.Token = []byte(answer.Token)
	return out, nil
}

// transportError is the message of a client error without the request URL
// (url.Error quotes it, query included).
func transportError(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprintf("HTTP %d", code)
}

func statusHint(code int, auth *AuthToken) string {
	switch {
	case code == http.StatusUnauthorized && auth == nil:
		return ": the cluster uses PX-Security and no auth token was sent (no Secret " + AdminTokenSecret + " was found: name the Secret that holds it)"
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return ": PX-Security did not accept the auth token of " + auth.Describe()
	case code >= 300 && code < 400:
		return ": a redirect, not followed (the endpoint must be the Portworx API itself)"
	}
	return ""
}

func tlsHint(err error) string {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		return " (the endpoint's certificate is not signed by the CA bundle given, or by the system's roots when none is)"
	case errors.As(err, &hostname):
		return " (the endpoint's certificate does not name this host)"
	case errors.Is(err, context.DeadlineExceeded):
		return " (no answer in time)"
	}
	return ""
}
