//go:build !lean

package fn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// leanBuild is whether these tests run in the lean build.
const leanBuild = false

// TestAllowedVaultRendersThroughTheFunction: a kubeconfig encrypted to the
// fake Vault renders when the operator allows its address, through it.
func TestAllowedVaultRendersThroughTheFunction(t *testing.T) {
	srv := testvault.Start(t)
	dir := fixtureDir(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	policy := allowVault(t, srv)
	data, err := os.ReadFile(filepath.Join(dir, "kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := testsops.NewDecryptor().Decrypt("kubeconfig.yaml", data, secrets.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := doc.Whole("kubeconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := testsops.NewEncryptor().EncryptYAML(plain.Bytes(), secrets.EncryptOptions{Groups: []secrets.KeyGroup{{HCVaultTransit: []string{srv.KeyURI("k")}}}, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vault-kubeconfig.yaml"), enc, 0o600); err != nil {
		t.Fatal(err)
	}
	before := srv.Requests()
	req := request("a", "app", "vault-kubeconfig.yaml") + "  output:\n    plaintext: allow\n"
	rl, stderr, err := runWithPolicy(t, dir, policy, resourceList(t, req))
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	if n := countKind(rl, "ClusterPair"); n != 1 {
		t.Fatalf("rendered %d ClusterPairs, want 1", n)
	}
	if srv.Requests() == before {
		t.Error("the allowed Vault was not used")
	}
}
