package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

func TestStorkConfigMinifiesToChosenContext(t *testing.T) {
	tests := []struct {
		name    string
		mut     func(*clientcmdapi.Config)
		context string
		// want: the single context, cluster, user, server and token kept.
		wantContext, wantCluster, wantUser, wantServer, wantToken string
		// absent must not occur anywhere in the marshalled config.
		absent []string
		// wantWarning, if set, is the one warning expected (from the kept cluster).
		wantWarning string
	}{
		{
			name:        "default is current-context",
			wantContext: destContext, wantCluster: destCluster, wantUser: destUser, wantServer: destServer, wantToken: destToken,
			absent: []string{otherToken, otherServer, otherCluster, otherUser, `"` + otherContext + `"`},
		},
		{
			name:        "explicit context wins over current-context",
			mut:         func(c *clientcmdapi.Config) { c.CurrentContext = otherContext },
			context:     destContext,
			wantContext: destContext, wantCluster: destCluster, wantUser: destUser, wantServer: destServer, wantToken: destToken,
			absent: []string{otherToken, otherServer, otherCluster, otherUser, `"` + otherContext + `"`},
		},
		{
			name:        "explicit non-current context",
			context:     otherContext,
			wantContext: otherContext, wantCluster: otherCluster, wantUser: otherUser, wantServer: otherServer, wantToken: otherToken,
			absent:      []string{destToken, destServer, destCluster, destUser, "kube-system", `"` + destContext + `"`},
			wantWarning: "insecure-skip-tls-verify",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			opts.Context = tt.context
			out, fs := StorkConfig(baseKubeconfig(t, tt.mut), opts)
			if tt.wantWarning == "" {
				requireNoFindings(t, fs)
			} else {
				if len(fs) != 1 {
					t.Fatalf("want one finding, got:\n%s", dump(fs))
				}
				requireFinding(t, fs, diag.Warning, testField, testFile, tt.wantWarning)
			}
			if out == nil {
				t.Fatal("StorkConfig returned nil config")
			}
			if out.CurrentContext != tt.wantContext {
				t.Errorf("current-context = %q, want %q", out.CurrentContext, tt.wantContext)
			}
			if got := keys(out.Contexts); !reflect.DeepEqual(got, []string{tt.wantContext}) {
				t.Errorf("contexts = %v, want [%s]", got, tt.wantContext)
			}
			if got := keys(out.Clusters); !reflect.DeepEqual(got, []string{tt.wantCluster}) {
				t.Errorf("clusters = %v, want [%s]", got, tt.wantCluster)
			}
			if got := keys(out.AuthInfos); !reflect.DeepEqual(got, []string{tt.wantUser}) {
				t.Errorf("users = %v, want [%s]", got, tt.wantUser)
			}
			ctx := out.Contexts[tt.wantContext]
			if ctx == nil || ctx.Cluster != tt.wantCluster || ctx.AuthInfo != tt.wantUser {
				t.Errorf("context %q = %+v, want cluster %q user %q", tt.wantContext, ctx, tt.wantCluster, tt.wantUser)
			}
			if cl := out.Clusters[tt.wantCluster]; cl == nil || cl.Server != tt.wantServer {
				t.Errorf("cluster %q = %+v, want server %q", tt.wantCluster, cl, tt.wantServer)
			}
			if u := out.AuthInfos[tt.wantUser]; u == nil || u.Token != tt.wantToken {
				t.Errorf("user %q token not kept", tt.wantUser)
			}
			b, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.absent {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("marshalled config contains %q from an unrelated context:\n%s", s, b)
				}
			}
			if err := ConfirmUsable(out); err != nil {
				t.Errorf("ConfirmUsable: %v", err)
			}
		})
	}
}

func TestStorkConfigKeepsContentVerbatim(t *testing.T) {
	p := getPKI(t)
	raw := baseKubeconfig(t, func(c *clientcmdapi.Config) {
		c.Clusters[destCluster].TLSServerName = "api.dest.internal"
		c.Clusters[destCluster].ProxyURL = "https://proxy.example.com:3128"
		c.AuthInfos[destUser] = &clientcmdapi.AuthInfo{
			ClientCertificateData: p.certPEM,
			ClientKeyData:         p.keyPEM,
			Impersonate:           "stork-sa",
			ImpersonateUID:        "uid-1",
			ImpersonateGroups:     []string{"g1", "g2"},
			ImpersonateUserExtra:  map[string][]string{"scopes": {"a", "b"}},
		}
	})
	out, fs := StorkConfig(raw, testOptions())
	requireNoFindings(t, fs)
	want := &stork.Config{
		Clusters: map[string]*stork.Cluster{destCluster: {
			Server:                   destServer,
			TLSServerName:            "api.dest.internal",
			CertificateAuthorityData: p.caPEM,
			ProxyURL:                 "https://proxy.example.com:3128",
		}},
		AuthInfos: map[string]*stork.AuthInfo{destUser: {
			ClientCertificateData: p.certPEM,
			ClientKeyData:         p.keyPEM,
			Impersonate:           "stork-sa",
			ImpersonateUID:        "uid-1",
			ImpersonateGroups:     []string{"g1", "g2"},
			ImpersonateUserExtra:  map[string][]string{"scopes": {"a", "b"}},
		}},
		Contexts:       map[string]*stork.Context{destContext: {Cluster: destCluster, AuthInfo: destUser, Namespace: "kube-system"}},
		CurrentContext: destContext,
	}
	if !reflect.DeepEqual(out, want) {
		got, _ := json.MarshalIndent(out, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("config mismatch\ngot:  %s\nwant: %s", got, exp)
	}
	if err := ConfirmUsable(out); err != nil {
		t.Errorf("ConfirmUsable: %v", err)
	}
}

func TestStorkConfigContextErrors(t *testing.T) {
	tests := []struct {
		name    string
		mut     func(*clientcmdapi.Config)
		context string
		subs    []string
	}{
		{
			name:    "unknown context lists the available ones",
			context: "nope",
			subs:    []string{`context "nope" is not in the kubeconfig`, `"dest", "other"`},
		},
		{
			name: "current-context names a missing context",
			mut:  func(c *clientcmdapi.Config) { c.CurrentContext = "gone" },
			subs: []string{`context "gone" is not in the kubeconfig`, `"dest", "other"`},
		},
		{
			name: "no current-context and none given",
			mut:  func(c *clientcmdapi.Config) { c.CurrentContext = "" },
			subs: []string{"no current-context", `"dest", "other"`},
		},
		{
			name: "no contexts at all",
			mut: func(c *clientcmdapi.Config) {
				c.Contexts = map[string]*clientcmdapi.Context{}
				c.CurrentContext = ""
			},
			subs: []string{"no current-context", "(none)"},
		},
		{
			name: "context without user",
			mut:  func(c *clientcmdapi.Config) { c.Contexts[destContext].AuthInfo = "" },
			subs: []string{`context "dest" must name both a cluster and a user`},
		},
		{
			name: "context without cluster",
			mut:  func(c *clientcmdapi.Config) { c.Contexts[destContext].Cluster = "" },
			subs: []string{`context "dest" must name both a cluster and a user`},
		},
		{
			name: "context names a missing cluster",
			mut:  func(c *clientcmdapi.Config) { c.Contexts[destContext].Cluster = "ghost-cluster" },
			subs: []string{`context "dest" is unusable`, "ghost-cluster"},
		},
		{
			name: "context names a missing user",
			mut:  func(c *clientcmdapi.Config) { c.Contexts[destContext].AuthInfo = "ghost-user" },
			subs: []string{`context "dest" is unusable`, "ghost-user"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			opts.Context = tt.context
			out, fs := StorkConfig(baseKubeconfig(t, tt.mut), opts)
			if out != nil {
				t.Errorf("want nil config on error, got %+v", out)
			}
			if len(fs) != 1 {
				t.Fatalf("want exactly one finding, got:\n%s", dump(fs))
			}
			requireFinding(t, fs, diag.Error, testField+".context", testFile, tt.subs...)
			requireNotInFindings(t, fs, destToken, otherToken)
		})
	}
}

func TestStorkConfigListsAtMostTwentyContexts(t *testing.T) {
	c := baseConfig(t)
	c.Contexts = map[string]*clientcmdapi.Context{}
	for i := 0; i < 25; i++ {
		c.Contexts[fmt.Sprintf("ctx-%02d", i)] = &clientcmdapi.Context{Cluster: destCluster, AuthInfo: destUser}
	}
	c.CurrentContext = "ctx-00"
	opts := testOptions()
	opts.Context = "missing"
	_, fs := StorkConfig(kubeconfigBytes(t, c), opts)
	f := findingWith(t, fs, diag.Error, testField+".context", testFile, `"ctx-00", "ctx-01"`, `"ctx-19", ... (25 in all)`)
	if strings.Contains(f.Message, "ctx-20") {
		t.Errorf("the list should stop after 20 names: %s", f.Message)
	}
}

func TestStorkConfigServerOverride(t *testing.T) {
	const override = "https://dest.example.com:6443"
	tests := []struct {
		name     string
		mut      func(*clientcmdapi.Config)
		server   string
		wantSev  diag.Severity // "" means no finding
		wantFld  string
		wantSubs []string
	}{
		{
			name:   "override replaces a loopback server and silences its warning",
			mut:    func(c *clientcmdapi.Config) { c.Clusters[destCluster].Server = "https://127.0.0.1:6443" },
			server: override,
		},
		{
			name:   "override replaces a missing server",
			mut:    func(c *clientcmdapi.Config) { c.Clusters[destCluster].Server = "" },
			server: override,
		},
		{
			name:     "loopback override is reported on .server",
			server:   "https://localhost:16443",
			wantSev:  diag.Warning,
			wantFld:  testField + ".server",
			wantSubs: []string{"loopback", "https://localhost:16443"},
		},
		{
			name:     "plain http override is reported on .server",
			server:   "http://dest.example.com:8080",
			wantSev:  diag.Warning,
			wantFld:  testField + ".server",
			wantSubs: []string{"plain http"},
		},
		{
			name:     "invalid override is reported on .server",
			server:   "dest.example.com:6443",
			wantSev:  diag.Error,
			wantFld:  testField + ".server",
			wantSubs: []string{"is not an absolute URL"},
		},
		{
			name: "kubeconfig problems stay on the kubeconfig field with an override",
			mut: func(c *clientcmdapi.Config) {
				c.Clusters[destCluster].CertificateAuthority = "/etc/kubernetes/pki/ca.crt"
			},
			server:   override,
			wantSev:  diag.Error,
			wantFld:  testField,
			wantSubs: []string{"certificate-authority"},
		},
		{
			name: "insecure-skip-tls-verify stays on the kubeconfig field with an override",
			mut: func(c *clientcmdapi.Config) {
				c.Clusters[destCluster].CertificateAuthorityData = nil
				c.Clusters[destCluster].InsecureSkipTLSVerify = true
			},
			server:   override,
			wantSev:  diag.Warning,
			wantFld:  testField,
			wantSubs: []string{"insecure-skip-tls-verify"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			opts.Server = tt.server
			out, fs := StorkConfig(baseKubeconfig(t, tt.mut), opts)
			if tt.wantSev == "" {
				requireNoFindings(t, fs)
			} else {
				if len(fs) != 1 {
					t.Fatalf("want one finding, got:\n%s", dump(fs))
				}
				requireFinding(t, fs, tt.wantSev, tt.wantFld, testFile, tt.wantSubs...)
			}
			if tt.wantSev == diag.Error {
				if out != nil {
					t.Errorf("want nil config on error")
				}
				return
			}
			if out == nil {
				t.Fatal("nil config")
			}
			if got := out.Clusters[destCluster].Server; got != tt.server {
				t.Errorf("server = %q, want the override %q", got, tt.server)
			}
			b, _ := json.Marshal(out)
			if bytes.Contains(b, []byte(destServer)) || bytes.Contains(b, []byte("127.0.0.1")) {
				t.Errorf("the kubeconfig's own server survived the override: %s", b)
			}
		})
	}
}

// TestStorkConfigChecks covers every error and warning of checkCluster and
// checkUser, plus the ConfirmUsable failures they leave to client-go.
func TestStorkConfigChecks(t *testing.T) {
	p := getPKI(t)
	const (
		caPath         = "/home/me/.minikube/ca.crt"
		certPath       = "/home/me/.minikube/profiles/dest/client.crt"
		keyPath        = "/home/me/.minikube/profiles/dest/client.key"
		tokenPath      = "/var/run/secrets/kubernetes.io/serviceaccount/token"
		proxyPassword  = "PROXY-PASSWORD-83kd"
		serverPassword = "SERVER-PASSWORD-1q9z"
		basicPassword  = "BASIC-PASSWORD-x7c2"
		oidcToken      = "OIDC-ID-TOKEN-d8s7"
		execSecret     = "EXEC-ENV-SECRET-0a9b"
	)
	cluster := func(f func(*clientcmdapi.Cluster)) func(*clientcmdapi.Config) {
		return func(c *clientcmdapi.Config) { f(c.Clusters[destCluster]) }
	}
	user := func(u *clientcmdapi.AuthInfo) func(*clientcmdapi.Config) {
		return func(c *clientcmdapi.Config) { c.AuthInfos[destUser] = u }
	}
	execUser := func(e *clientcmdapi.ExecConfig) func(*clientcmdapi.Config) {
		return user(&clientcmdapi.AuthInfo{Exec: e})
	}
	awsExec := func() *clientcmdapi.ExecConfig {
		return &clientcmdapi.ExecConfig{
			Command:         "aws-iam-authenticator",
			Args:            []string{"token", "-i", "dest"},
			Env:             []clientcmdapi.ExecEnvVar{{Name: "AWS_SECRET_ACCESS_KEY", Value: execSecret}},
			APIVersion:      "client.authentication.k8s.io/v1",
			InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
		}
	}
	type want struct {
		sev   diag.Severity
		field string
		subs  []string
	}
	tests := []struct {
		name string
		mut  func(*clientcmdapi.Config)
		// wants lists every finding expected, in any order; no others may occur.
		wants []want
		// secrets must not appear in any finding.
		secrets []string
	}{
		// Errors: file paths.
		{
			name: "certificate-authority file path",
			mut: cluster(func(c *clientcmdapi.Cluster) {
				c.CertificateAuthorityData = nil
				c.CertificateAuthority = caPath
			}),
			wants: []want{{diag.Error, testField, []string{`cluster "dest-cluster"`, "certificate-authority", "certificate-authority-data"}}},
		},
		{
			name:  "client-certificate file path",
			mut:   user(&clientcmdapi.AuthInfo{ClientCertificate: certPath, ClientKeyData: p.keyPEM}),
			wants: []want{{diag.Error, testField, []string{`user "dest-user"`, "reads client-certificate from a file path", "client-certificate-data"}}},
		},
		{
			name:  "client-key file path",
			mut:   user(&clientcmdapi.AuthInfo{ClientCertificateData: p.certPEM, ClientKey: keyPath}),
			wants: []want{{diag.Error, testField, []string{`user "dest-user"`, "reads client-key from a file path", "client-key-data"}}},
		},
		{
			name:  "tokenFile path",
			mut:   user(&clientcmdapi.AuthInfo{TokenFile: tokenPath}),
			wants: []want{{diag.Error, testField, []string{`user "dest-user"`, "reads tokenFile from a file path"}}},
		},
		{
			name: "client-certificate and client-key paths are two errors",
			mut:  user(&clientcmdapi.AuthInfo{ClientCertificate: certPath, ClientKey: keyPath}),
			wants: []want{
				{diag.Error, testField, []string{"reads client-certificate from a file path"}},
				{diag.Error, testField, []string{"reads client-key from a file path"}},
			},
		},
		// Errors: server and proxy.
		{
			name:  "no server",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "" }),
			wants: []want{{diag.Error, testField, []string{`cluster "dest-cluster" has no server`}}},
		},
		{
			name:    "server without scheme",
			mut:     cluster(func(c *clientcmdapi.Cluster) { c.Server = "10.20.30.40:6443" }),
			wants:   []want{{diag.Error, testField, []string{`cluster "dest-cluster" server is not an absolute URL`}}},
			secrets: []string{"10.20.30.40"},
		},
		{
			name:  "server without host",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://" }),
			wants: []want{{diag.Error, testField, []string{"is not an absolute URL"}}},
		},
		{
			name:    "unparsable server with credentials is not echoed",
			mut:     cluster(func(c *clientcmdapi.Cluster) { c.Server = "admin:" + serverPassword + "@10.20.30.40:6443" }),
			wants:   []want{{diag.Error, testField, []string{"is not an absolute URL"}}},
			secrets: []string{serverPassword},
		},
		{
			name:  "proxy-url without scheme",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.ProxyURL = "proxy.example.com:3128" }),
			wants: []want{{diag.Error, testField, []string{`cluster "dest-cluster" has an invalid proxy-url`}}},
		},
		{
			name:    "unparsable proxy-url",
			mut:     cluster(func(c *clientcmdapi.Cluster) { c.ProxyURL = "http://bob:" + proxyPassword + "@proxy:bad-port" }),
			wants:   []want{{diag.Error, testField, []string{"has an invalid proxy-url"}}},
			secrets: []string{proxyPassword},
		},
		{
			name:    "proxy-url with an unsupported scheme is not echoed",
			mut:     cluster(func(c *clientcmdapi.Cluster) { c.ProxyURL = "ftp://bob:" + proxyPassword + "@proxy.example.com:21" }),
			wants:   []want{{diag.Error, testField, []string{`proxy-url has the unsupported scheme "ftp"`}}},
			secrets: []string{proxyPassword, "proxy.example.com"},
		},
		// Errors: exec.
		{
			name: "exec interactiveMode Always",
			mut: execUser(func() *clientcmdapi.ExecConfig {
				e := awsExec()
				e.InteractiveMode = clientcmdapi.AlwaysExecInteractiveMode
				return e
			}()),
			wants: []want{
				{diag.Error, testField, []string{`"aws-iam-authenticator" has interactiveMode Always`, "Never"}},
				{diag.Warning, testField, []string{`exec plugin "aws-iam-authenticator"`}},
			},
			secrets: []string{execSecret},
		},
		// Errors left to client-go's ConfirmUsable.
		{
			name: "token and basic auth together",
			mut:  user(&clientcmdapi.AuthInfo{Token: destToken, Username: "admin", Password: basicPassword}),
			wants: []want{
				{diag.Error, testField, []string{"Stork would reject this kubeconfig", "more than one authentication method", "dest-user"}},
				{diag.Warning, testField, []string{"basic authentication"}},
			},
			secrets: []string{destToken, basicPassword},
		},
		{
			name:    "client certificate without key",
			mut:     user(&clientcmdapi.AuthInfo{ClientCertificateData: p.certPEM}),
			wants:   []want{{diag.Error, testField, []string{"Stork would reject this kubeconfig", "client-key-data or client-key must be specified"}}},
			secrets: []string{string(p.certPEM[30:60])},
		},
		{
			name: "exec without apiVersion",
			mut: execUser(func() *clientcmdapi.ExecConfig {
				e := awsExec()
				e.APIVersion = ""
				return e
			}()),
			wants: []want{
				{diag.Error, testField, []string{"Stork would reject this kubeconfig", "apiVersion must be specified"}},
				{diag.Warning, testField, []string{`exec plugin "aws-iam-authenticator"`}},
			},
			secrets: []string{execSecret},
		},
		{
			name: "exec together with auth-provider",
			mut: user(&clientcmdapi.AuthInfo{
				Exec:         awsExec(),
				AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"id-token": oidcToken}},
			}),
			wants: []want{
				{diag.Error, testField, []string{"authProvider cannot be provided in combination with an exec plugin"}},
				{diag.Warning, testField, []string{`exec plugin "aws-iam-authenticator"`}},
				{diag.Warning, testField, []string{`legacy auth-provider "oidc"`}},
			},
			secrets: []string{execSecret, oidcToken},
		},
		// Warnings.
		{
			name:  "loopback 127.0.0.1",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://127.0.0.1:6443" }),
			wants: []want{{diag.Warning, testField, []string{`cluster "dest-cluster" server https://127.0.0.1:6443 is a loopback address`}}},
		},
		{
			name:  "loopback 127.0.0.0/8",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://127.3.2.1:6443" }),
			wants: []want{{diag.Warning, testField, []string{"loopback"}}},
		},
		{
			name:  "loopback ::1",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://[::1]:6443" }),
			wants: []want{{diag.Warning, testField, []string{"https://[::1]:6443 is a loopback address"}}},
		},
		{
			name:  "loopback localhost",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://localhost:6443" }),
			wants: []want{{diag.Warning, testField, []string{"https://localhost:6443 is a loopback address"}}},
		},
		{
			name:  "loopback LOCALHOST without port",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://LOCALHOST" }),
			wants: []want{{diag.Warning, testField, []string{"loopback"}}},
		},
		{
			name:  "loopback *.localhost",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://api.localhost:6443" }),
			wants: []want{{diag.Warning, testField, []string{"loopback"}}},
		},
		{
			name:    "loopback server with credentials is shown redacted",
			mut:     cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://admin:" + serverPassword + "@127.0.0.1:6443" }),
			wants:   []want{{diag.Warning, testField, []string{"loopback", "127.0.0.1:6443"}}},
			secrets: []string{serverPassword},
		},
		{
			name:  "plain http",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.Server = "http://10.20.30.40:8080" }),
			wants: []want{{diag.Warning, testField, []string{`cluster "dest-cluster" server http://10.20.30.40:8080 uses plain http`}}},
		},
		{
			name: "plain http loopback is two warnings",
			mut:  cluster(func(c *clientcmdapi.Cluster) { c.Server = "http://localhost:8080" }),
			wants: []want{
				{diag.Warning, testField, []string{"loopback"}},
				{diag.Warning, testField, []string{"plain http"}},
			},
		},
		{
			name:    "plain http server with credentials is shown redacted",
			mut:     cluster(func(c *clientcmdapi.Cluster) { c.Server = "http://admin:" + serverPassword + "@10.20.30.40:8080" }),
			wants:   []want{{diag.Warning, testField, []string{"plain http"}}},
			secrets: []string{serverPassword},
		},
		{
			name: "loopback server with a query token shows scheme, host and port only",
			mut: cluster(func(c *clientcmdapi.Cluster) {
				c.Server = "https://127.0.0.1:6443/k8s/" + serverPassword + "?access_token=" + serverPassword + "#" + serverPassword
			}),
			wants:   []want{{diag.Warning, testField, []string{"server https://127.0.0.1:6443 is a loopback address"}}},
			secrets: []string{serverPassword, "access_token"},
		},
		{
			name:    "plain http server with a query token shows scheme, host and port only",
			mut:     cluster(func(c *clientcmdapi.Cluster) { c.Server = "http://10.20.30.40:8080/?access_token=" + serverPassword }),
			wants:   []want{{diag.Warning, testField, []string{"server http://10.20.30.40:8080 uses plain http"}}},
			secrets: []string{serverPassword, "access_token"},
		},
		{
			name: "insecure-skip-tls-verify",
			mut: cluster(func(c *clientcmdapi.Cluster) {
				c.CertificateAuthorityData = nil
				c.InsecureSkipTLSVerify = true
			}),
			wants: []want{{diag.Warning, testField, []string{`cluster "dest-cluster" sets insecure-skip-tls-verify`}}},
		},
		{
			name:  "disable-compression",
			mut:   cluster(func(c *clientcmdapi.Cluster) { c.DisableCompression = true }),
			wants: []want{{diag.Warning, testField, []string{`cluster "dest-cluster" sets disable-compression`}}},
		},
		{
			name:    "exec plugin names its command",
			mut:     execUser(awsExec()),
			wants:   []want{{diag.Warning, testField, []string{`user "dest-user" authenticates with the exec plugin "aws-iam-authenticator"`}}},
			secrets: []string{execSecret},
		},
		{
			name:    "auth-provider",
			mut:     user(&clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"id-token": oidcToken}}}),
			wants:   []want{{diag.Warning, testField, []string{`user "dest-user" uses the legacy auth-provider "oidc"`}}},
			secrets: []string{oidcToken},
		},
		{
			name:    "basic auth",
			mut:     user(&clientcmdapi.AuthInfo{Username: "admin", Password: basicPassword}),
			wants:   []want{{diag.Warning, testField, []string{`user "dest-user" uses basic authentication`}}},
			secrets: []string{basicPassword},
		},
		{
			name:  "no credentials",
			mut:   user(&clientcmdapi.AuthInfo{}),
			wants: []want{{diag.Error, testField, []string{`user "dest-user" has no credentials`}}},
		},
		{
			name:  "impersonation alone is no credential",
			mut:   user(&clientcmdapi.AuthInfo{Impersonate: "someone"}),
			wants: []want{{diag.Error, testField, []string{"has no credentials"}}},
		},
		// Clean configurations.
		{name: "token with inline CA"},
		{name: "client certificate and key data", mut: user(&clientcmdapi.AuthInfo{ClientCertificateData: p.certPEM, ClientKeyData: p.keyPEM})},
		{name: "socks5 proxy", mut: cluster(func(c *clientcmdapi.Cluster) { c.ProxyURL = "socks5://proxy.example.com:1080" })},
		{name: "http proxy with credentials", mut: cluster(func(c *clientcmdapi.Cluster) { c.ProxyURL = "http://bob:" + proxyPassword + "@proxy.example.com:3128" })},
		{name: "name that merely starts with localhost", mut: cluster(func(c *clientcmdapi.Cluster) { c.Server = "https://localhost.example.com:6443" })},
		{name: "tls-server-name", mut: cluster(func(c *clientcmdapi.Cluster) { c.TLSServerName = "kubernetes.default" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, fs := StorkConfig(baseKubeconfig(t, tt.mut), testOptions())
			if len(fs) != len(tt.wants) {
				t.Errorf("want %d findings, got %d:\n%s", len(tt.wants), len(fs), dump(fs))
			}
			wantErr := false
			for _, w := range tt.wants {
				requireFinding(t, fs, w.sev, w.field, testFile, w.subs...)
				wantErr = wantErr || w.sev == diag.Error
			}
			requireNotInFindings(t, fs, append(tt.secrets, destToken, otherToken)...)
			if wantErr {
				if out != nil {
					t.Errorf("want nil config with errors, got %+v", out)
				}
				return
			}
			if out == nil {
				t.Fatal("nil config without errors")
			}
			if err := ConfirmUsable(out); err != nil {
				t.Errorf("a config without error findings must pass ConfirmUsable: %v", err)
			}
			requireV025Decodable(t, out)
		})
	}
}

func TestStorkConfigExecInteractiveMode(t *testing.T) {
	tests := []struct {
		name       string
		apiVersion string
		mode       clientcmdapi.ExecInteractiveMode
		want       stork.InteractiveMode // "" means an error is expected
	}{
		{name: "v1 without interactiveMode renders Never", apiVersion: "client.authentication.k8s.io/v1", want: "Never"},
		// clientcmd.Load defaults v1beta1 plugins to IfAvailable for backwards
		// compatibility; Stork accepts that value too.
		{name: "v1beta1 without interactiveMode is defaulted by client-go", apiVersion: "client.authentication.k8s.io/v1beta1", want: "IfAvailable"},
		{name: "Never is kept", apiVersion: "client.authentication.k8s.io/v1", mode: clientcmdapi.NeverExecInteractiveMode, want: "Never"},
		{name: "IfAvailable is kept", apiVersion: "client.authentication.k8s.io/v1beta1", mode: clientcmdapi.IfAvailableExecInteractiveMode, want: "IfAvailable"},
		{name: "Always is an error", apiVersion: "client.authentication.k8s.io/v1", mode: clientcmdapi.AlwaysExecInteractiveMode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := baseKubeconfig(t, func(c *clientcmdapi.Config) {
				c.AuthInfos[destUser] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
					Command:            "gke-gcloud-auth-plugin",
					Args:               []string{"--verbosity", "debug"},
					Env:                []clientcmdapi.ExecEnvVar{{Name: "CLOUDSDK_CORE_PROJECT", Value: "proj"}},
					APIVersion:         tt.apiVersion,
					InstallHint:        "install it",
					ProvideClusterInfo: true,
					InteractiveMode:    tt.mode,
				}}
			})
			out, fs := StorkConfig(raw, testOptions())
			requireFinding(t, fs, diag.Warning, testField, testFile, `exec plugin "gke-gcloud-auth-plugin"`)
			if tt.want == "" {
				requireFinding(t, fs, diag.Error, testField, testFile, "interactiveMode Always")
				if out != nil {
					t.Error("want nil config")
				}
				return
			}
			if fs.HasErrors() || out == nil {
				t.Fatalf("unexpected errors:\n%s", dump(fs))
			}
			want := &stork.ExecConfig{
				Command:            "gke-gcloud-auth-plugin",
				Args:               []string{"--verbosity", "debug"},
				Env:                []stork.ExecEnvVar{{Name: "CLOUDSDK_CORE_PROJECT", Value: "proj"}},
				APIVersion:         tt.apiVersion,
				InstallHint:        "install it",
				ProvideClusterInfo: true,
				InteractiveMode:    tt.want,
			}
			if got := out.AuthInfos[destUser].Exec; !reflect.DeepEqual(got, want) {
				t.Errorf("exec = %+v, want %+v", got, want)
			}
			if err := ConfirmUsable(out); err != nil {
				t.Errorf("ConfirmUsable: %v", err)
			}
			b, _ := json.Marshal(out)
			if !bytes.Contains(b, []byte(`"InteractiveMode":"`+string(tt.want)+`"`)) || bytes.Contains(b, []byte(`"interactiveMode"`)) {
				t.Errorf("exec must carry InteractiveMode (capital I) only: %s", b)
			}
			requireV025Decodable(t, out)
		})
	}
}

func TestStorkConfigDropsExtensionsAndLocationOfOrigin(t *testing.T) {
	const marker = "EXTENSION-MARKER-55e1"
	ext := func() map[string]runtime.Object {
		return map[string]runtime.Object{"cluster_info": &runtime.Unknown{
			Raw:         []byte(`{"provider":"minikube.sigs.k8s.io","version":"` + marker + `"}`),
			ContentType: runtime.ContentTypeJSON,
		}}
	}
	raw := baseKubeconfig(t, func(c *clientcmdapi.Config) {
		c.Extensions = ext()
		c.Preferences.Extensions = ext()
		c.Clusters[destCluster].Extensions = ext()
		c.AuthInfos[destUser].Extensions = ext()
		c.Contexts[destContext].Extensions = ext()
		c.Clusters[destCluster].LocationOfOrigin = "/home/me/.kube/config"
	})
	if !bytes.Contains(raw, []byte(marker)) {
		t.Fatalf("test setup: the kubeconfig should carry the extension marker:\n%s", raw)
	}
	out, fs := StorkConfig(raw, testOptions())
	requireNoFindings(t, fs)
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{marker, "extensions", "cluster_info", "LocationOfOrigin", ".kube/config"} {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("output contains %q:\n%s", s, b)
		}
	}
	requireV025Decodable(t, out)
}

func TestStorkConfigInvalidInput(t *testing.T) {
	const marker = "SECRET-MARKER-7Qz3"
	dupUsers := "apiVersion: v1\nkind: Config\ncurrent-context: c\n" +
		"clusters:\n- name: k\n  cluster: {server: 'https://10.0.0.1:6443'}\n" +
		"contexts:\n- name: c\n  context: {cluster: k, user: u}\n" +
		"users:\n- name: u\n  user: {token: " + marker + "}\n- name: u\n  user: {password: " + marker + "}\n"
	tests := []struct {
		name string
		in   string
		subs []string
	}{
		{name: "nil", in: "", subs: []string{"no clusters, users or contexts"}},
		{name: "empty Config object", in: "apiVersion: v1\nkind: Config\n", subs: []string{"no clusters, users or contexts"}},
		{name: "YAML that is JSON null", in: "null\n", subs: []string{}},
		{name: "bare scalar", in: marker, subs: []string{"not a valid kubeconfig"}},
		{name: "list", in: "- " + marker + "\n- b\n", subs: []string{"not a valid kubeconfig"}},
		{name: "broken flow mapping", in: "{token: " + marker + ", ", subs: []string{"not a valid kubeconfig"}},
		{name: "unterminated quote", in: "token: '" + marker + "\n", subs: []string{"not a valid kubeconfig"}},
		{name: "bad indentation", in: "users: a\n  " + marker + ": b\n", subs: []string{"not a valid kubeconfig"}},
		{name: "tab indentation", in: "\t" + marker + ": x\n", subs: []string{"not a valid kubeconfig"}},
		{name: "unknown kind", in: "apiVersion: v1\nkind: " + marker + "\n", subs: []string{"not a valid kubeconfig"}},
		{name: "unknown apiVersion", in: "apiVersion: " + marker + "\nkind: Config\n", subs: []string{"not a valid kubeconfig"}},
		{name: "clusters as a string", in: "clusters: " + marker + "\n", subs: []string{"not a valid kubeconfig"}},
		{name: "bad base64", in: "users:\n- name: u\n  user:\n    client-key-data: " + marker + "!!\n", subs: []string{"not a valid kubeconfig"}},
		{name: "map key that is a map", in: "? {token: " + marker + "}\n: x\n", subs: []string{"not a valid kubeconfig", "invalid map key"}},
		{name: "map key that is a number", in: "? {token: 9876543210123}\n: x\n", subs: []string{"not a valid kubeconfig", "invalid map key"}},
		{name: "duplicate users dump the list", in: dupUsers, subs: []string{"not a valid kubeconfig", "duplicate name"}},
		{
			name: "duplicate clusters dump the list",
			in:   "clusters:\n- name: k\n  cluster: {server: 'https://" + marker + ":1'}\n- name: k\n  cluster: {server: 'https://x:1'}\n",
			subs: []string{"not a valid kubeconfig", "duplicate name"},
		},
		{
			name: "duplicate contexts dump the list",
			in:   "contexts:\n- name: c\n  context: {cluster: " + marker + ", user: u}\n- name: c\n  context: {cluster: k, user: u}\n",
			subs: []string{"not a valid kubeconfig", "duplicate name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []byte
			if tt.in != "" {
				in = []byte(tt.in)
			}
			out, fs := StorkConfig(in, testOptions())
			if out != nil {
				t.Errorf("want nil config, got %+v", out)
			}
			if !fs.HasErrors() {
				t.Fatalf("want an error, got:\n%s", dump(fs))
			}
			for _, f := range fs {
				if f.Severity == diag.Error && (f.Field != testField && f.Field != testField+".context") {
					t.Errorf("error on field %q, want %s(.context): %s", f.Field, testField, f.Message)
				}
				if f.File != testFile {
					t.Errorf("finding File = %q, want %q", f.File, testFile)
				}
				if strings.Contains(f.Error(), marker) || strings.Contains(f.Error(), "9876543210123") {
					t.Errorf("finding echoes the input: %s", f.Error())
				}
			}
			if len(tt.subs) > 0 {
				requireFinding(t, fs, diag.Error, testField, testFile, tt.subs...)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1":             true,
		"127.255.0.9":           true,
		"::1":                   true,
		"localhost":             true,
		"LocalHost":             true,
		"kube.localhost":        true,
		"10.0.0.1":              false,
		"::2":                   false,
		"localhost.example.com": false,
		"mylocalhost":           false,
		"":                      false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestConfirmUsableFails(t *testing.T) {
	good := func() *stork.Config {
		return &stork.Config{
			Clusters:       map[string]*stork.Cluster{"k": {Server: "https://10.0.0.1:6443"}},
			AuthInfos:      map[string]*stork.AuthInfo{"u": {Token: "t"}},
			Contexts:       map[string]*stork.Context{"c": {Cluster: "k", AuthInfo: "u"}},
			CurrentContext: "c",
		}
	}
	if err := ConfirmUsable(good()); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	tests := map[string]func(*stork.Config){
		"no current context":      func(c *stork.Config) { c.CurrentContext = "" },
		"unknown current context": func(c *stork.Config) { c.CurrentContext = "x" },
		"missing cluster":         func(c *stork.Config) { c.Contexts["c"].Cluster = "nope" },
		"missing user":            func(c *stork.Config) { c.Contexts["c"].AuthInfo = "nope" },
		"no server":               func(c *stork.Config) { c.Clusters["k"].Server = "" },
		"exec without mode": func(c *stork.Config) {
			c.AuthInfos["u"] = &stork.AuthInfo{Exec: &stork.ExecConfig{Command: "x", APIVersion: "client.authentication.k8s.io/v1"}}
		},
		"exec bad mode": func(c *stork.Config) {
			c.AuthInfos["u"] = &stork.AuthInfo{Exec: &stork.ExecConfig{Command: "x", APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: "never"}}
		},
		"token and basic":      func(c *stork.Config) { c.AuthInfos["u"].Username = "admin" },
		"bad proxy scheme":     func(c *stork.Config) { c.Clusters["k"].ProxyURL = "ftp://p:21" },
		"impersonation extras": func(c *stork.Config) { c.AuthInfos["u"].ImpersonateGroups = []string{"g"} },
	}
	for name, mut := range tests {
		t.Run(name, func(t *testing.T) {
			c := good()
			mut(c)
			if err := ConfirmUsable(c); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestToClientcmdRoundTrip(t *testing.T) {
	p := getPKI(t)
	in := &stork.Config{
		Clusters: map[string]*stork.Cluster{"k": {
			Server: "https://10.0.0.1:6443", TLSServerName: "kubernetes", InsecureSkipTLSVerify: false,
			CertificateAuthorityData: p.caPEM, ProxyURL: "http://proxy:3128",
		}},
		AuthInfos: map[string]*stork.AuthInfo{
			"cert": {ClientCertificateData: p.certPEM, ClientKeyData: p.keyPEM, Impersonate: "sa", ImpersonateUID: "1", ImpersonateGroups: []string{"g"}, ImpersonateUserExtra: map[string][]string{"k": {"v"}}},
			"exec": {Exec: &stork.ExecConfig{Command: "kubelogin", Args: []string{"get-token"}, Env: []stork.ExecEnvVar{{Name: "A", Value: "b"}}, APIVersion: "client.authentication.k8s.io/v1beta1", InstallHint: "h", ProvideClusterInfo: true, InteractiveMode: "Never"}},
			"ap":   {AuthProvider: &stork.AuthProviderConfig{Name: "oidc", Config: map[string]string{"client-id": "x"}}},
			"tok":  {Token: "t", Username: "", Password: ""},
			"pw":   {Username: "u", Password: "p"},
		},
		Contexts:       map[string]*stork.Context{"c": {Cluster: "k", AuthInfo: "exec", Namespace: "ns"}},
		CurrentContext: "c",
	}
	got := ToClientcmd(in)
	want := clientcmdapi.NewConfig()
	want.CurrentContext = "c"
	want.Clusters["k"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1:6443", TLSServerName: "kubernetes", CertificateAuthorityData: p.caPEM, ProxyURL: "http://proxy:3128"}
	want.AuthInfos["cert"] = &clientcmdapi.AuthInfo{ClientCertificateData: p.certPEM, ClientKeyData: p.keyPEM, Impersonate: "sa", ImpersonateUID: "1", ImpersonateGroups: []string{"g"}, ImpersonateUserExtra: map[string][]string{"k": {"v"}}}
	want.AuthInfos["exec"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "kubelogin", Args: []string{"get-token"}, Env: []clientcmdapi.ExecEnvVar{{Name: "A", Value: "b"}}, APIVersion: "client.authentication.k8s.io/v1beta1", InstallHint: "h", ProvideClusterInfo: true, InteractiveMode: clientcmdapi.NeverExecInteractiveMode}}
	want.AuthInfos["ap"] = &clientcmdapi.AuthInfo{AuthProvider: &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{"client-id": "x"}}}
	want.AuthInfos["tok"] = &clientcmdapi.AuthInfo{Token: "t"}
	want.AuthInfos["pw"] = &clientcmdapi.AuthInfo{Username: "u", Password: "p"}
	want.Contexts["c"] = &clientcmdapi.Context{Cluster: "k", AuthInfo: "exec", Namespace: "ns"}
	if !reflect.DeepEqual(got, *want) {
		t.Errorf("ToClientcmd mismatch\ngot:  %#v\nwant: %#v", got, *want)
	}
}

func keys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
