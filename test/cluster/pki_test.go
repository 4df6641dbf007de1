//go:build cluster

package cluster

import (
	"os"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
)

// ca is a certificate authority generated at test time.
type ca struct {
	*testpki.CA
	certPEM []byte
}

// keyPair is a PEM certificate and its PEM private key.
type keyPair = testpki.KeyPair

// newCA returns a self-signed CA valid from an hour ago for ten years.
func newCA(t testing.TB, name string) *ca {
	t.Helper()
	c := testpki.NewCA(t, name)
	return &ca{CA: c, certPEM: c.CertPEM}
}

type certSpec struct {
	cn        string
	orgs      []string
	server    bool // serving certificate for the loopback addresses and the in-cluster names
	notBefore time.Time
	notAfter  time.Time
}

func (c *ca) issue(t testing.TB, s certSpec) keyPair {
	t.Helper()
	spec := testpki.Spec{CommonName: s.cn, Organizations: s.orgs, Server: s.server, NotBefore: s.notBefore, NotAfter: s.notAfter}
	if s.server {
		spec.DNSNames = []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc"}
	}
	return c.Issue(t, spec)
}

// serviceAccountKeys returns a PEM private key and its PEM public key.
func serviceAccountKeys(t testing.TB) (private, public []byte) {
	t.Helper()
	return testpki.SigningKeyPair(t)
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
