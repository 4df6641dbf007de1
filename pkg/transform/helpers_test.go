package transform

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

const (
	// testField and testFile are what the kubeconfig tests pass as
	// KubeconfigOptions.Field and .File; every finding must carry them.
	testField = "spec.destination.kubeconfig"
	testFile  = "secrets/dest-kubeconfig.sops.yaml"

	destContext = "dest"
	destCluster = "dest-cluster"
	destUser    = "dest-user"
	destServer  = "https://10.20.30.40:6443"
	destToken   = "dest-bearer-token-4f1c2d"

	otherContext = "other"
	otherCluster = "other-cluster"
	otherUser    = "other-user"
	otherServer  = "https://other.example.net:6443"
	// otherToken must never appear in anything rendered from the dest context.
	otherToken = "UNRELATED-OTHER-TOKEN-b7e91a"
)

// testPKI is a throwaway CA with one client certificate, generated once.
type testPKI struct {
	caPEM, certPEM, keyPEM []byte
}

var (
	pkiOnce sync.Once
	pki     testPKI
	pkiErr  error
)

func getPKI(t *testing.T) testPKI {
	t.Helper()
	pkiOnce.Do(func() { pki, pkiErr = newPKI() })
	if pkiErr != nil {
		t.Fatalf("generating test PKI: %v", pkiErr)
	}
	return pki
}

func newPKI() (testPKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return testPKI{}, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "clusterpair-fn test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return testPKI{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return testPKI{}, err
	}
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return testPKI{}, err
	}
	clientTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "stork", Organization: []string{"system:masters"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	clientDER, err := x509.CreateCertificate(rand.Reader, clientTmpl, ca, &clientKey.PublicKey, caKey)
	if err != nil {
		return testPKI{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		return testPKI{}, err
	}
	return testPKI{
		caPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clientDER}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// baseConfig is a valid two-context kubeconfig: "dest" (current, token auth,
// inline CA) and "other", whose token must never leak into a dest render.
func baseConfig(t *testing.T) *clientcmdapi.Config {
	t.Helper()
	p := getPKI(t)
	c := clientcmdapi.NewConfig()
	c.Clusters[destCluster] = &clientcmdapi.Cluster{Server: destServer, CertificateAuthorityData: p.caPEM}
	c.Clusters[otherCluster] = &clientcmdapi.Cluster{Server: otherServer, InsecureSkipTLSVerify: true}
	c.AuthInfos[destUser] = &clientcmdapi.AuthInfo{Token: destToken}
	c.AuthInfos[otherUser] = &clientcmdapi.AuthInfo{Token: otherToken}
	c.Contexts[destContext] = &clientcmdapi.Context{Cluster: destCluster, AuthInfo: destUser, Namespace: "kube-system"}
	c.Contexts[otherContext] = &clientcmdapi.Context{Cluster: otherCluster, AuthInfo: otherUser}
	c.CurrentContext = destContext
	return c
}

// kubeconfigBytes writes c the way kubectl would (clientcmd.Write).
func kubeconfigBytes(t *testing.T, c *clientcmdapi.Config) []byte {
	t.Helper()
	b, err := clientcmd.Write(*c)
	if err != nil {
		t.Fatalf("clientcmd.Write: %v", err)
	}
	return b
}

// baseKubeconfig returns baseConfig, modified by mut, as kubeconfig bytes.
func baseKubeconfig(t *testing.T, mut func(*clientcmdapi.Config)) []byte {
	t.Helper()
	c := baseConfig(t)
	if mut != nil {
		mut(c)
	}
	return kubeconfigBytes(t, c)
}

func testOptions() KubeconfigOptions {
	return KubeconfigOptions{Field: testField, File: testFile, ExpiryWarning: 30 * 24 * time.Hour}
}

// findingsOf returns the findings of severity sev.
func findingsOf(fs diag.Findings, sev diag.Severity) diag.Findings {
	var out diag.Findings
	for _, f := range fs {
		if f.Severity == sev {
			out = append(out, f)
		}
	}
	return out
}

// requireFinding asserts that exactly one finding has severity sev and a
// message containing every one of subs, and that it carries field and file.
func requireFinding(t *testing.T, fs diag.Findings, sev diag.Severity, field, file string, subs ...string) {
	t.Helper()
	if f := findingWith(t, fs, sev, field, file, subs...); f.Severity != sev {
		t.Fatalf("finding %q has severity %s, want %s", f.Message, f.Severity, sev)
	}
}

// findingWith is requireFinding returning the finding.
func findingWith(t *testing.T, fs diag.Findings, sev diag.Severity, field, file string, subs ...string) diag.Finding {
	t.Helper()
	var hits diag.Findings
	for _, f := range findingsOf(fs, sev) {
		ok := true
		for _, s := range subs {
			if !strings.Contains(f.Message, s) {
				ok = false
				break
			}
		}
		if ok {
			hits = append(hits, f)
		}
	}
	if len(hits) != 1 {
		t.Fatalf("want exactly one %s finding containing %q, got %d; all findings:\n%s", sev, subs, len(hits), dump(fs))
	}
	f := hits[0]
	if f.Field != field {
		t.Errorf("finding %q: Field = %q, want %q", f.Message, f.Field, field)
	}
	if f.File != file {
		t.Errorf("finding %q: File = %q, want %q", f.Message, f.File, file)
	}
	return f
}

func requireNoFindings(t *testing.T, fs diag.Findings) {
	t.Helper()
	if len(fs) != 0 {
		t.Fatalf("want no findings, got:\n%s", dump(fs))
	}
}

// requireNotInFindings asserts that no finding mentions any of secrets.
func requireNotInFindings(t *testing.T, fs diag.Findings, secrets ...string) {
	t.Helper()
	for _, f := range fs {
		for _, s := range secrets {
			if s != "" && strings.Contains(f.Error(), s) {
				t.Errorf("finding leaks %q: %s", s, f.Error())
			}
		}
	}
}

func dump(fs diag.Findings) string {
	if len(fs) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("  ")
		b.WriteString(string(f.Severity))
		b.WriteString(": ")
		b.WriteString(f.Error())
		b.WriteString("\n")
	}
	return b.String()
}
