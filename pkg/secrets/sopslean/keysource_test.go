package sopslean

import (
	"errors"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestLeanHandsOverOnlyAllowedVault: the lean build hands a Vault file
// over to the full build only when the policy allows its address, and
// contacts nothing itself.
func TestLeanHandsOverOnlyAllowedVault(t *testing.T) {
	testenv.UseDemoKey(t)
	srv := testvault.Start(t)
	policy, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewDecryptor().WithKeyPolicy(policy).Decrypt("kubeconfig.yaml", testvault.VaultOnly(t, []byte(secretstest.ReadFixture(t, "kubeconfig.yaml")), srv.URL), secrets.FormatYAML)
	if !errors.Is(err, secrets.ErrNeedsFullSOPS) {
		t.Fatalf("want a hand-over (ErrNeedsFullSOPS), got %v", err)
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
}
