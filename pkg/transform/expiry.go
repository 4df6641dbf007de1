package transform

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// AnnotationCredentialsExpire is the annotation of a rendered ClusterPair
// that holds the earliest known expiry of its credentials (RFC 3339, UTC),
// for cluster-side tooling to alert on. It is absent when nothing is known.
const AnnotationCredentialsExpire = "fn.clusterpair.dev/credentials-expire"

// Expiry is a date, known offline, from which a credential of a pair stops
// working.
type Expiry struct {
	// At is when it stops working, in UTC.
	At time.Time
	// What names the credential (cluster or user name and its kind), never
	// its content.
	What string
	// Effect says what fails once it has expired.
	Effect string
}

// CredentialsExpire returns the earliest known expiry of the credentials of
// c's current context, and false when none is known (opaque tokens, exec
// plugins and auth-providers do not tell).
func CredentialsExpire(c *stork.Config) (Expiry, bool) {
	cfg := ToClientcmd(c)
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil {
		return Expiry{}, false
	}
	cluster, user := cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo]
	if cluster == nil {
		cluster = &clientcmdapi.Cluster{}
	}
	if user == nil {
		user = &clientcmdapi.AuthInfo{}
	}
	exps := credentialExpiries(ctx.Cluster, cluster, ctx.AuthInfo, user)
	if len(exps) == 0 {
		return Expiry{}, false
	}
	return exps[0], true
}

// FormatExpiry is how an expiry is written in AnnotationCredentialsExpire.
func FormatExpiry(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// credentialExpiries lists the known expiries of a cluster and user,
// earliest first: when the CA bundle's last certificate expires, the client
// certificate's NotAfter, and the exp claim of a bearer token that is a JWT
// (read without verification).
func credentialExpiries(clusterName string, c *clientcmdapi.Cluster, userName string, u *clientcmdapi.AuthInfo) []Expiry {
	var out []Expiry
	if certs, err := parsePEMCertificates(c.CertificateAuthorityData); err == nil && len(c.CertificateAuthorityData) > 0 {
		out = append(out, Expiry{
			At:     latestExpiry(certs),
			What:   fmt.Sprintf("cluster %q certificate-authority-data (its last certificate)", clusterName),
			Effect: "Stork could not verify the destination",
		})
	}
	if leaf := clientLeaf(u.ClientCertificateData); leaf != nil {
		out = append(out, Expiry{
			At:     leaf.NotAfter.UTC(),
			What:   fmt.Sprintf("user %q client certificate (subject %q)", userName, leaf.Subject.CommonName),
			Effect: "the destination would reject it",
		})
	}
	if exp, ok := jwtExpiry(u.Token); ok {
		out = append(out, Expiry{
			At:     exp,
			What:   fmt.Sprintf("user %q token (a JWT, by its exp claim)", userName),
			Effect: "the destination would reject it",
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// clientLeaf parses the first certificate of a client certificate PEM, or
// returns nil.
func clientLeaf(data []byte) *x509.Certificate {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil
	}
	return leaf
}

// jwtExpiry reads the exp claim of a token that is a JWS compact
// serialization (header.payload.signature), without verifying it: the date
// is only used to warn. Anything else is an opaque token, whose expiry is
// unknown. Nothing of the token is ever returned but the date.
func jwtExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return time.Time{}, false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if !decodeSegment(parts[0], &header) || header.Alg == "" {
		return time.Time{}, false
	}
	var claims struct {
		Exp *float64 `json:"exp"` // a NumericDate: seconds, maybe fractional
	}
	if !decodeSegment(parts[1], &claims) || claims.Exp == nil {
		return time.Time{}, false
	}
	// Beyond year 9999 RFC 3339 cannot write it; such a token does not expire in practice.
	if exp := *claims.Exp; exp <= 0 || exp > 253402300799 || math.IsNaN(exp) {
		return time.Time{}, false
	}
	return time.Unix(int64(*claims.Exp), 0).UTC(), true
}

// decodeSegment decodes one base64url JWT segment (padded or not) as JSON.
func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// checkExpiry reports an expired credential as an error and one expiring
// within window as a warning. A zero now skips the check.
func checkExpiry(exps []Expiry, now time.Time, window time.Duration, field string, errf, warnf reportFunc) {
	if now.IsZero() {
		return
	}
	for _, e := range exps {
		switch left := e.At.Sub(now); {
		case left < 0:
			errf(field, "%s expired on %s: %s; every migration and failover with this pair would fail", e.What, e.At.Format(time.DateOnly), e.Effect)
		case left < window:
			warnf(field, "%s expires on %s (in %s): Stork reads the pair's credentials again on every migration, failover and failback, so from that date all of them fail while the pair keeps showing Ready; renew the credential and re-render before then", e.What, e.At.Format(time.RFC3339), days(left))
		}
	}
}

// days writes a duration as whole days, or hours under a day.
func days(d time.Duration) string {
	if d < 24*time.Hour {
		h := int(d.Hours())
		if h == 1 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", h)
	}
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
