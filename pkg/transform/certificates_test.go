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
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// selfSigned returns a PEM certificate valid from notBefore to notAfter and
// its PEM EC key.
func selfSigned(t *testing.T, cn string, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

func TestStorkConfigCertificateChecks(t *testing.T) {
	// Relative to the real clock: getPKI certificates are valid around time.Now.
	now := time.Now().UTC()
	day := 24 * time.Hour
	p := getPKI(t)
	expiredCA, _ := selfSigned(t, "old-ca", now.Add(-400*day), now.Add(-10*day))
	validCA, _ := selfSigned(t, "new-ca", now.Add(-10*day), now.Add(400*day))
	expiredOn := now.Add(-14 * day)
	expiredCert, expiredKey := selfSigned(t, "stork-old", now.Add(-400*day), expiredOn)
	futureCert, futureKey := selfSigned(t, "stork-future", now.Add(2*day), now.Add(400*day))
	soonOn := now.Add(20 * day)
	soonCert, soonKey := selfSigned(t, "stork-soon", now.Add(-300*day), soonOn)
	fineCert, fineKey := selfSigned(t, "stork-fine", now.Add(-10*day), now.Add(300*day))

	ca := func(data []byte) func(*clientcmdapi.Config) {
		return func(c *clientcmdapi.Config) { c.Clusters[destCluster].CertificateAuthorityData = data }
	}
	pair := func(cert, key []byte) func(*clientcmdapi.Config) {
		return func(c *clientcmdapi.Config) {
			c.AuthInfos[destUser] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
		}
	}
	tests := []struct {
		name    string
		mut     func(*clientcmdapi.Config)
		zeroNow bool
		sev     diag.Severity // "" means no finding
		subs    []string
	}{
		{name: "valid CA and token"},
		{name: "valid client pair", mut: pair(p.certPEM, p.keyPEM)},
		{name: "CA bundle with one expired and one valid certificate", mut: ca(append(append([]byte{}, expiredCA...), validCA...))},
		{name: "CA not PEM", mut: ca([]byte("definitely not a certificate")), sev: diag.Error, subs: []string{`cluster "dest-cluster" certificate-authority-data is not a PEM certificate bundle`, "no PEM certificate found"}},
		{name: "CA holds a key block", mut: ca(p.keyPEM), sev: diag.Error, subs: []string{"not a PEM certificate bundle", `"EC PRIVATE KEY" block`}},
		{name: "CA block does not parse", mut: ca(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")})), sev: diag.Error, subs: []string{"a certificate does not parse"}},
		{name: "CA expired", mut: ca(expiredCA), sev: diag.Error, subs: []string{`cluster "dest-cluster" certificate-authority-data (its last certificate) expired on ` + now.Add(-10*day).Format(time.DateOnly), "Stork could not verify the destination"}},
		{name: "CA expired but no render time", mut: ca(expiredCA), zeroNow: true},
		{name: "key does not match certificate", mut: pair(p.certPEM, fineKey), sev: diag.Error, subs: []string{`user "dest-user" client-certificate-data and client-key-data are not a usable pair`}},
		{name: "client certificate expired", mut: pair(expiredCert, expiredKey), sev: diag.Error, subs: []string{`client certificate (subject "stork-old") expired on ` + expiredOn.Format(time.DateOnly)}},
		{name: "client certificate expired but no render time", mut: pair(expiredCert, expiredKey), zeroNow: true},
		{name: "client certificate not yet valid", mut: pair(futureCert, futureKey), sev: diag.Warning, subs: []string{"is not valid before"}},
		{name: "client certificate expires within 30 days", mut: pair(soonCert, soonKey), sev: diag.Warning, subs: []string{"expires on " + soonOn.Format(time.DateOnly)}},
		{name: "client certificate valid for long", mut: pair(fineCert, fineKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			if !tt.zeroNow {
				opts.Now = now
			}
			out, fs := StorkConfig(baseKubeconfig(t, tt.mut), opts)
			if tt.sev == "" {
				requireNoFindings(t, fs)
				if out == nil {
					t.Fatal("nil config")
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("want one finding, got:\n%s", dump(fs))
			}
			requireFinding(t, fs, tt.sev, testField, testFile, tt.subs...)
			if (out == nil) != (tt.sev == diag.Error) {
				t.Errorf("config nil = %v, want nil only on errors", out == nil)
			}
			// No key or certificate material in messages.
			for _, secret := range [][]byte{p.keyPEM, fineKey, expiredKey, p.certPEM} {
				body := strings.Split(string(secret), "\n")[1]
				requireNotInFindings(t, fs, body[:20])
			}
		})
	}
}
