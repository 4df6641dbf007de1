package transform

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// KubeconfigOptions chooses what of a kubeconfig goes into the pair.
type KubeconfigOptions struct {
	// Field is the request field the kubeconfig came from, for findings.
	Field string
	// File is the repository file it came from, for findings.
	File string
	// Context to keep; empty means the file's current-context.
	Context string
	// Server, if set, replaces the cluster's server URL.
	Server string
	// Now is the render time, for certificate validity and credential
	// expiry; zero skips those checks.
	Now time.Time
	// ExpiryWarning is how long before a credential expires a warning is
	// given; 0 gives none.
	ExpiryWarning time.Duration
}

// StorkConfig loads a kubeconfig, keeps only the chosen context with its
// cluster and user, and returns it in the shape Stork decodes, after checking
// it the way Stork's controller will. Warnings flag what will probably fail
// inside the Stork pod.
func StorkConfig(kubeconfig []byte, opts KubeconfigOptions) (*stork.Config, diag.Findings) {
	var fs diag.Findings
	errf := func(field, format string, args ...any) {
		fs = append(fs, diag.Finding{Severity: diag.Error, Field: field, File: opts.File, Message: fmt.Sprintf(format, args...)})
	}
	warnf := func(field, format string, args ...any) {
		fs = append(fs, diag.Finding{Severity: diag.Warning, Field: field, File: opts.File, Message: fmt.Sprintf(format, args...)})
	}

	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		errf(opts.Field, "the decrypted file is not a valid kubeconfig: %s", diag.ScrubParserError(err))
		return nil, fs
	}
	if clientcmdapi.IsConfigEmpty(cfg) {
		errf(opts.Field, "the decrypted file has no clusters, users or contexts: it is not a kubeconfig (if the kubeconfig is stored under a key of this file, set key)")
		return nil, fs
	}

	contextName := opts.Context
	contextField := opts.Field + ".context"
	if contextName == "" {
		if cfg.CurrentContext == "" {
			errf(contextField, "is not set and the kubeconfig has no current-context; choose one of: %s", diag.QuotedNames(cfg.Contexts, "(none)"))
			return nil, fs
		}
		contextName = cfg.CurrentContext
	}
	if _, ok := cfg.Contexts[contextName]; !ok {
		errf(contextField, "context %q is not in the kubeconfig; it has: %s", contextName, diag.QuotedNames(cfg.Contexts, "(none)"))
		return nil, fs
	}
	cfg.CurrentContext = contextName
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		errf(contextField, "context %q is unusable: %s", contextName, err)
		return nil, fs
	}
	kctx := cfg.Contexts[contextName]
	if kctx.Cluster == "" || kctx.AuthInfo == "" {
		errf(contextField, "context %q must name both a cluster and a user", contextName)
		return nil, fs
	}
	cluster := cfg.Clusters[kctx.Cluster]
	user := cfg.AuthInfos[kctx.AuthInfo]
	if opts.Server != "" {
		cluster.Server = opts.Server
	}

	out := &stork.Config{
		Clusters:       map[string]*stork.Cluster{kctx.Cluster: convertCluster(cluster)},
		AuthInfos:      map[string]*stork.AuthInfo{kctx.AuthInfo: convertAuthInfo(user)},
		Contexts:       map[string]*stork.Context{contextName: {Cluster: kctx.Cluster, AuthInfo: kctx.AuthInfo, Namespace: kctx.Namespace}},
		CurrentContext: contextName,
	}

	// Findings about the server URL name the override field when it was used;
	// everything else about the cluster comes from the kubeconfig.
	serverField := opts.Field
	if opts.Server != "" {
		serverField = opts.Field + ".server"
	}
	checkCluster(kctx.Cluster, cluster, opts.Field, serverField, errf, warnf)
	checkUser(kctx.AuthInfo, user, opts.Field, errf, warnf)
	checkCertificates(kctx.Cluster, cluster, kctx.AuthInfo, user, opts.Now, opts.Field, errf, warnf)
	checkExpiry(credentialExpiries(kctx.Cluster, cluster, kctx.AuthInfo, user), opts.Now, opts.ExpiryWarning, opts.Field, errf, warnf)
	if fs.HasErrors() {
		return nil, fs
	}
	if err := ConfirmUsable(out); err != nil {
		errf(opts.Field, "Stork would reject this kubeconfig (it would only log the reason and leave the pair without status): %s", err)
		return nil, fs
	}
	return out, fs
}

type reportFunc func(field, format string, args ...any)

// checkCluster reports problems of a cluster entry. Messages never quote the
// proxy URL and show the server URL only through diag.RedactURL (scheme,
// host and port): both may carry credentials (user:password@host, a query).
func checkCluster(name string, c *clientcmdapi.Cluster, field, serverField string, errf, warnf reportFunc) {
	if c.CertificateAuthority != "" {
		errf(field, "cluster %q reads its CA from the file path certificate-authority; a path would be resolved inside the Stork pod. Inline it as certificate-authority-data (kubectl config view --minify --flatten)", name)
	}
	if c.Server == "" {
		errf(serverField, "cluster %q has no server", name)
		return
	}
	u, err := url.Parse(c.Server)
	if err != nil || u.Host == "" {
		errf(serverField, "cluster %q server is not an absolute URL with a host (want https://host:port)", name)
		return
	}
	if c.ProxyURL != "" {
		// client-go's own check (run by ConfirmUsable below) would quote the
		// whole proxy URL, password included, so check the scheme here first.
		p, err := url.Parse(c.ProxyURL)
		switch {
		case err != nil || p.Host == "":
			errf(field, "cluster %q has an invalid proxy-url", name)
		case p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "socks5":
			errf(field, "cluster %q proxy-url has the unsupported scheme %q; client-go accepts http, https and socks5", name, p.Scheme)
		}
	}
	if isLoopback(u.Hostname()) {
		warnf(serverField, "cluster %q server %s is a loopback address: inside the Stork pod on the source cluster it reaches the pod itself. Set spec.destination.kubeconfig.server to an address of the destination reachable from the source cluster", name, diag.RedactURL(c.Server))
	}
	if u.Scheme == "http" {
		warnf(serverField, "cluster %q server %s uses plain http: credentials cross the network unencrypted", name, diag.RedactURL(c.Server))
	}
	if c.InsecureSkipTLSVerify {
		warnf(field, "cluster %q sets insecure-skip-tls-verify: Stork will not verify the destination's identity; give certificate-authority-data instead", name)
	}
	if c.DisableCompression {
		warnf(field, "cluster %q sets disable-compression, which Stork's client-go (v0.25) does not know; it is dropped", name)
	}
}

func checkUser(name string, u *clientcmdapi.AuthInfo, field string, errf, warnf reportFunc) {
	for _, p := range []struct{ key, value, data string }{
		{"client-certificate", u.ClientCertificate, "client-certificate-data"},
		{"client-key", u.ClientKey, "client-key-data"},
		{"tokenFile", u.TokenFile, "token"},
	} {
		if p.value != "" {
			errf(field, "user %q reads %s from a file path; a path would be resolved inside the Stork pod. Inline it as %s (kubectl config view --minify --flatten)", name, p.key, p.data)
		}
	}
	if e := u.Exec; e != nil {
		if e.InteractiveMode == clientcmdapi.AlwaysExecInteractiveMode {
			errf(field, "user %q exec plugin %q has interactiveMode Always; the Stork pod has no terminal. Use Never", name, e.Command)
		}
		warnf(field, "user %q authenticates with the exec plugin %q: the command and its credentials must exist in the Stork pod (its image ships aws, aws-iam-authenticator, kubelogin, gke-gcloud-auth-plugin and oci; pass credentials via exec env or the Stork deployment)", name, e.Command)
	}
	if u.AuthProvider != nil {
		warnf(field, "user %q uses the legacy auth-provider %q, removed from newer client-go; prefer an exec plugin or a token", name, u.AuthProvider.Name)
	}
	if u.Username != "" || u.Password != "" {
		warnf(field, "user %q uses basic authentication, which Kubernetes API servers no longer support", name)
	}
	if u.Token == "" && len(u.ClientCertificateData) == 0 && u.Exec == nil && u.AuthProvider == nil && u.Username == "" && u.TokenFile == "" && u.ClientCertificate == "" {
		errf(field, "user %q has no credentials: Stork would call the destination anonymously; its probe (GET /version) answers anonymous callers, so the pair would show Ready while every migration fails", name)
	}
}

func convertCluster(c *clientcmdapi.Cluster) *stork.Cluster {
	return &stork.Cluster{
		Server:                   c.Server,
		TLSServerName:            c.TLSServerName,
		InsecureSkipTLSVerify:    c.InsecureSkipTLSVerify,
		CertificateAuthorityData: c.CertificateAuthorityData,
		ProxyURL:                 c.ProxyURL,
	}
}

func convertAuthInfo(u *clientcmdapi.AuthInfo) *stork.AuthInfo {
	out := &stork.AuthInfo{
		ClientCertificateData: u.ClientCertificateData,
		ClientKeyData:         u.ClientKeyData,
		Token:                 u.Token,
		Impersonate:           u.Impersonate,
		ImpersonateUID:        u.ImpersonateUID,
		ImpersonateGroups:     u.ImpersonateGroups,
		ImpersonateUserExtra:  u.ImpersonateUserExtra,
		Username:              u.Username,
		Password:              u.Password,
	}
	if p := u.AuthProvider; p != nil {
		out.AuthProvider = &stork.AuthProviderConfig{Name: p.Name, Config: p.Config}
	}
	if e := u.Exec; e != nil {
		mode := stork.InteractiveMode(e.InteractiveMode)
		if mode == "" {
			mode = stork.InteractiveMode(clientcmdapi.NeverExecInteractiveMode)
		}
		env := make([]stork.ExecEnvVar, 0, len(e.Env))
		for _, v := range e.Env {
			env = append(env, stork.ExecEnvVar{Name: v.Name, Value: v.Value})
		}
		out.Exec = &stork.ExecConfig{
			Command:            e.Command,
			Args:               append([]string{}, e.Args...),
			Env:                env,
			APIVersion:         e.APIVersion,
			InstallHint:        e.InstallHint,
			ProvideClusterInfo: e.ProvideClusterInfo,
			InteractiveMode:    mode,
		}
	}
	return out
}

// ToClientcmd converts a Stork-shaped config back to client-go's type, as
// Stork's decoder would see it.
func ToClientcmd(c *stork.Config) clientcmdapi.Config {
	out := *clientcmdapi.NewConfig()
	out.CurrentContext = c.CurrentContext
	for name, cl := range c.Clusters {
		out.Clusters[name] = &clientcmdapi.Cluster{
			Server:                   cl.Server,
			TLSServerName:            cl.TLSServerName,
			InsecureSkipTLSVerify:    cl.InsecureSkipTLSVerify,
			CertificateAuthorityData: cl.CertificateAuthorityData,
			ProxyURL:                 cl.ProxyURL,
		}
	}
	for name, u := range c.AuthInfos {
		a := &clientcmdapi.AuthInfo{
			ClientCertificateData: u.ClientCertificateData,
			ClientKeyData:         u.ClientKeyData,
			Token:                 u.Token,
			Impersonate:           u.Impersonate,
			ImpersonateUID:        u.ImpersonateUID,
			ImpersonateGroups:     u.ImpersonateGroups,
			ImpersonateUserExtra:  u.ImpersonateUserExtra,
			Username:              u.Username,
			Password:              u.Password,
		}
		if p := u.AuthProvider; p != nil {
			a.AuthProvider = &clientcmdapi.AuthProviderConfig{Name: p.Name, Config: p.Config}
		}
		if e := u.Exec; e != nil {
			env := make([]clientcmdapi.ExecEnvVar, 0, len(e.Env))
			for _, v := range e.Env {
				env = append(env, clientcmdapi.ExecEnvVar{Name: v.Name, Value: v.Value})
			}
			a.Exec = &clientcmdapi.ExecConfig{
				Command:            e.Command,
				Args:               e.Args,
				Env:                env,
				APIVersion:         e.APIVersion,
				InstallHint:        e.InstallHint,
				ProvideClusterInfo: e.ProvideClusterInfo,
				InteractiveMode:    clientcmdapi.ExecInteractiveMode(e.InteractiveMode),
			}
		}
		out.AuthInfos[name] = a
	}
	for name, ctx := range c.Contexts {
		out.Contexts[name] = &clientcmdapi.Context{Cluster: ctx.Cluster, AuthInfo: ctx.AuthInfo, Namespace: ctx.Namespace}
	}
	return out
}

// ConfirmUsable checks c with clientcmd.Validate, then builds a REST client
// config from it exactly as Stork's controller does
// (clientcmd.NewNonInteractiveClientConfig(...).ClientConfig()); nil means
// Stork can build a client from it. The Validate step makes it stricter than
// Stork, which for example treats a context's missing user as anonymous.
func ConfirmUsable(c *stork.Config) error {
	cfg := ToClientcmd(c)
	if err := clientcmd.Validate(cfg); err != nil {
		return err
	}
	_, err := clientcmd.NewNonInteractiveClientConfig(cfg, cfg.CurrentContext, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	return err
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
