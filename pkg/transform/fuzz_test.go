package transform

import (
	"net/url"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// FuzzStorkConfig feeds arbitrary bytes as a decrypted kubeconfig. Nothing
// may panic; whatever is accepted must be usable by Stork and minified; and
// no finding may quote a credential of the file (findings do name contexts,
// clusters and users, so a credential that is also used as a name is exempt).
func FuzzStorkConfig(f *testing.F) {
	// Small seeds: the fuzzer minimises every interesting input, and
	// kilobytes of PEM make that crawl. Certificates are covered by unit tests.
	small := func(mut func(*clientcmdapi.Config)) []byte {
		c := clientcmdapi.NewConfig()
		c.Clusters["d"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1:6443", InsecureSkipTLSVerify: true}
		c.Clusters["o"] = &clientcmdapi.Cluster{Server: "https://o:6443", ProxyURL: "socks5://p:1080"}
		c.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
		c.AuthInfos["o"] = &clientcmdapi.AuthInfo{Token: otherToken}
		c.Contexts[destContext] = &clientcmdapi.Context{Cluster: "d", AuthInfo: "u"}
		c.Contexts["o"] = &clientcmdapi.Context{Cluster: "o", AuthInfo: "o"}
		c.CurrentContext = destContext
		if mut != nil {
			mut(c)
		}
		return kubeconfigBytes(&testing.T{}, c)
	}
	f.Add(small(nil))
	f.Add(small(func(c *clientcmdapi.Config) {
		c.AuthInfos["u"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "aws", APIVersion: "client.authentication.k8s.io/v1", Args: []string{"eks", "get-token"}}}
	}))
	f.Add(small(func(c *clientcmdapi.Config) { c.CurrentContext = "" }))
	f.Add(small(func(c *clientcmdapi.Config) {
		c.AuthInfos["u"].ClientCertificate = "/x"
		c.Clusters["d"].CertificateAuthority = "/y"
	}))
	f.Add([]byte("apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user: {token: " + otherToken + "}\n- name: a\n  user: {token: x}\n"))
	f.Add([]byte("a: &a [*a, *a, *a]\nb: *a\n"))
	now := time.Now()
	f.Fuzz(func(t *testing.T, data []byte) {
		creds := credentialsIn(data)
		for _, ctx := range []string{"", destContext} {
			cfg, fs := StorkConfig(data, KubeconfigOptions{Field: testField, File: testFile, Context: ctx, Now: now})
			for _, finding := range fs {
				for _, c := range creds {
					if strings.Contains(finding.Message, c) {
						t.Fatalf("finding quotes a credential: %s", finding.Message)
					}
				}
			}
			if cfg == nil {
				if !fs.HasErrors() {
					t.Fatal("no config and no error")
				}
				continue
			}
			if fs.HasErrors() {
				t.Fatal("a config together with errors")
			}
			if err := ConfirmUsable(cfg); err != nil {
				t.Fatalf("accepted a config Stork would reject: %v", err)
			}
			if len(cfg.Contexts) != 1 || len(cfg.Clusters) != 1 || len(cfg.AuthInfos) != 1 {
				t.Fatalf("not minified: %d contexts, %d clusters, %d users", len(cfg.Contexts), len(cfg.Clusters), len(cfg.AuthInfos))
			}
		}
	})
}

// credentialsIn returns the credential values of a kubeconfig that are not
// also used as a name, when the bytes load as one.
func credentialsIn(data []byte) []string {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil
	}
	names := map[string]bool{cfg.CurrentContext: true}
	for n, c := range cfg.Contexts {
		names[n], names[c.Cluster], names[c.AuthInfo], names[c.Namespace] = true, true, true, true
	}
	for n := range cfg.AuthInfos {
		names[n] = true
	}
	var out []string
	add := func(v string) {
		if len(v) >= 6 && !names[v] {
			out = append(out, v)
		}
	}
	for n, c := range cfg.Clusters {
		names[n] = true
		for _, raw := range []string{c.Server, c.ProxyURL} {
			if u, err := url.Parse(raw); err == nil && u.User != nil {
				p, _ := u.User.Password()
				add(p)
			}
		}
	}
	for _, u := range cfg.AuthInfos {
		add(u.Token)
		add(u.Password)
		add(string(u.ClientKeyData))
		if u.Exec != nil {
			for _, e := range u.Exec.Env {
				add(e.Value)
			}
		}
		if u.AuthProvider != nil {
			for _, v := range u.AuthProvider.Config {
				add(v)
			}
		}
	}
	return out
}
