package transform

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// checkCertificates finds, offline, the certificate problems that would make
// every pairing attempt fail: a CA bundle that is not PEM, a client
// certificate that does not match its key or is not yet valid. Expiry is
// checkExpiry's. now is the render time; a zero now skips the validity
// check. Messages name clusters, users and dates, never key material.
func checkCertificates(clusterName string, c *clientcmdapi.Cluster, userName string, u *clientcmdapi.AuthInfo, now time.Time, field string, errf, warnf reportFunc) {
	if len(c.CertificateAuthorityData) > 0 {
		if _, err := parsePEMCertificates(c.CertificateAuthorityData); err != nil {
			errf(field, "cluster %q certificate-authority-data is not a PEM certificate bundle: %s", clusterName, err)
		}
	}
	if len(u.ClientCertificateData) == 0 || len(u.ClientKeyData) == 0 {
		return
	}
	pair, err := tls.X509KeyPair(u.ClientCertificateData, u.ClientKeyData)
	if err != nil {
		errf(field, "user %q client-certificate-data and client-key-data are not a usable pair: %s", userName, err)
		return
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil || now.IsZero() {
		return
	}
	if now.Before(leaf.NotBefore) {
		warnf(field, "user %q client certificate is not valid before %s", userName, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
}

func parsePEMCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("it contains a %q block", block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("a certificate does not parse")
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("no PEM certificate found")
	}
	return certs, nil
}

func latestExpiry(certs []*x509.Certificate) time.Time {
	var t time.Time
	for _, c := range certs {
		if c.NotAfter.After(t) {
			t = c.NotAfter
		}
	}
	return t.UTC()
}
