package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/discovery"
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
// and call ServerVersion. Exec plugins and auth-providers run in this
// process: runLive calls it directly only for a config that has none, and
// through ServeProbe in a child with PluginEnv otherwise. Error details keep
// only scheme, host and port of the URLs they name.
func probeAPIServer(cfg *stork.Config, timeout time.Duration) LiveResult {
	r := LiveResult{Check: CheckAPIServer}
	server := ""
	if ctx := cfg.Contexts[cfg.CurrentContext]; ctx != nil {
		if c := cfg.Clusters[ctx.Cluster]; c != nil {
			server = diag.RedactURL(c.Server)
		}
	}
	c := transform.ToClientcmd(cfg)
	rest, err := clientcmd.NewNonInteractiveClientConfig(c, c.CurrentContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		r.Status, r.Detail = LiveFailed, "Stork could not build a client from spec.config: "+diag.RedactURLsIn(err.Error())
		return r
	}
	rest.Timeout = timeout
	client, err := discovery.NewDiscoveryClientForConfig(rest)
	if err != nil {
		r.Status, r.Detail = LiveFailed, "Stork could not build a client from spec.config: "+diag.RedactURLsIn(err.Error())
		return r
	}
	v, err := client.ServerVersion()
	if err != nil {
		r.Status, r.Detail = LiveFailed, server+": "+diag.RedactURLsIn(err.Error())+hint(err)
		return r
	}
	r.Status, r.Detail = LivePassed, fmt.Sprintf("%s answered %s", server, v.GitVersion)
	return r
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
	case strings.Contains(msg, "the server has asked for the client to provide credentials"):
		return " (the destination rejected the credentials: 401)"
	}
	return ""
}
