package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// vaultOnlyFile rewrites a SOPS file of dir so that it names only the fake
// Vault.
func vaultOnlyFile(t *testing.T, path string, srv *testvault.Server) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, testvault.VaultOnly(t, data, srv.URL), 0o600); err != nil {
		t.Fatal(err)
	}
}

// encryptToVault re-encrypts a SOPS YAML file (decrypted with the demo key)
// to the fake Vault only.
func encryptToVault(t *testing.T, path string, srv *testvault.Server) {
	t.Helper()
	testenv.UseDemoKey(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := testsops.NewDecryptor().Decrypt(filepath.Base(path), data, secrets.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := doc.Whole(filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := testsops.NewFixtureEncryptor().EncryptYAML(plain.Bytes(), secrets.EncryptOptions{Groups: []secrets.KeyGroup{{HCVaultTransit: []string{srv.KeyURI("k")}}}, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, enc, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestKeySourceNotAllowedUnderEveryRunner: a kubeconfig whose only key is
// a Vault the operator has not allowed fails under kustomize, build, check,
// kpt fn eval and kpt fn render, naming the file and the address, and the
// Vault listener sees no connection (the lean binary does not even hand the
// run over to clusterpair-fn-full).
func TestKeySourceNotAllowedUnderEveryRunner(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	kpt := testenv.Tool(t, "kpt")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	testenv.Tool(t, "clusterpair-fn-full")
	srv := testvault.Start(t)
	env := append(demoKeyEnv(), "VAULT_TOKEN="+testvault.Token)

	kdir := copyExample(t, "kustomize")
	vaultOnlyFile(t, filepath.Join(kdir, "destination-kubeconfig.yaml"), srv)
	_, pkg := kptPackage(t)
	vaultOnlyFile(t, filepath.Join(pkg, "secrets", "destination-kubeconfig.yaml"), srv)
	runs := map[string]result{
		"kustomize":      runTool(t, kdir, env, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."),
		"build":          runTool(t, kdir, env, fnBin, "build", "."),
		"check":          runTool(t, kdir, env, fnBin, "check", "."),
		"kpt fn eval":    runTool(t, pkg, env, kpt, "fn", "eval", ".", "--exec", fnBin, "--fn-config", "clusterpair.yaml", "-o", "unwrap"),
		"kpt fn render":  runTool(t, pkg, env, kpt, "fn", "render", ".", "--allow-exec"),
		"other endpoint": runTool(t, kdir, append(env, secrets.AllowKeyEndpointsEnv+"=hc_vault=http://127.0.0.1:1"), fnBin, "build", "."),
	}
	for name, r := range runs {
		out := r.stdout + r.stderr
		if r.err == nil {
			t.Errorf("%s: succeeded:\n%s", name, out)
		}
		for _, want := range []string{"key source not allowed", "hc_vault " + srv.URL, "destination-kubeconfig.yaml"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the output lacks %q:\n%s", name, want, out)
			}
		}
		if strings.Contains(out, "kind: ClusterPair\n") {
			t.Errorf("%s: rendered a ClusterPair", name)
		}
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
}

// TestAllowedKeySourceIsUsed: with the fake Vault's address allowed (by the
// environment, or by --allow-key-endpoint), a kubeconfig encrypted to it
// renders under kustomize and build (the lean binary hands over to
// clusterpair-fn-full, which asks the Vault) and passes check.
func TestAllowedKeySourceIsUsed(t *testing.T) {
	kustomize := testenv.Tool(t, "kustomize")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	testenv.Tool(t, "clusterpair-fn-full")
	srv := testvault.Start(t)
	kdir := copyExample(t, "kustomize")
	encryptToVault(t, filepath.Join(kdir, "destination-kubeconfig.yaml"), srv)
	env := append(demoKeyEnv(), "VAULT_TOKEN="+testvault.Token)
	allowEnv := append(env, secrets.AllowKeyEndpointsEnv+"=hc_vault="+srv.URL)
	flag := "--allow-key-endpoint=hc_vault=" + srv.URL
	runs := map[string]result{
		"kustomize": runTool(t, kdir, allowEnv, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", "."),
		"build":     runTool(t, kdir, env, fnBin, "build", flag, "."),
		"check":     runTool(t, kdir, env, fnBin, "check", flag, "."),
	}
	for name, r := range runs {
		if r.err != nil {
			t.Errorf("%s: %v\n%s%s", name, r.err, r.stdout, r.stderr)
			continue
		}
		if name != "check" && !strings.Contains(r.stdout, "kind: ClusterPair\n") {
			t.Errorf("%s: no ClusterPair:\n%s", name, r.stdout)
		}
	}
	if srv.Requests() < 3 {
		t.Errorf("the fake Vault answered %d requests; each run must have used it", srv.Requests())
	}
}
