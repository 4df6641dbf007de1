package portworx_test

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpx"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/portworx"
)

// jwt is a token shaped like PX-Security's admin token (a JWT; the stand-in
// checks it byte for byte, not its signature).
func jwt(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(`{"sub":"`+sub+`","iss":"portworx.com"}`)) + ".c2lnbmF0dXJl"
}

const pairToken = "4f3c0b8c1d2e7a6b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f"

func endpoint(s *testpx.Server, scheme string) portworx.Endpoint {
	return portworx.Endpoint{Scheme: scheme, Host: s.Host, Port: s.Port}
}

func auth(tok string) *portworx.AuthToken {
	return &portworx.AuthToken{Namespace: "portworx", Name: "px-admin-token", Key: "auth-token", Token: []byte(tok)}
}

// assertClean fails when an error message carries a secret or the query.
func assertClean(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range append(secrets, pairToken, "reset=false", "?") {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("the error carries %q: %v", s, err)
		}
	}
}

func tlsServer(t *testing.T, ca *testpki.CA, o testpx.Options) *testpx.Server {
	t.Helper()
	cert := ca.Issue(t, testpki.Spec{CommonName: "px-api", Server: true}).TLS(t)
	o.TLS = &cert
	return testpx.Start(t, o)
}

func TestFetchPairTokenOverVerifiedTLSWithBearer(t *testing.T) {
	ca := testpki.NewCA(t, "px-ca")
	admin := jwt("admin")
	px := tlsServer(t, ca, testpx.Options{PairToken: pairToken, AuthToken: admin})
	got, err := portworx.FetchPairToken(context.Background(), endpoint(px, "https"), portworx.FetchOptions{Auth: auth(admin), CABundle: ca.CertPEM})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Token) != pairToken {
		t.Errorf("token %q, want the stand-in's", got.Token)
	}
	if len(got.Warnings) != 0 {
		t.Errorf("warnings over verified TLS: %v", got.Warnings)
	}
	if h := px.LastHeader().Get("Authorization"); h != "bearer "+admin {
		t.Errorf("Authorization %q, want openstorage's \"bearer TOKEN\"", h)
	}
	if p, q := px.LastRequest(); p != "/v1/cluster/pairtoken" || q != "reset=false" {
		t.Errorf("request %s?%s, want /v1/cluster/pairtoken?reset=false", p, q)
	}
	if px.Resets() != 0 {
		t.Error("the token was reset")
	}
}

func TestFetchPairTokenRefusesAnUnknownCA(t *testing.T) {
	ca := testpki.NewCA(t, "px-ca")
	other := testpki.NewCA(t, "other-ca")
	admin := jwt("admin")
	px := tlsServer(t, ca, testpx.Options{PairToken: pairToken, AuthToken: admin})
	for name, opts := range map[string]portworx.FetchOptions{
		"another CA":       {Auth: auth(admin), CABundle: other.CertPEM},
		"the system roots": {Auth: auth(admin)},
	} {
		t.Run(name, func(t *testing.T) {
			before := px.Requests()
			_, err := portworx.FetchPairToken(context.Background(), endpoint(px, "https"), opts)
			assertClean(t, err, admin)
			if !strings.Contains(err.Error(), "unknown authority") || !strings.Contains(err.Error(), "not signed by the CA bundle") {
				t.Errorf("error %q does not say the certificate is not trusted", err)
			}
			if px.Requests() != before {
				t.Error("a request (with the auth token) reached a server whose certificate failed verification")
			}
		})
	}
	t.Run("insecure option", func(t *testing.T) {
		got, err := portworx.FetchPairToken(context.Background(), endpoint(px, "https"),
			portworx.FetchOptions{Auth: auth(admin), CABundle: other.CertPEM, InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Token) != pairToken {
			t.Errorf("token %q", got.Token)
		}
		if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "TLS verification is off") {
			t.Errorf("warnings %q, want the insecure one", got.Warnings)
		}
	})
}

func TestFetchPairTokenUnauthorized(t *testing.T) {
	admin := jwt("admin")
	px := testpx.Start(t, testpx.Options{PairToken: pairToken, AuthToken: admin})
	wrong := jwt("intruder")
	_, err := portworx.FetchPairToken(context.Background(), endpoint(px, "http"), portworx.FetchOptions{Auth: auth(wrong)})
	assertClean(t, err, wrong, admin, "Access denied")
	if !strings.Contains(err.Error(), "401 Unauthorized") || !strings.Contains(err.Error(), "Secret portworx/px-admin-token") {
		t.Errorf("error %q does not say 401 and name the Secret", err)
	}
	_, err = portworx.FetchPairToken(context.Background(), endpoint(px, "http"), portworx.FetchOptions{})
	assertClean(t, err, admin, "Access denied")
	if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "no auth token was sent") {
		t.Errorf("error %q does not say no token was sent", err)
	}
}

func TestFetchPairTokenNonJWTIsSentAsBasic(t *testing.T) {
	px := testpx.Start(t, testpx.Options{PairToken: pairToken, AuthToken: "plain-secret"})
	_, err := portworx.FetchPairToken(context.Background(), endpoint(px, "http"), portworx.FetchOptions{Auth: auth("plain-secret")})
	assertClean(t, err, "plain-secret")
	if h := px.LastHeader().Get("Authorization"); h != "Basic plain-secret" {
		t.Errorf("Authorization %q, want openstorage's \"Basic TOKEN\" for a token that is not a JWT", h)
	}
}

func TestFetchPairTokenServerErrorBodyIsNotShown(t *testing.T) {
	const marker = "MARKER-7c1e-internal-detail"
	px := testpx.Start(t, testpx.Options{Handler: func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "cluster manager failed: "+marker, http.StatusInternalServerError)
	}})
	_, err := portworx.FetchPairToken(context.Background(), endpoint(px, "http"), portworx.FetchOptions{})
	assertClean(t, err, marker)
	if !strings.Contains(err.Error(), "500 Internal Server Error") || !strings.Contains(err.Error(), px.Host) {
		t.Errorf("error %q does not say 500 and name the endpoint", err)
	}
}

func TestFetchPairTokenDoesNotFollowRedirects(t *testing.T) {
	target := testpx.Start(t, testpx.Options{PairToken: pairToken})
	const secretQuery = "leaked-in-location"
	px := testpx.Start(t, testpx.Options{Handler: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/v1/cluster/pairtoken?reset=false&x="+secretQuery, http.StatusFound)
	}})
	admin := jwt("admin")
	_, err := portworx.FetchPairToken(context.Background(), endpoint(px, "http"), portworx.FetchOptions{Auth: auth(admin)})
	assertClean(t, err, admin, secretQuery, strconv.Itoa(target.Port))
	if !strings.Contains(err.Error(), "302 Found") || !strings.Contains(err.Error(), "not followed") {
		t.Errorf("error %q does not say the redirect was not followed", err)
	}
	if px.Requests() != 1 {
		t.Errorf("the endpoint got %d requests, want 1", px.Requests())
	}
	if n := target.Connections(); n != 0 {
		t.Errorf("the redirect's target got %d connections, want 0", n)
	}
}

func TestFetchPairTokenRefusesAnOversizedBody(t *testing.T) {
	px := testpx.Start(t, testpx.Options{Handler: func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"token":"` + strings.Repeat("a", portworx.MaxResponseBytes) + `"}`))
	}})
	_, err := portworx.FetchPairToken(context.Background(), endpoint(px, "http"), portworx.FetchOptions{})
	assertClean(t, err, "aaaa")
	if !strings.Contains(err.Error(), "larger than 64 KiB") {
		t.Errorf("error %q does not refuse the size", err)
	}
}

func TestFetchPairTokenOverPlainHTTPWarns(t *testing.T) {
	px := testpx.Start(t, testpx.Options{PairToken: pairToken})
	got, err := portworx.FetchPairToken(context.Background(), endpoint(px, "http"), portworx.FetchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Token) != pairToken {
		t.Errorf("token %q", got.Token)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "plain HTTP") {
		t.Errorf("warnings %q, want the plain-HTTP one", got.Warnings)
	}
	if h := px.LastHeader().Get("Authorization"); h != "" {
		t.Errorf("an Authorization header %q was sent without an auth token", h)
	}
}

func TestFetchPairTokenBadAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":   "Successfully got token",
		"no token":   `{"other":"x"}`,
		"whitespace": `{"token":"a b"}`,
	} {
		t.Run(name, func(t *testing.T) {
			px := testpx.Start(t, testpx.Options{Handler: func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) }})
			_, err := portworx.FetchPairToken(context.Background(), endpoint(px, "http"), portworx.FetchOptions{})
			assertClean(t, err, body)
		})
	}
}

func TestFetchPairTokenConnectionErrorHasNoQuery(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close() // nothing listens there now
	_, err = portworx.FetchPairToken(context.Background(), portworx.Endpoint{Scheme: "http", Host: "127.0.0.1", Port: port}, portworx.FetchOptions{})
	assertClean(t, err)
	if !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "http://127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("error %q does not say connection refused at the endpoint", err)
	}
}

func TestFetchPairTokenHonoursTheContext(t *testing.T) {
	px := testpx.Start(t, testpx.Options{PairToken: pairToken})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := portworx.FetchPairToken(ctx, endpoint(px, "http"), portworx.FetchOptions{})
	assertClean(t, err)
	if !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error %q, want context canceled", err)
	}
}

func TestEndpointFromOptions(t *testing.T) {
	for _, c := range []struct {
		ip   string
		port int
		want string
	}{
		{"px-api.example.com", 9001, "http://px-api.example.com:9001"},
		{"10.0.0.5", 9001, "http://10.0.0.5:9001"},
		{"fd00::5", 9001, "http://[fd00::5]:9001"},
		{"https://px-api.example.com", 443, "https://px-api.example.com:443"},
		{"https://[fd00::5]", 9021, "https://[fd00::5]:9021"},
		{"http://px-api.example.com", 80, "http://px-api.example.com:80"},
	} {
		if got := portworx.EndpointFromOptions(c.ip, c.port).String(); got != c.want {
			t.Errorf("EndpointFromOptions(%q, %d) = %s, want %s", c.ip, c.port, got, c.want)
		}
	}
}
