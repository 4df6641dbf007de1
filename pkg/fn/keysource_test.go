package fn_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// runWithPolicy runs the function with the operator's key policy.
func runWithPolicy(t *testing.T, dir string, policy secrets.KeyPolicy, input []byte) (*sdk.ResourceList, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	p := &fn.Processor{Decryptor: testsops.NewDecryptorWithPolicy(policy), Encryptor: testsops.NewEncryptor(), Root: dir, Log: &stderr}
	err := fn.Run(p, bytes.NewReader(input), &stdout)
	rl, perr := sdk.ParseResourceList(stdout.Bytes())
	if perr != nil {
		t.Fatalf("output is not a ResourceList: %v\n%s", perr, stdout.String())
	}
	return rl, stderr.String(), err
}

// vaultDir is a fixture directory whose vault-kubeconfig.yaml names only
// the fake Vault.
func vaultDir(t *testing.T, srv *testvault.Server) string {
	t.Helper()
	dir := fixtureDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vault-kubeconfig.yaml"), testvault.VaultOnly(t, data, srv.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestKeySourceNotAllowedThroughTheFunction (both builds): a request whose
// kubeconfig names a Vault the operator has not allowed, or whose
// output.encrypt names one, fails naming the file (or field) and the
// address; no connection is made (the lean build decides before any
// hand-over: pkg/secrets/sopslean TestLeanHandsOverOnlyAllowedVault).
func TestKeySourceNotAllowedThroughTheFunction(t *testing.T) {
	secretValues := fixtureSecrets(t)
	srv := testvault.Start(t)
	dir := vaultDir(t, srv)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	encryptToVault := request("b", "app", "kubeconfig.yaml") + "  output:\n    encrypt:\n      hcVaultTransit: ['" + srv.KeyURI("k") + "']\n"
	cases := []struct {
		name, req string
		want      []string
	}{
		{"decryption", request("a", "app", "vault-kubeconfig.yaml"), []string{`file "vault-kubeconfig.yaml"`, "key source not allowed", "hc_vault " + srv.URL}},
		{"encryption", encryptToVault, []string{"spec.output.encrypt", "key source not allowed", "hc_vault " + srv.URL}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rl, stderr, err := runWithPolicy(t, dir, secrets.KeyPolicy{}, resourceList(t, c.req))
			if !errors.Is(err, fn.ErrFailed) {
				t.Fatalf("err = %v, want ErrFailed\n%s", err, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if n := countKind(rl, "ClusterPair"); n != 0 {
				t.Errorf("rendered %d ClusterPairs", n)
			}
			results, _ := rl.ToYAML()
			assertNoSecrets(t, "stderr", stderr, secretValues)
			assertNoSecrets(t, "results", string(results), secretValues)
		})
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
}

// allowVault is the policy that allows the fake Vault.
func allowVault(t *testing.T, srv *testvault.Server) secrets.KeyPolicy {
	t.Helper()
	p, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAllowedVaultRendersThroughTheFunction (both builds: the lean one
// through its clusterpair-fn-full co-process): a kubeconfig encrypted to
// the fake Vault renders when the operator allows its address, through it.
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
