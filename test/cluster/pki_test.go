//go:build cluster

package cluster

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
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

// saKeyAlgorithm is the algorithm of a server's service-account signing key.
type saKeyAlgorithm string

const (
	// saKeyECDSA is a P-256 key (ES256 tokens, randomized signatures): the
	// harness's default.
	saKeyECDSA saKeyAlgorithm = "ecdsa"
	// saKeyRSA is an RSA 2048 key in PKCS#1 PEM, what kubeadm writes to
	// /etc/kubernetes/pki/sa.key (RS256 tokens: PKCS#1 v1.5 signatures are
	// deterministic, so equal claims give byte-identical tokens).
	saKeyRSA saKeyAlgorithm = "rsa"
)

// serviceAccountKeys returns a PEM private key and its PEM public key.
func serviceAccountKeys(t testing.TB, alg saKeyAlgorithm) (private, public []byte) {
	t.Helper()
	if alg != saKeyRSA {
		return testpki.SigningKeyPair(t)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func writeFile(t testing.TB, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
