package check

import (
	"bytes"
	"encoding/base64"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
)

// jwtExpiring returns a JWT-shaped bearer token whose exp claim is at.
func jwtExpiring(at time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." +
		enc([]byte(`{"sub":"system:serviceaccount:kube-system:check-test","exp":`+strconv.FormatInt(at.Unix(), 10)+`}`)) + "." +
		enc([]byte("signature"))
}

func TestExpiresColumnAndWindow(t *testing.T) {
	testenv.UseDemoKey(t)
	now := time.Now().UTC().Truncate(time.Second)
	day := 24 * time.Hour
	ca := testpki.NewCA(t, "expiry-ca") // ten years: later than every token below
	root := t.TempDir()
	soon, later := now.Add(10*day), now.Add(100*day)
	writePair(t, filepath.Join(root, "a-soon"), pairSpec{name: "soon", server: "https://dst.example.com:6443", caPEM: ca.CertPEM, token: jwtExpiring(soon)})
	writePair(t, filepath.Join(root, "b-later"), pairSpec{name: "later", server: "https://dst.example.com:6443", caPEM: ca.CertPEM, token: jwtExpiring(later)})
	writePair(t, filepath.Join(root, "c-opaque"), pairSpec{name: "opaque", server: "https://dst.example.com:6443", token: "opaque-token-" + strings.Repeat("5", 20)})

	r, out := run(t, Options{Paths: []string{root}, Now: func() time.Time { return now }})
	if r.Failed() {
		t.Fatalf("check failed:\n%s", out)
	}
	for _, want := range []string{"EXPIRES", soon.Format(time.DateOnly), later.Format(time.DateOnly), "unknown"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "check-test") || strings.Contains(out, "signature") {
		t.Errorf("report shows token content:\n%s", out)
	}
	names := func(ps []*Pair) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Name)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		within time.Duration
		want   string
	}{
		{5 * day, ""},
		{30 * day, "app/soon"},
		{365 * day, "app/soon,app/later"},
	} {
		got := r.ExpiringWithin(now, tc.within)
		if names(got) != tc.want {
			t.Errorf("ExpiringWithin(%s) = %q, want %q", tc.within, names(got), tc.want)
		}
		var b bytes.Buffer
		if err := r.WriteExpiring(&b, now, tc.within); err != nil {
			t.Fatal(err)
		}
		if tc.want == "" && !strings.HasPrefix(b.String(), "No known credential expires within") {
			t.Errorf("WriteExpiring(%s):\n%s", tc.within, b.String())
		}
		if tc.want == "app/soon" && (!strings.Contains(b.String(), "The credentials of 1 pair expire within 720h0m0s") || !strings.Contains(b.String(), "(app/soon, source side): expires "+soon.Format(time.RFC3339))) {
			t.Errorf("WriteExpiring(%s):\n%s", tc.within, b.String())
		}
	}
}

func TestExpiresColumnOfAPairThatDidNotRender(t *testing.T) {
	p := &Pair{}
	if got := p.expiresColumn(); got != "-" {
		t.Errorf("expiresColumn = %q, want -", got)
	}
}
