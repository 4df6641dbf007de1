//go:build cluster && gitops

package cluster

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// Tenant mode (the contract the main code implements): the sidecar's
// CLUSTERPAIR_FN_TENANTS names a TenantMap, each tenant an Argo CD project
// with its own age key file (relative to the map's directory), and the
// tenant of a render is ARGOCD_APP_PROJECT_NAME, which Argo CD (>= 3.0) sets
// from the Application's spec.project. A file none of the tenant's keys
// opens fails the manifest generation naming the tenant and the file; a
// project not in the map fails naming it.

// tenantPair is one tenant's pair directory in the suite's git repository.
type tenantPair struct {
	tenant, dir, name string // the project, pairs/<dir>, the ClusterPair's name
	key               ageKey
}

// tenantFixture is what writeTenantPairs committed and what must never show
// in an error.
type tenantFixture struct {
	a, b tenantPair
	// copied is team-a's request and token with team-b's encrypted
	// kubeconfig copied in.
	copied  string
	secrets map[string]string // what -> a decrypted value
}

// writeTenantPairs writes team-a's and team-b's pair directories under pairs
// (before the repository is committed): each encrypted to its own tenant's
// key only, team-b with a kubeconfig of its own (a bearer token).
func writeTenantPairs(t *testing.T, pairs string, kc []byte) tenantFixture {
	t.Helper()
	f := tenantFixture{
		a:       tenantPair{tenant: "team-a", dir: "team-a", name: "team-a-pair", key: newAgeKey(t)},
		b:       tenantPair{tenant: "team-b", dir: "team-b", name: "team-b-pair", key: newAgeKey(t)},
		copied:  "team-a-copied",
		secrets: map[string]string{},
	}
	// team-b's destination credential: a token only it has.
	cfg, err := clientcmd.Load(kc)
	if err != nil {
		t.Fatal(err)
	}
	random := make([]byte, 16)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	tokenB := "team-b-bearer-" + hex.EncodeToString(random)
	for _, u := range cfg.AuthInfos {
		for i, part := range pemBodyLines(u.ClientKeyData) {
			f.secrets[fmt.Sprintf("team-a's client key (PEM line %d)", i+1)] = part
		}
		f.secrets["team-a's client key (base64)"] = base64.StdEncoding.EncodeToString(u.ClientKeyData)[:40]
		u.ClientCertificateData, u.ClientKeyData, u.Token = nil, nil, tokenB
	}
	kcB, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.secrets["team-b's bearer token"] = tokenB
	f.secrets["team-b's PX token"] = "px-pairing-token-" + f.b.name
	f.secrets["team-a's PX token"] = "px-pairing-token-" + f.a.name
	f.secrets["team-a's age identity"] = f.a.key.identity
	f.secrets["team-b's age identity"] = f.b.key.identity

	copyDir(t, pairDir(t, f.a.key, f.a.name, kc, ""), filepath.Join(pairs, f.a.dir))
	copyDir(t, pairDir(t, f.b.key, f.b.name, kcB, ""), filepath.Join(pairs, f.b.dir))
	// (c) team-a's own request and token, team-b's encrypted kubeconfig.
	copied := filepath.Join(pairs, f.copied)
	copyDir(t, pairDir(t, f.a.key, "team-a-copied", kc, ""), copied)
	copyFile(t, filepath.Join(pairs, f.b.dir, "destination-kubeconfig.yaml"), filepath.Join(copied, "destination-kubeconfig.yaml"))
	return f
}

// pemBodyLines are the base64 lines of a PEM block (not its armour).
func pemBodyLines(pem []byte) []string {
	var out []string
	for _, l := range strings.Split(string(pem), "\n") {
		if l = strings.TrimSpace(l); len(l) >= 40 && !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

// testArgoCDTenants is TestGitOps/argocd/tenants: a sidecar holding no key
// of its own but a TenantMap of team-a and team-b, behind its own
// repo-server (the plugin keeps its name clusterpair-fn).
func testArgoCDTenants(t *testing.T, argocd string, redisPort int, repo, gitURL string, f tenantFixture) {
	tenantsDir := filepath.Join(t.TempDir(), "tenants")
	if err := os.MkdirAll(tenantsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, p := range []tenantPair{f.a, f.b} {
		if err := os.WriteFile(filepath.Join(tenantsDir, p.tenant+".agekey"), []byte(p.key.identity+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tenantMap := writeFile(t, filepath.Join(tenantsDir, "tenants.yaml"), []byte(`apiVersion: fn.clusterpair.dev/v1alpha1
kind: TenantMap
tenants:
  - name: team-a
    ageKeyFile: team-a.agekey
  - name: team-b
    ageKeyFile: team-b.agekey
`))
	pluginYAML, err := os.ReadFile(testenv.Path("examples", "argocd", "cmp", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// No SOPS_AGE_KEY_FILE: the tenant map is the sidecar's only key source
	// (startArgo gives it an empty HOME, XDG_CONFIG_HOME and GNUPGHOME).
	argo := startArgo(t, argocd, redisPort,
		argoSidecar{plugin: argoPlugin, pluginYAML: pluginYAML, env: []string{"CLUSTERPAIR_FN_TENANTS=" + tenantMap}})
	t.Logf("sidecar: CLUSTERPAIR_FN_TENANTS=%s (team-a, team-b), no other key", tenantMap)

	noSecret := func(t *testing.T, r toolResult) {
		t.Helper()
		for what, v := range f.secrets {
			if strings.Contains(r.stdout+r.stderr, v) {
				t.Errorf("%s reached the output", what)
			}
		}
	}
	cmpLog := func() string { return argo.cmp[argoPlugin].logTail(20) }

	for _, p := range []tenantPair{f.b, f.a} {
		t.Run(p.tenant+" renders its own pair", func(t *testing.T) {
			r := argo.manifests(t, gitURL, argoPlugin, "pairs/"+p.dir, p.tenant, "clusterpair-"+p.dir)
			if r.err != nil {
				t.Fatalf("manifest generation: %v\n%s\ncmp-server log:\n%s", r.err, r.stderr, cmpLog())
			}
			got := onePair(t, r.stdout, p.name)
			expectDirectRender(t, got, filepath.Join(repo, "pairs", p.dir), "SOPS_AGE_KEY="+p.key.identity)
		})
	}

	t.Run("team-a pointing at team-b's directory fails", func(t *testing.T) {
		r := argo.manifests(t, gitURL, argoPlugin, "pairs/"+f.b.dir, f.a.tenant, "clusterpair-steal")
		noSecret(t, r)
		expectGenerationError(t, r, `tenant "team-a"`)
		if !strings.Contains(r.stderr, "destination-kubeconfig.yaml") && !strings.Contains(r.stderr, "px-token.enc") {
			t.Errorf("the error names neither of team-b's encrypted files:\n%s", r.stderr)
		}
	})

	t.Run("team-a with team-b's kubeconfig copied in fails", func(t *testing.T) {
		r := argo.manifests(t, gitURL, argoPlugin, "pairs/"+f.copied, f.a.tenant, "clusterpair-copied")
		noSecret(t, r)
		expectGenerationError(t, r, `tenant "team-a"`)
		if !strings.Contains(r.stderr, "destination-kubeconfig.yaml") {
			t.Errorf("the error does not name the copied file destination-kubeconfig.yaml:\n%s", r.stderr)
		}
	})

	t.Run("a project not in the tenant map fails", func(t *testing.T) {
		r := argo.manifests(t, gitURL, argoPlugin, "pairs/"+f.a.dir, "team-c", "clusterpair-team-c")
		noSecret(t, r)
		expectGenerationError(t, r, `"team-c"`)
	})
}
