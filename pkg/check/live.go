package check

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// LiveStatus is the outcome of a live check.
type LiveStatus string

// The outcomes of a live check.
const (
	LivePassed  LiveStatus = "passed"
	LiveFailed  LiveStatus = "failed"
	LiveSkipped LiveStatus = "skipped"
)

// The live checks, by name.
const (
	CheckAPIServer = "destination API server (GET /version)"
	CheckPortworx  = "Portworx endpoint (TCP connect)"
)

// LiveResult is the outcome of one live check of a pair.
type LiveResult struct {
	// Check is CheckAPIServer or CheckPortworx.
	Check string
	// Status is passed, failed or skipped.
	Status LiveStatus
	// Detail says what was reached, why it failed or why it was skipped.
	Detail string
}

// DefaultTimeout bounds each live check.
const DefaultTimeout = 10 * time.Second

// liveOptions are the parts of Options the live checks use.
type liveOptions struct {
	timeout      time.Duration
	allowExec    bool
	probeCommand []string
	pluginEnv    []string
}

// NeedsAllowExec is the start of the detail of an API server check skipped
// because the pair's kubeconfig would run a plugin on this machine.
const NeedsAllowExec = "not run: building a client from spec.config would run "

// runLive runs the live checks of a pair and then forgets its credentials.
func (p *Pair) runLive(ctx context.Context, opts liveOptions) {
	defer func() { p.config, p.options = nil, nil }()
	if p.config == nil {
		const why = "the request did not render"
		p.Live = []LiveResult{
			{Check: CheckAPIServer, Status: LiveSkipped, Detail: why},
			{Check: CheckPortworx, Status: LiveSkipped, Detail: why},
		}
		return
	}
	var api LiveResult
	switch plugin := authPlugin(p.config); {
	case plugin == "":
		api = probeAPIServer(p.config, opts.timeout)
	case !opts.allowExec:
		api = LiveResult{Check: CheckAPIServer, Status: LiveSkipped,
			Detail: NeedsAllowExec + "repository code on this machine (" + plugin + "); pass --allow-exec to run it, with a minimal environment"}
	default:
		api = probeInChild(ctx, opts.probeCommand, opts.pluginEnv, p.config, opts.timeout)
	}
	p.Live = []LiveResult{api, probePortworx(ctx, p.options, opts.timeout)}
}

// probeAPIServer does what Stork's controller does with spec.config: build
// a REST config with clientcmd.NewNonInteractiveClientConfig(...).ClientConfig()
// and GET /version (discovery's ServerVersion, bounded by timeout as a
// whole). Exec plugins and auth-providers run in this process: runLive
// calls it directly only for a config that has none, and through
// ServeProbe in a child with PluginEnv otherwise.
//
// The server is the repository's choice (or answers for an address that
// is), so nothing it sends is shown: no redirect is followed (a 3xx is a
// failure; the request never leaves the kubeconfig's server), an answer
// other than 2xx is reported as its status code and a fixed reason, never
// its body, headers or reason phrase (client-go's errors quote a text
// body), Warning headers are not printed (client-go would log them on
// stderr), and a version that does not look like one is not shown. Error
// details keep only scheme, host and port of the URLs they name.
func probeAPIServer(cfg *stork.Config, timeout time.Duration) LiveResult {
	r := LiveResult{Check: CheckAPIServer}
	server := ""
	if ctx := cfg.Contexts[cfg.CurrentContext]; ctx != nil {
		if c := cfg.Clusters[ctx.Cluster]; c != nil {
			server = diag.RedactURL(c.Server)
		}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := transform.ToClientcmd(cfg)
	config, err := clientcmd.NewNonInteractiveClientConfig(c, c.CurrentContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		r.Status, r.Detail = LiveFailed, "Stork could not build a client from spec.config: "+diag.RedactURLsIn(err.Error())
		return r
	}
	config.Timeout = timeout
	config.WarningHandler = rest.NoWarnings{}
	httpClient, err := rest.HTTPClientFor(config)
	if err != nil {
		r.Status, r.Detail = LiveFailed, "Stork could not build a client from spec.config: "+diag.RedactURLsIn(err.Error())
		return r
	}
	noRedirects := *httpClient // HTTPClientFor may return http.DefaultClient
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client, err := discovery.NewDiscoveryClientForConfigAndClient(config, &noRedirects)
	if err != nil {
		r.Status, r.Detail = LiveFailed, "Stork could not build a client from spec.config: "+diag.RedactURLsIn(err.Error())
		return r
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	body, err := client.RESTClient().Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		r.Status, r.Detail = LiveFailed, server+": "+describeFailure(err)
		return r
	}
	var v version.Info
	if err := json.Unmarshal(body, &v); err != nil {
		r.Status, r.Detail = LiveFailed, server+": answered GET /version with something that is not a version (not JSON of the shape Stork reads); a Kubernetes API server was expected there"
		return r
	}
	r.Status, r.Detail = LivePassed, fmt.Sprintf("%s answered %s", server, shownVersion(v.GitVersion))
	return r
}

// describeFailure says why GET /version failed without anything the server
// sent: for an HTTP answer, its status and a fixed reason; otherwise the
// transport's error, scrubbed (diag.ScrubHTTPError), with a hint.
func describeFailure(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if code := int(status.Status().Code); code != 0 {
			return "answered " + diag.HTTPStatus(code) + statusReason(code)
		}
		return "its answer could not be read as one from a Kubernetes API server"
	}
	return diag.ScrubHTTPError(err) + hint(err)
}

// statusReason is the fixed explanation of an HTTP status: what the server
// said is never shown.
func statusReason(code int) string {
	switch {
	case code >= 300 && code < 400:
		return " (a redirect, which the check does not follow: set the kubeconfig's server to the address that answers; the body and headers of the answer are not shown)"
	case code == http.StatusUnauthorized:
		return " (the destination rejected the credentials)"
	case code == http.StatusForbidden:
		return " (the credentials may not read /version, which Stork's pairing reads)"
	case code == http.StatusNotFound:
		return " (no /version there: not a Kubernetes API server, or a wrong path in the server URL)"
	case code >= 500:
		return " (the server failed; the body and headers of its answer are not shown)"
	}
	return " (not what a Kubernetes API server answers; the body and headers of the answer are not shown)"
}

// gitVersion is the shape of a Kubernetes version (v1.34.2, v1.28.3+k3s1,
// v1.27.8-eks-8cb36c9, v1.29.1-gke.1589018).
var gitVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+(\.[0-9]+)?([-+.~_][0-9A-Za-z.~_+-]*)?$`)

// shownVersion is the version a server answered, when it looks like one.
func shownVersion(v string) string {
	if len(v) <= 64 && gitVersion.MatchString(v) {
		return v
	}
	return diag.Redacted + " (a version string that does not look like a Kubernetes version)"
}

// probePortworx opens and closes a TCP connection to the Portworx API
// endpoint of the pair's options. Nothing is sent, the token least of all.
func probePortworx(ctx context.Context, options map[string]string, timeout time.Duration) LiveResult {
	r := LiveResult{Check: CheckPortworx}
	if _, ok := options[stork.OptionToken]; !ok {
		r.Status, r.Detail = LiveSkipped, "the pair has no storage options (sync-dr): Stork pairs no storage"
		return r
	}
	host := options[stork.OptionIP]
	if u, err := url.Parse(host); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		host = u.Hostname()
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	addr := net.JoinHostPort(host, options[stork.OptionPort])
	dialer := &net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		r.Status, r.Detail = LiveFailed, diag.RedactURLsIn(err.Error())+hint(err)
		return r
	}
	_ = conn.Close()
	r.Status, r.Detail = LivePassed, diag.RedactURLsIn(addr)+" accepts TCP connections (nothing was sent)"
	return r
}

// hint explains the usual causes of a failed live check.
func hint(err error) string {
	msg := err.Error()
	var dnsErr *net.DNSError
	switch {
	case strings.Contains(msg, "certificate signed by unknown authority"):
		return " (the server's certificate is not signed by the kubeconfig's certificate-authority-data)"
	case strings.Contains(msg, "x509: certificate is valid for"):
		return " (the server's certificate does not name this host; set tls-server-name or use a name it has)"
	case strings.Contains(msg, "connection refused"):
		return " (nothing listens there, as seen from this machine)"
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return " (the name does not resolve from this machine)"
	case errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(msg, "Client.Timeout") || strings.Contains(msg, "i/o timeout"):
		return " (no answer in time: a firewall, or an address only reachable from the source cluster)"
	}
	return ""
}
