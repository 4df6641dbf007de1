package transform

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// jwtSubject is a claim of every test JWT: it must never appear in a message.
const jwtSubject = "system:serviceaccount:kube-system:jwt-subject-never-printed"

// testJWT returns an unsigned-looking JWS with the given payload JSON.
func testJWT(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k1"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("signature-bytes-never-printed"))
}

func jwtExpiring(at time.Time) string {
	return testJWT(`{"iss":"https://kubernetes.default.svc","sub":"` + jwtSubject + `","exp":` + itoa(at.Unix()) + `}`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestJWTExpiry(t *testing.T) {
	at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	enc := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct {
		name  string
		token string
		want  time.Time
	}{
		{"JWT with exp", jwtExpiring(at), at},
		{"JWT with fractional exp", testJWT(`{"exp":1803988800.75}`), time.Unix(1803988800, 0).UTC()},
		{"padded segments", strings.ReplaceAll(jwtExpiring(at), ".", "==."), at},
		{"JWT without exp (legacy service-account token)", testJWT(`{"sub":"x"}`), time.Time{}},
		{"exp is a string", testJWT(`{"exp":"1803988800"}`), time.Time{}},
		{"exp is zero", testJWT(`{"exp":0}`), time.Time{}},
		{"exp beyond year 9999", testJWT(`{"exp":1e20}`), time.Time{}},
		{"payload not JSON", enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte("not json")) + ".sig", time.Time{}},
		{"payload not base64", enc([]byte(`{"alg":"RS256"}`)) + ".!!!.sig", time.Time{}},
		{"header without alg", enc([]byte(`{"typ":"JWT"}`)) + "." + enc([]byte(`{"exp":1803988800}`)) + ".sig", time.Time{}},
		{"opaque token", "px-4ac2904febfd205c0c4385b783ab440d", time.Time{}},
		{"opaque token with dots", "abc.def.ghi", time.Time{}},
		{"two segments", enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"exp":1803988800}`)), time.Time{}},
		{"empty", "", time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := jwtExpiry(tc.token)
			if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
				t.Errorf("jwtExpiry = %v, %v; want %v", got, ok, tc.want)
			}
		})
	}
}

// TestExpirySources renders the base kubeconfig with each kind of
// credential and checks the findings and the annotation.
func TestExpirySources(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	day := 24 * time.Hour
	soon, far, past := now.Add(20*day), now.Add(200*day), now.Add(-3*day)
	soonCert, soonKey := selfSigned(t, "stork-soon", now.Add(-day), soon)
	farCert, farKey := selfSigned(t, "stork-far", now.Add(-day), far)
	pastCert, pastKey := selfSigned(t, "stork-past", now.Add(-9*day), past)
	caFar, _ := selfSigned(t, "ca-far", now.Add(-day), now.Add(300*day))
	caSoon, _ := selfSigned(t, "ca-soon", now.Add(-day), now.Add(10*day))

	user := func(u *clientcmdapi.AuthInfo) func(*clientcmdapi.Config) {
		return func(c *clientcmdapi.Config) { c.AuthInfos[destUser] = u }
	}
	ca := func(data []byte) func(*clientcmdapi.Config) {
		return func(c *clientcmdapi.Config) { c.Clusters[destCluster].CertificateAuthorityData = data }
	}
	both := func(fs ...func(*clientcmdapi.Config)) func(*clientcmdapi.Config) {
		return func(c *clientcmdapi.Config) {
			for _, f := range fs {
				f(c)
			}
		}
	}
	exec := &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "kubelogin", InteractiveMode: clientcmdapi.NeverExecInteractiveMode}}
	tests := []struct {
		name       string
		mut        func(*clientcmdapi.Config)
		window     time.Duration
		annotation time.Time // zero: no annotation
		sev        diag.Severity
		subs       []string
	}{
		{name: "certificate far from expiry", mut: both(ca(nil), user(&clientcmdapi.AuthInfo{ClientCertificateData: farCert, ClientKeyData: farKey})), annotation: far},
		{name: "certificate inside the window", mut: both(ca(nil), user(&clientcmdapi.AuthInfo{ClientCertificateData: soonCert, ClientKeyData: soonKey})), annotation: soon,
			sev: diag.Warning, subs: []string{`user "dest-user" client certificate (subject "stork-soon") expires on ` + soon.Format(time.RFC3339), "(in 20 days)", "every migration, failover and failback", "keeps showing Ready"}},
		{name: "certificate inside a longer window", mut: both(ca(nil), user(&clientcmdapi.AuthInfo{ClientCertificateData: farCert, ClientKeyData: farKey})), window: 365 * day, annotation: far,
			sev: diag.Warning, subs: []string{"expires on " + far.Format(time.RFC3339)}},
		{name: "certificate inside the window, warning off", mut: both(ca(nil), user(&clientcmdapi.AuthInfo{ClientCertificateData: soonCert, ClientKeyData: soonKey})), window: -1, annotation: soon},
		{name: "certificate expired", mut: both(ca(nil), user(&clientcmdapi.AuthInfo{ClientCertificateData: pastCert, ClientKeyData: pastKey})),
			sev: diag.Error, subs: []string{`client certificate (subject "stork-past") expired on ` + past.Format(time.DateOnly), "every migration and failover"}},
		{name: "JWT far from expiry", mut: both(ca(nil), user(&clientcmdapi.AuthInfo{Token: jwtExpiring(far)})), annotation: far},
		{name: "JWT inside the window", mut: both(ca(nil), user(&clientcmdapi.AuthInfo{Token: jwtExpiring(soon)})), annotation: soon,
			sev: diag.Warning, subs: []string{`user "dest-user" token (a JWT, by its exp claim) expires on ` + soon.Format(time.RFC3339)}},
		{name: "JWT expired", mut: both(ca(nil), user(&clientcmdapi.AuthInfo{Token: jwtExpiring(past)})),
			sev: diag.Error, subs: []string{`user "dest-user" token (a JWT, by its exp claim) expired on ` + past.Format(time.DateOnly)}},
		{name: "opaque token, no CA: unknown", mut: ca(nil)},
		{name: "opaque token: the CA bundle is what is known", mut: ca(caFar), annotation: now.Add(300 * day)},
		{name: "CA bundle inside the window", mut: ca(caSoon), annotation: now.Add(10 * day),
			sev: diag.Warning, subs: []string{`cluster "dest-cluster" certificate-authority-data (its last certificate) expires on`}},
		{name: "earliest wins: JWT before the CA", mut: both(ca(caFar), user(&clientcmdapi.AuthInfo{Token: jwtExpiring(far)})), annotation: far},
		{name: "exec plugin: unknown", mut: both(ca(nil), user(exec)), sev: diag.Warning, subs: []string{"exec plugin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(nil)
			switch {
			case tc.window < 0:
				req.Spec.CredentialExpiryWarning = "0"
			case tc.window > 0:
				req.Spec.CredentialExpiryWarning = tc.window.String()
			}
			requireValidRequest(t, req)
			out, fs := Render(req, Secrets{Kubeconfig: baseKubeconfig(t, tc.mut), Token: []byte(pxToken), Now: now})
			if tc.sev == "" {
				requireNoFindings(t, fs)
			} else {
				if len(fs) != 1 {
					t.Fatalf("want one finding, got:\n%s", dump(fs))
				}
				requireFinding(t, fs, tc.sev, "spec.destination.kubeconfig", requestFile, tc.subs...)
			}
			requireNotInFindings(t, fs, jwtSubject, "signature-bytes", pxToken)
			for _, secret := range [][]byte{soonCert, soonKey, pastCert, pastKey, farCert, farKey} {
				requireNotInFindings(t, fs, strings.Split(string(secret), "\n")[1][:20])
			}
			if tc.sev == diag.Error {
				if out != nil {
					t.Fatal("rendered despite an error")
				}
				return
			}
			got, has := out.ClusterPair.Metadata.Annotations[AnnotationCredentialsExpire]
			switch {
			case tc.annotation.IsZero() && has:
				t.Errorf("annotation %s = %q, want none", AnnotationCredentialsExpire, got)
			case !tc.annotation.IsZero() && got != tc.annotation.Format(time.RFC3339):
				t.Errorf("annotation %s = %q, want %q", AnnotationCredentialsExpire, got, tc.annotation.Format(time.RFC3339))
			}
		})
	}
}

// TestExpiryAnnotationWithoutRenderTime: the annotation depends on the
// input only, not on the clock (a zero Now skips only the findings).
func TestExpiryAnnotationWithoutRenderTime(t *testing.T) {
	pastCert, pastKey := selfSigned(t, "stork-past", time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	kc := baseKubeconfig(t, func(c *clientcmdapi.Config) {
		c.AuthInfos[destUser] = &clientcmdapi.AuthInfo{ClientCertificateData: pastCert, ClientKeyData: pastKey}
	})
	out, fs := Render(newRequest(nil), Secrets{Kubeconfig: kc, Token: []byte(pxToken)})
	requireNoFindings(t, fs)
	want := FormatExpiry(clientLeaf(pastCert).NotAfter)
	if got := out.ClusterPair.Metadata.Annotations[AnnotationCredentialsExpire]; got != want {
		t.Errorf("annotation = %q, want %q", got, want)
	}
}

func TestCredentialsExpireReverseSide(t *testing.T) {
	at := time.Now().Add(100 * 24 * time.Hour).UTC().Truncate(time.Second)
	req := newRequest(func(r *v1alpha1.ClusterPairRequest) {
		r.Spec.Reverse = &v1alpha1.Reverse{Kubeconfig: v1alpha1.KubeconfigSource{SecretRef: v1alpha1.SecretRef{File: "source.yaml"}}, Storage: &v1alpha1.Storage{IP: "px.src.example.com", Port: 9001, Token: v1alpha1.SecretRef{File: "t"}}}
	})
	kc := baseKubeconfig(t, func(c *clientcmdapi.Config) {
		c.Clusters[destCluster].CertificateAuthorityData = nil
		c.AuthInfos[destUser] = &clientcmdapi.AuthInfo{Token: jwtExpiring(at)}
	})
	out, fs := RenderSide(req, SideDestination, Secrets{Kubeconfig: kc, Token: []byte(pxToken), Now: time.Now()})
	requireNoFindings(t, fs)
	if got := out.ClusterPair.Metadata.Annotations[AnnotationCredentialsExpire]; got != FormatExpiry(at) {
		t.Errorf("annotation = %q, want %q", got, FormatExpiry(at))
	}
}

func TestDays(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Minute:     "0 hours",
		time.Hour:            "1 hour",
		5 * time.Hour:        "5 hours",
		24 * time.Hour:       "1 day",
		50 * 24 * time.Hour:  "50 days",
		36*time.Hour + 1e9:   "1 day",
		400 * 24 * time.Hour: "400 days",
	} {
		if got := days(d); got != want {
			t.Errorf("days(%s) = %q, want %q", d, got, want)
		}
	}
}
