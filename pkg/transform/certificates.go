package transform

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// expiryWarning is how close to expiry a certificate draws a warning.
const expiryWarning = 30 * 24 * time.Hour

// checkCertificates finds, offline, the certificate problems that would make
// every pairing attempt fail: a CA bundle that is not PEM or has only expired
// certificates, a client certificate that does not match its key, has expired
// or is not yet valid. now is the render time; a zero now skips the validity
// checks. Messages name clusters, users and dates, never key material.
func checkCertificates(clusterName string, c *clientcmdapi.Cluster, userName string, u *clientcmdapi.AuthInfo, now time.Time, field string, errf, warnf reportFunc) {
	if len(c.CertificateAuthorityData) > 0 {
		certs, err := parsePEMCertificates(c.CertificateAuthorityData)
		switch {
		case err != nil:
			errf(field, "cluster %q certificate-authority-data is not a PEM certificate bundle: %s", clusterName, err)
		case !now.IsZero() && allExpired(certs, now):
			errf(field, "cluster %q certificate-authority-data holds only expired certificates (the last expired %s): Stork could not verify the destination", clusterName, latestExpiry(certs).Format(time.DateOnly))
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
	switch {
	case now.After(leaf.NotAfter):
		errf(field, "user %q client certificate (subject %q) expired on %s: the destination would reject it", userName, leaf.Subject.CommonName, leaf.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(leaf.NotBefore):
		warnf(field, "user %q client certificate is not valid before %s", userName, leaf.NotBefore.UTC().Format(time.RFC3339))
	case leaf.NotAfter.Sub(now) < expiryWarning:
		warnf(field, "user %q client certificate expires on %s: Stork only pairs once, but a re-pair after that date will fail", userName, leaf.NotAfter.UTC().Format(time.DateOnly))
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

func allExpired(certs []*x509.Certificate, now time.Time) bool {
	for _, c := range certs {
		if !now.After(c.NotAfter) {
			return false
		}
	}
	return true
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
