package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

func run(t *testing.T, opts Options) (*Report, string) {
	t.Helper()
	if opts.Decryptor == nil {
		opts.Decryptor = testsops.NewDecryptor()
	}
	if opts.Encryptor == nil {
		opts.Encryptor = testsops.NewEncryptor()
	}
	if opts.Timeout == 0 {
		opts.Timeout = 20 * time.Second // a safety net; loopback answers at once
	}
	r, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var out bytes.Buffer
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	return r, out.String()
}

func TestFind(t *testing.T) {
	testenv.Isolate(t)
	root := t.TempDir()
	files := map[string]string{
		"a/multi.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n" +
			"apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata: {name: one, namespace: app}\nspec: {}\n---\n" +
			"apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata: {name: two, namespace: app}\nspec:\n  reverse:\n    kubeconfig: {file: k}\n",
		"a/b/request.json":         `{"apiVersion": "fn.clusterpair.dev/v1alpha1", "kind": "ClusterPairRequest", "metadata": {"name": "three"}}`,
		"a/other-version.yml":      "apiVersion: fn.clusterpair.dev/v2\nkind: ClusterPairRequest\nmetadata: {name: four, namespace: app}\n",
		"a/broken.yaml":            "kind: ClusterPairRequest\nmetadata: {name: [unclosed\n",
		"a/mentions-only.yaml":     "# a ClusterPairRequest lives elsewhere\napiVersion: v1\nkind: ConfigMap\n",
		"a/list.yaml":              "- ClusterPairRequest\n- x\n",
		"a/readme.md":              "kind: ClusterPairRequest\n",
		"a/.hidden/request.yaml":   "kind: ClusterPairRequest\nmetadata: {name: hidden}\n",
		"a/nullreverse/r.yaml":     "kind: ClusterPairRequest\nmetadata: {name: five}\nspec:\n  reverse: null\n",
		"a/secrets/encrypted.yaml": "apiVersion: ENC[AES256_GCM,data:x]\nkind: ENC[AES256_GCM,data:ClusterPairRequest]\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "a", "b", "request.json"), filepath.Join(root, "a", "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "a", "b"), filepath.Join(root, "a", "dirlink.yaml")); err != nil {
		t.Fatal(err)
	}
	got, err := Find([]string{filepath.Join(root, "a")})
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, r := range got {
		rel, _ := filepath.Rel(root, r.Path)
		s := fmt.Sprintf("%s#%d %s", rel, r.Index, r.ID())
		if r.Problem != "" {
			s += " problem"
		}
		summary = append(summary, s)
	}
	want := []string{
		"a/b/request.json#0 three",
		"a/broken.yaml#0 ? problem",
		"a/link.json#0 three",
		"a/multi.yaml#1 app/one",
		"a/multi.yaml#2 app/two",
		"a/nullreverse/r.yaml#0 five",
		"a/other-version.yml#0 app/four",
	}
	if strings.Join(summary, "\n") != strings.Join(want, "\n") {
		t.Errorf("Find:\n%s\nwant:\n%s", strings.Join(summary, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range got {
		if r.Problem != "" && strings.Contains(r.Problem, "unclosed") {
			t.Errorf("the problem quotes the file: %s", r.Problem)
		}
	}

	// A file given directly is searched too; a missing path is an error.
	one, err := Find([]string{filepath.Join(root, "a", "b", "request.json")})
	if err != nil || len(one) != 1 {
		t.Errorf("Find(file) = %v, %v", one, err)
	}
	if _, err := Find([]string{filepath.Join(root, "nope")}); err == nil {
		t.Error("Find of a missing path succeeded")
	}
}

func TestExamplesPass(t *testing.T) {
	testenv.UseDemoKey(t)
	r, out := run(t, Options{Paths: []string{testenv.Path("examples")}})
	if r.Failed() {
		t.Fatalf("the examples fail the check:\n%s", out)
	}
	want := map[string][]transform.Side{
		"argocd/pairs/dr-west/clusterpair.yaml":     {transform.SideSource},
		"argocd/pairs/north-south/clusterpair.yaml": {transform.SideSource, transform.SideDestination},
		"bidirectional/clusterpair.yaml":            {transform.SideSource, transform.SideDestination},
		"flux/pair/clusterpair.yaml":                {transform.SideSource},
		"kpt/clusterpair.yaml":                      {transform.SideSource},
		"kustomize/clusterpair.yaml":                {transform.SideSource},
	}
	got := map[string][]transform.Side{}
	for _, p := range r.Pairs {
		rel, _ := filepath.Rel(testenv.Path("examples"), p.Request.Path)
		got[rel] = append(got[rel], p.Side)
		if !p.Rendered || p.Errors() > 0 || p.Server == "" || p.Mode != "async-dr" || p.Storage == "" {
			t.Errorf("%s %s: rendered %v, %d errors, server %q, mode %q, storage %q", rel, p.Side, p.Rendered, p.Errors(), p.Server, p.Mode, p.Storage)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pairs checked: %v\nwant %v", got, want)
	}
	if !strings.Contains(out, "8 pairs checked by rendering them as the function does: 8 ok") || !strings.Contains(out, "Live checks not run") {
		t.Errorf("report:\n%s", out)
	}
}

func TestBrokenRequestFailsNamingIt(t *testing.T) {
	testenv.UseDemoKey(t)
	root := t.TempDir()
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), filepath.Join(root, "good"))
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), filepath.Join(root, "typo"))
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), filepath.Join(root, "missing-token"))
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), filepath.Join(root, "wrong-key"))
	edit := func(dir, from, to string) {
		p := filepath.Join(root, dir, "clusterpair.yaml")
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(from)) {
			t.Fatalf("%s has no %q", p, from)
		}
		if err := os.WriteFile(p, bytes.Replace(data, []byte(from), []byte(to), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit("typo", "    token:\n", "    tokne:\n")
	edit("typo", "name: dr-west", "name: dr-typo")
	edit("missing-token", "name: dr-west", "name: dr-missing")
	if err := os.Remove(filepath.Join(root, "missing-token", "px-token.enc")); err != nil {
		t.Fatal(err)
	}
	edit("wrong-key", "name: dr-west", "name: dr-wrong-key")
	other, err := os.ReadFile(testenv.Path("testdata", "secrets", "kubeconfig-otherkey.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "wrong-key", "destination-kubeconfig.yaml"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "garbled"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "garbled", "clusterpair.yaml"), []byte("kind: ClusterPairRequest\nspec: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r, out := run(t, Options{Paths: []string{root}})
	if !r.Failed() {
		t.Fatalf("the check passed:\n%s", out)
	}
	cases := []struct {
		dir, field, message string
	}{
		{"garbled", "", "document 1 is not valid YAML"},
		{"missing-token", "spec.storage.token.file", `file "px-token.enc": not found`},
		{"typo", "spec.storage.tokne", `unknown field "tokne" (did you mean "token"?)`},
		{"wrong-key", "spec.destination.kubeconfig.file", "no usable decryption key"},
	}
	byDir := map[string]*Pair{}
	for _, p := range r.Pairs {
		byDir[filepath.Base(filepath.Dir(p.Request.Path))] = p
	}
	if p := byDir["good"]; p == nil || p.Failed() || !p.Rendered {
		t.Errorf("the good pair does not pass: %+v", p)
	}
	for _, c := range cases {
		p := byDir[c.dir]
		if p == nil {
			t.Errorf("%s was not checked", c.dir)
			continue
		}
		if !p.Failed() || p.Rendered {
			t.Errorf("%s: failed %v rendered %v", c.dir, p.Failed(), p.Rendered)
		}
		found := false
		for _, f := range p.Findings {
			if f.Severity == diag.Error && f.Field == c.field && strings.Contains(f.Text(), c.message) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no error %s: %q in %+v", c.dir, c.field, c.message, p.Findings)
		}
		row := filepath.Join(root, c.dir, "clusterpair.yaml")
		if !strings.Contains(out, row) || !strings.Contains(out, c.message) {
			t.Errorf("the report does not name %s with %q:\n%s", row, c.message, out)
		}
	}
	if !strings.Contains(out, "5 pairs checked by rendering them as the function does: 1 ok, 0 with warnings, 4 failed.") {
		t.Errorf("summary:\n%s", out)
	}
}

func TestSides(t *testing.T) {
	testenv.UseDemoKey(t)
	paths := []string{testenv.Path("examples", "bidirectional"), testenv.Path("examples", "kustomize")}
	cases := []struct {
		side transform.Side
		want string
	}{
		{"", "bidirectional:source bidirectional:destination kustomize:source"},
		{transform.SideSource, "bidirectional:source kustomize:source"},
		{transform.SideDestination, "bidirectional:destination kustomize:source"},
	}
	for _, c := range cases {
		r, out := run(t, Options{Paths: paths, Side: c.side})
		var got []string
		for _, p := range r.Pairs {
			got = append(got, filepath.Base(filepath.Dir(p.Request.Path))+":"+string(p.Side))
		}
		if strings.Join(got, " ") != c.want || r.Failed() {
			t.Errorf("side %q: %v (failed %v), want %s\n%s", c.side, got, r.Failed(), c.want, out)
		}
	}
}

func TestNoRequestsIsAnError(t *testing.T) {
	testenv.Isolate(t)
	_, err := Run(context.Background(), Options{Paths: []string{t.TempDir()}, Decryptor: testsops.NewDecryptor()})
	if !errors.Is(err, ErrNoRequests) {
		t.Fatalf("Run over an empty directory: %v", err)
	}
}

func TestLive(t *testing.T) {
	testenv.UseDemoKey(t)
	api := startAPIServer(t)
	px := startPortworx(t)
	wrongCA := testpki.NewCA(t, "impostor-ca")
	dead := deadPort(t)
	pxToken := "px-live-token-" + strings.Repeat("5", 24)

	type want struct {
		api, px       LiveStatus
		apiDetail     string
		pxDetail      string
		renderFailure bool
	}
	cases := []struct {
		name string
		pair pairSpec
		want want
	}{
		{name: "reachable", pair: pairSpec{server: api.url, caPEM: api.ca.CertPEM, token: api.token, pxIP: "127.0.0.1", pxPort: px.addr.Port},
			want: want{api: LivePassed, apiDetail: "answered v1.34.2-check-test", px: LivePassed, pxDetail: fmt.Sprintf("127.0.0.1:%d accepts TCP connections (nothing was sent)", px.addr.Port)}},
		{name: "portworx behind an http scheme", pair: pairSpec{server: api.url, caPEM: api.ca.CertPEM, token: api.token, pxIP: "http://127.0.0.1", pxPort: px.addr.Port},
			want: want{api: LivePassed, px: LivePassed}},
		{name: "wrong CA", pair: pairSpec{server: api.url, caPEM: wrongCA.CertPEM, token: api.token, pxIP: "127.0.0.1", pxPort: px.addr.Port},
			want: want{api: LiveFailed, apiDetail: "certificate signed by unknown authority (the server's certificate is not signed by the kubeconfig's certificate-authority-data)", px: LivePassed}},
		{name: "dead API server port", pair: pairSpec{server: fmt.Sprintf("https://127.0.0.1:%d", dead), caPEM: api.ca.CertPEM, token: api.token, pxIP: "127.0.0.1", pxPort: px.addr.Port},
			want: want{api: LiveFailed, apiDetail: "connection refused (nothing listens there, as seen from this machine)", px: LivePassed}},
		{name: "wrong credentials", pair: pairSpec{server: api.url, caPEM: api.ca.CertPEM, token: "wrong-token-" + strings.Repeat("3", 20), pxIP: "127.0.0.1", pxPort: px.addr.Port},
			want: want{api: LiveFailed, apiDetail: "401", px: LivePassed}},
		{name: "dead Portworx port", pair: pairSpec{server: api.url, caPEM: api.ca.CertPEM, token: api.token, pxIP: "127.0.0.1", pxPort: dead},
			want: want{api: LivePassed, px: LiveFailed, pxDetail: "connection refused"}},
		{name: "sync-dr has no Portworx endpoint", pair: pairSpec{server: api.url, caPEM: api.ca.CertPEM, token: api.token},
			want: want{api: LivePassed, px: LiveSkipped, pxDetail: "no storage options (sync-dr)"}},
		{name: "a request that does not render is not probed", pair: pairSpec{server: api.url, caPEM: api.ca.CertPEM, token: api.token, pxIP: "127.0.0.1", pxPort: px.addr.Port, skipSecret: true},
			want: want{api: LiveSkipped, px: LiveSkipped, apiDetail: "the request did not render", renderFailure: true}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.pair.name = fmt.Sprintf("live-%d", i)
			c.pair.pxToken = pxToken
			dir := writePair(t, filepath.Join(t.TempDir(), c.pair.name), c.pair)
			r, out := run(t, Options{Paths: []string{dir}, Live: true})
			if len(r.Pairs) != 1 || len(r.Pairs[0].Live) != 2 {
				t.Fatalf("report:\n%s", out)
			}
			p := r.Pairs[0]
			defer func() {
				if t.Failed() {
					t.Logf("report:\n%s", out)
				}
			}()
			if p.Rendered == c.want.renderFailure {
				t.Fatalf("rendered %v:\n%s", p.Rendered, out)
			}
			a, x := p.Live[0], p.Live[1]
			if a.Check != CheckAPIServer || a.Status != c.want.api || !strings.Contains(a.Detail, c.want.apiDetail) {
				t.Errorf("API server check %+v, want %s with %q", a, c.want.api, c.want.apiDetail)
			}
			if x.Check != CheckPortworx || x.Status != c.want.px || !strings.Contains(x.Detail, c.want.pxDetail) {
				t.Errorf("Portworx check %+v, want %s with %q", x, c.want.px, c.want.pxDetail)
			}
			wantFailed := c.want.api == LiveFailed || c.want.px == LiveFailed || c.want.renderFailure
			if r.Failed() != wantFailed {
				t.Errorf("Failed() = %v, want %v", r.Failed(), wantFailed)
			}
			if !strings.Contains(out, "API SERVER") || !strings.Contains(out, "Live checks, run from this machine") {
				t.Errorf("report:\n%s", out)
			}
			for _, s := range []string{api.token, pxToken, c.pair.token} {
				if strings.Contains(out, s) {
					t.Errorf("the report reveals a secret:\n%s", out)
				}
			}
			if p.config != nil || p.options != nil {
				t.Error("the pair keeps its credentials after the live checks")
			}
		})
	}
	// Nothing was ever sent to the Portworx endpoint, the token least of all.
	for {
		select {
		case got := <-px.received:
			if len(got) > 0 {
				t.Errorf("the Portworx endpoint received %d bytes", len(got))
			}
			continue
		default:
		}
		break
	}
}
